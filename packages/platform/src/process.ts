import { ConfigError } from './env';
import { PortInUseError } from './http';

/**
 * One guarded shutdown path for SIGINT and SIGTERM: the first signal stops gracefully, a second
 * one forces the exit.
 */
export function onTermination(stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`shutdown after ${signal} failed:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  // Started by a supervisor with an IPC channel (the local runner): if it dies, we go too.
  if (process.connected) process.on('disconnect', () => handle('SIGTERM'));
}

/** Runs an entry point; known start-up failures print one clear line instead of a stack trace. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof PortInUseError) console.error(error.message);
    else console.error(error);
    process.exit(1);
  });
}
