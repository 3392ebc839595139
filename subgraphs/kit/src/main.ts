import { loadSubgraphConfig } from './config';
import type { AnyDepartment } from './department';
import { onTermination, runMain } from '@zigong/platform';
import { startSubgraph } from './server';

/** The whole of a department's `main.ts`: read config once, serve, stop cleanly on a signal. */
export function serveDepartment(department: AnyDepartment, defaultPort: number): void {
  runMain(async () => {
    const running = await startSubgraph(department, loadSubgraphConfig(process.env, defaultPort));
    onTermination(running.stop);
  });
}
