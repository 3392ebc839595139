// autocannon ships no types; this is the part of its API the bench uses.
declare module 'autocannon' {
  interface Histogram {
    p50: number;
    p99: number;
    average: number;
  }
  interface Result {
    requests: Histogram & { total: number; average: number };
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: Array<{
      /** Builds each request; `context` is the connection's, reset before each request. */
      setupRequest?: (
        request: { body?: string; headers?: Record<string, string> },
        context: Record<string, unknown>,
      ) => { body?: string; headers?: Record<string, string> };
      /** Every answer: its status and whole body, with the context its request was built in. */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }>;
  }
  function autocannon(options: Options): Promise<Result>;
  export = autocannon;
}
