import type { SupergraphManager } from '@apollo/gateway';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '@zigong/platform';

export const supergraphHash = (sdl: string) => createHash('sha256').update(sdl).digest('hex').slice(0, 16);

export interface SupergraphSource {
  manager: SupergraphManager;
  /** Hash of the supergraph now being served. */
  current(): string;
}

/**
 * Serves the supergraph from a file (watched by polling its status, which also sees a
 * Kubernetes ConfigMap's symlink swap) or from a URL (polled). A new supergraph is swapped in
 * without a restart; requests in flight finish on the old one. One that does not load is
 * logged and refused, and the old one keeps serving.
 */
export function supergraphSource({ path, url, pollMs, logger }: { path?: string; url?: string; pollMs: number; logger: Logger }): SupergraphSource {
  let hash = '';
  const read = async (): Promise<string> => {
    if (url) {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
      return response.text();
    }
    if (!existsSync(path!)) throw new Error(`No supergraph at ${path}: run \`npm run compose\` first.`);
    return readFileSync(path!, 'utf8');
  };
  const manager: SupergraphManager = {
    async initialize({ update }) {
      const supergraphSdl = await read();
      hash = supergraphHash(supergraphSdl);
      // A refused supergraph is not tried again until its content changes.
      let rejected = '';
      const consider = async () => {
        let sdl: string;
        try {
          sdl = await read();
        } catch (error) {
          logger.warn({ err: error }, 'supergraph source unreadable; keeping the current supergraph');
          return;
        }
        const next = supergraphHash(sdl);
        if (next === hash || next === rejected) return;
        try {
          update(sdl);
          logger.info({ from: hash, to: next }, 'supergraph replaced');
          hash = next;
          rejected = '';
        } catch (error) {
          logger.error({ err: error, rejected: next }, 'new supergraph refused; keeping the current one');
          rejected = next;
        }
      };
      const check = () => void consider();
      let timer: NodeJS.Timeout | undefined;
      if (url) timer = setInterval(check, pollMs);
      else watchFile(path!, { interval: pollMs }, check);
      return {
        supergraphSdl,
        cleanup: async () => {
          if (timer) clearInterval(timer);
          else unwatchFile(path!, check);
        },
      };
    },
  };
  return { manager, current: () => hash };
}
