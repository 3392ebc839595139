import pino, { type Logger } from 'pino';
import type { LogLevel } from './env';

export type { Logger };

/** JSON lines on stdout, one logger per process, named after the service. */
export function createLogger(service: string, level: LogLevel): Logger {
  return pino({ name: service, level, base: { service } });
}
