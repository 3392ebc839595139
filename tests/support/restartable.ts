import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in server that can go down (connections refused, as a killed registry) and come back
 * on the same port: the first start takes a free port, later starts take it again.
 */
export function restartable(server: Server) {
  let port = 0;
  const start = () =>
    new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        port = (server.address() as AddressInfo).port;
        done();
      });
    });
  const down = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  return { start, down, port: () => port, close: () => (server.listening ? down() : Promise.resolve()) };
}
