import * as hdr from 'hdr-histogram-js';

/** Latencies in microseconds, 1 µs to 2 minutes, 3 significant digits (HdrHistogram). */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

export interface OpenLoopOptions {
  /** Requests per second, spaced evenly. */
  rate: number;
  durationSeconds: number;
  /** Sends request `index` and settles when its answer is in (or it failed). */
  send: (index: number) => Promise<void>;
  /** Where each request's latency goes, in microseconds from its intended send time. */
  histogram: hdr.Histogram;
  /** How long to wait for the last answers after the last send. */
  drainMs?: number;
}

export interface OpenLoopResult {
  /** Requests the schedule asked for, and those sent. */
  scheduled: number;
  sent: number;
  /** Answers (or failures) received. */
  completed: number;
  /** Requests whose answer had not come when the drain ended; recorded at the drain's end. */
  unfinished: number;
  /** The largest lag of an actual send behind its intended time, ms: the load generator's own delay. */
  maxSendLagMs: number;
  elapsedSeconds: number;
}

/**
 * An open-loop load: request i is due at start + i/rate, whatever the earlier ones are doing, and
 * its latency is measured from that intended time, not from when it went out. When the server
 * (or this process) stalls, the requests that should have gone out during the stall carry the
 * stall in their latency: the correction for coordinated omission that a closed loop, which waits
 * for an answer before sending the next request, cannot make.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / options.rate;
  const scheduled = Math.floor(options.rate * options.durationSeconds);
  const pending = new Map<Promise<void>, number>();
  const started = performance.now();
  let sent = 0;
  let completed = 0;
  let maxSendLagMs = 0;
  const record = (intended: number) => options.histogram.recordValue(Math.max(1, Math.round((performance.now() - intended) * 1000)));

  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (sent < scheduled && started + sent * interval <= now) {
        const intended = started + sent * interval;
        maxSendLagMs = Math.max(maxSendLagMs, now - intended);
        const request: Promise<void> = options
          .send(sent)
          .catch(() => undefined)
          .then(() => {
            // Already recorded as unfinished at the drain's end.
            if (!pending.has(request)) return;
            completed++;
            record(intended);
            pending.delete(request);
          });
        pending.set(request, intended);
        sent++;
      }
      if (sent >= scheduled) return done();
      setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    tick();
  });
  // The last answers: each unfinished one is recorded at the drain's end (a lower bound of its latency).
  const drain = options.drainMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(pending.keys()), new Promise((done) => (timer = setTimeout(done, drain)))]);
  clearTimeout(timer);
  const unfinished = pending.size;
  for (const intended of pending.values()) record(intended);
  pending.clear();
  return { scheduled, sent, completed, unfinished, maxSendLagMs, elapsedSeconds: (performance.now() - started) / 1000 };
}

/** p50, p99 and p99.9 of a histogram of microseconds, in milliseconds. */
export function percentilesMs(histogram: hdr.Histogram): { p50: number; p99: number; p999: number } {
  const at = (q: number) => histogram.getValueAtPercentile(q) / 1000;
  return { p50: at(50), p99: at(99), p999: at(99.9) };
}
