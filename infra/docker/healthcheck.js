'use strict';
/**
 * The image's HEALTHCHECK, for whichever service the container runs: GET /health on this
 * container's own port. Subgraphs listen on PORT, the registry on REGISTRY_PORT, the gateway on
 * GATEWAY_PORT; HEALTHCHECK_PORT overrides them. Plain node (no curl in the slim image), exit 0
 * when healthy.
 */
const port = process.env.HEALTHCHECK_PORT || process.env.PORT || process.env.REGISTRY_PORT || process.env.GATEWAY_PORT || '4000';

fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
