import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Jest does not start node with --expose-gc; turning the flag on at run time lets a new context see gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync' }) => void;

/** Bytes of heap in use after full garbage collections: what is really still held. */
export async function collectGarbage(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    gc();
    // Let finalizers and closed sockets release what they hold before the next round.
    await new Promise((done) => setImmediate(done));
  }
  return process.memoryUsage().heapUsed;
}
