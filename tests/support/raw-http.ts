import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';

/** What came back from a raw HTTP exchange: the status, the text, and the JSON when it parses. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json?: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; extensions?: Record<string, unknown> };
  durationMs: number;
}

export interface RawRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Sent as is; a Readable is sent chunked (no content-length), as a streaming client would. */
  body?: string | Buffer | Readable;
  timeoutMs?: number;
}

/**
 * One HTTP request over a fresh connection, with nothing normalised: bytes that are not UTF-8,
 * bodies larger than the server accepts, any content type or none. A server that answers and then
 * closes the connection while the body is still being sent (as a 413 does) still yields its answer.
 */
export function rawRequest({ url, method = 'POST', headers = {}, body, timeoutMs = 30_000 }: RawRequest): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const fixedLength = typeof body === 'string' || Buffer.isBuffer(body);
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method,
      agent: false,
      headers: fixedLength ? { 'content-length': String(Buffer.byteLength(body)), ...headers } : headers,
    });
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      settled = true;
      req.destroy();
      reject(new Error(`${method} ${url} got no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      res.on('close', () => {
        clearTimeout(grace);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: RawResponse['json'];
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, durationMs: performance.now() - started });
      });
    });
    req.on('error', (error) => {
      // EPIPE/ECONNRESET after the server answered and hung up mid-upload: the response wins. On a
      // loaded machine the answer can be read well after the write failed (200 ms lost one in CI).
      if (settled) return;
      grace = setTimeout(() => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      }, 2_000);
    });
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

/** `size` bytes of `fill`, streamed in 64 KiB chunks without a content-length. */
export function streamOf(size: number, fill = 'a'): Readable {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const next = chunk.subarray(0, Math.min(chunk.length, size - sent));
      sent += next.length;
      this.push(next);
    },
  });
}
