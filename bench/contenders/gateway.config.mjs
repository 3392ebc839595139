// Hive Gateway for the bench: the same supergraph and subgraphs, with what the subgraphs demand of
// any gateway (the caller's identity header passed on, each request signed with the shared
// secret, as our gateway does), and in-flight deduplication of subgraph requests on (its
// default) or off (HIVE_DEDUPE=off). Loaded when the gateway starts in this folder.
import { createHmac } from 'node:crypto';

const secret = process.env.GATEWAY_SIGNING_SECRET;
const sign = (body) => {
  const t = Date.now();
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
};

export const gatewayConfig = {
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: process.env.HIVE_DEDUPE !== 'off' } } },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const identity = request.headers.get('x-zigong-identity');
      return identity ? { 'x-zigong-identity': identity } : {};
    },
  },
  plugins: () => [
    {
      onFetch({ options, setOptions }) {
        if (!secret || typeof options.body !== 'string') return;
        const given = options.headers ?? {};
        const headers = typeof given.entries === 'function' ? Object.fromEntries(given.entries()) : { ...given };
        setOptions({ ...options, headers: { ...headers, 'x-zigong-signature': sign(options.body) } });
      },
    },
  ],
};
