import { createServer } from 'node:http';

/**
 * The collector the traced contender exports to: it takes OTLP/HTTP exports as a collector does
 * and keeps only their count and size (GET /stats), the proof that tracing was on. It stands in
 * for a collector on another machine, so its CPU is not charged to the contender.
 */
let received = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exports: received, bytes }));
    return;
  }
  let size = 0;
  req.on('data', (chunk: Buffer) => (size += chunk.length));
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/v1/traces') {
      received++;
      bytes += size;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } else res.writeHead(404).end();
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('disconnect', () => process.exit(0));
