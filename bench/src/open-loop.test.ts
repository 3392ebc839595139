import { latencyHistogram, percentilesMs, runOpenLoop } from './open-loop';

const pause = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

describe('runOpenLoop', () => {
  it('sends at the fixed rate whatever the answers do, and records every request', async () => {
    const histogram = latencyHistogram();
    // Answers take 30 ms, far longer than the 5 ms between sends: a closed loop of one would send 33.
    const result = await runOpenLoop({ rate: 200, durationSeconds: 1, histogram, send: () => pause(30) });
    expect(result.scheduled).toBe(200);
    expect(result.sent).toBe(200);
    expect(result.completed).toBe(200);
    expect(histogram.totalCount).toBe(200);
    // The schedule's last send is due at 995 ms; a loaded machine may lag, not by seconds.
    expect(result.elapsedSeconds).toBeGreaterThan(0.99);
    expect(result.elapsedSeconds).toBeLessThan(2.5);
    const { p50 } = percentilesMs(histogram);
    expect(p50).toBeGreaterThanOrEqual(29);
  });

  it('charges a stall to every request that was due during it (coordinated omission corrected)', async () => {
    const histogram = latencyHistogram();
    const uncorrected = latencyHistogram();
    const result = await runOpenLoop({
      rate: 500,
      durationSeconds: 1,
      histogram,
      send: async (index) => {
        const sentAt = performance.now();
        // Request 100 blocks this process for 200 ms: nothing can go out meanwhile.
        if (index === 100) {
          const until = performance.now() + 200;
          while (performance.now() < until);
        }
        await pause(1);
        uncorrected.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
      },
    });
    expect(result.sent).toBe(500);
    expect(result.maxSendLagMs).toBeGreaterThanOrEqual(190);
    // About 100 requests were due during the 200 ms: measured from their intended times, half
    // of them waited over 100 ms, though each one took about 1 ms once sent.
    const slow = countAbove(histogram, 100_000);
    expect(slow).toBeGreaterThanOrEqual(40);
    expect(percentilesMs(histogram).p99).toBeGreaterThanOrEqual(150);
    // Measured from when each went out instead, only the few already in flight when the stall hit
    // look slow: what a load generator that waits for its own sends reports.
    expect(countAbove(uncorrected, 100_000)).toBeLessThan(15);
  });

  it('records requests still unanswered at the drain as at least that late', async () => {
    const histogram = latencyHistogram();
    const result = await runOpenLoop({ rate: 50, durationSeconds: 0.2, histogram, drainMs: 100, send: (i) => (i === 0 ? new Promise<void>(() => undefined) : pause(1)) });
    expect(result.unfinished).toBe(1);
    expect(histogram.totalCount).toBe(result.scheduled);
    expect(histogram.maxValue).toBeGreaterThanOrEqual(250_000);
  });
});

function countAbove(histogram: ReturnType<typeof latencyHistogram>, micros: number): number {
  // The share above `micros`, from the percentile where the histogram crosses it.
  let low = 0;
  let high = 100;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (histogram.getValueAtPercentile(mid) > micros) high = mid;
    else low = mid;
  }
  return Math.round(((100 - high) / 100) * histogram.totalCount);
}
