// Uploads too-large bodies from a process of its own and prints what came back, one line per upload.
// A client in the server's own process reads in step with it and hides the lost-answer race this
// looks for: a server that closes while the client is still uploading.
import { request } from 'node:http';
import { Readable } from 'node:stream';

const [url, count, mode] = process.argv.slice(2);
const SIZE = 10_000_000;

/** SIZE bytes in 64 KiB chunks, without a content-length (sent chunked). */
function* chunks() {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  for (let sent = 0; sent < SIZE; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, SIZE - sent));
}

function upload() {
  return new Promise((resolve) => {
    const target = new URL(url);
    const declared = mode === 'declared';
    const headers = { 'content-type': 'application/json', ...(declared ? { 'content-length': String(SIZE) } : {}) };
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false, headers });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('close', () => resolve(String(res.statusCode)));
    });
    // A write error after the answer arrived is expected (the server hung up); without an answer it is the bug.
    req.on('error', (error) => setTimeout(() => answered || resolve(error.code ?? error.message), 2_000));
    if (declared) req.end(Buffer.alloc(SIZE, 'a'));
    else Readable.from(chunks()).pipe(req);
  });
}

for (let i = 0; i < Number(count); i++) console.log(await upload());
