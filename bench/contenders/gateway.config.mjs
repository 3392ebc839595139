// Hive Gateway with in-flight deduplication of subgraph requests turned off, for the bench's
// second Hive contender (its default has it on). Loaded when the gateway starts in this folder.
export const gatewayConfig = {
  transportEntries: { '*.http': { options: { deduplicateInflightRequests: process.env.HIVE_DEDUPE !== 'off' } } },
};
