// Hive Gateway for the bench: the same supergraph and subgraphs, with what the subgraphs demand of
// any gateway (the caller's identity header passed on, each request signed with the shared
// secret, as our gateway does), and in-flight deduplication of subgraph requests on (its
// default) or off (HIVE_DEDUPE=off). Loaded when the gateway starts in this folder.
//
// HIVE_RUNTIME=router: the Rust query planner of Hive Router through @graphql-hive/router-runtime,
// configured as The Guild documents it (`unifiedGraphHandler` in the gateway's config). The bench
// checks that it is in use from the line this config logs when Hive builds its unified graph with
// it, and from the subgraph requests of a probe request (`x-bench-probe`), which differ from the
// default (stitching) runtime's.
import { signatureFor } from '@zigong/platform/dist/signing.js';

const secret = process.env.GATEWAY_SIGNING_SECRET;

const routerRuntime = process.env.HIVE_RUNTIME === 'router' ? await import('@graphql-hive/router-runtime') : undefined;

export const gatewayConfig = {
  ...(routerRuntime && {
    unifiedGraphHandler: (options) => {
      console.warn(JSON.stringify({ bench: 'router-runtime', msg: 'unified graph handled by @graphql-hive/router-runtime' }));
      return routerRuntime.unifiedGraphHandler(options);
    },
  }),
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: process.env.HIVE_DEDUPE !== 'off' } } },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const identity = request.headers.get('x-zigong-identity');
      return identity ? { 'x-zigong-identity': identity } : {};
    },
  },
  plugins: () => [
    {
      onFetch({ url, options, setOptions, context }) {
        if (context?.request?.headers?.get?.('x-bench-probe')) {
          console.warn(JSON.stringify({ bench: 'probe', url, body: options.body }));
        }
        if (!secret || typeof options.body !== 'string') return;
        const given = options.headers ?? {};
        const headers = typeof given.entries === 'function' ? Object.fromEntries(given.entries()) : { ...given };
        setOptions({ ...options, headers: { ...headers, ...signatureFor(secret, url, { ...options, headers }) } });
      },
    },
  ],
};
