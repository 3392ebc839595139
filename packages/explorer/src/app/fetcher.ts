import type { Fetcher } from '@graphiql/toolkit';

/** The gateway's GraphQL endpoint, on the origin that served the page. */
export const ENDPOINT = '/graphql';

/**
 * Plain JSON over POST to the same origin. GraphiQL's stock fetcher also speaks websockets and
 * multipart, which the gateway does not offer; this one keeps the page's network use to the one
 * endpoint the Content-Security-Policy allows, and turns a non-JSON answer (a proxy's error
 * page, say) into a readable GraphQL error instead of a parse failure.
 */
export const fetcher: Fetcher = async (params, options) => {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...options?.headers },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return {
      errors: [{ message: `The gateway answered ${response.status} ${response.statusText} without JSON: ${text.slice(0, 300)}` }],
    };
  }
};
