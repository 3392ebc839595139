import { dirname } from 'node:path';
import { loadSubgraphConfig } from './config';
import type { AnyDepartment } from './department';
import { loadTracingConfig, onTermination, runMain, startTracing } from '@zigong/platform';
import { registeredPort } from './registry';
import { startSubgraph } from './server';
import { traceSql } from './sql-tracing';

/**
 * The whole of a department's `main.ts`: read config once, serve, stop cleanly on a signal. It
 * listens on PORT, or else on the port of its routing URL in supergraph.yaml (the registry in
 * the folder of its main module or above it), so the port is written in one place.
 */
export function serveDepartment(department: AnyDepartment): void {
  runMain(async () => {
    const from = require.main ? dirname(require.main.filename) : process.cwd();
    const defaultPort = process.env.PORT?.trim() ? undefined : registeredPort(department.name, from);
    const config = loadSubgraphConfig(process.env, defaultPort);
    const tracing = await startTracing(loadTracingConfig(department.name));
    if (tracing) traceSql();
    const running = await startSubgraph(department, config);
    onTermination(async () => {
      await running.stop();
      await tracing?.shutdown();
    });
  });
}
