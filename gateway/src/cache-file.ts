import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What a gateway keeps on disk from the registry (the supergraph, the active app manifests), so a
 * restart while the registry is down still serves. Written whole to a temporary file, then renamed
 * over the old copy: a crash leaves the old copy or the new, never half of one.
 */
export function keepFile(path: string, content: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, JSON.stringify(content));
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** The kept JSON, or undefined when there is none; throws when it cannot be read. */
export function readKeptFile(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}
