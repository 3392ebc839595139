import type { IncomingMessage } from 'node:http';

/** Who is asking, as the gateway verified it from the bearer token. */
export interface Identity {
  sub: string;
  /** OAuth scopes, e.g. `finance:write`. */
  scopes: string[];
  /**
   * The token's `azp` (the OAuth client it was issued to), where it has one: the gateway's usage
   * reporting names a client by it when the request does not. Never passed on to subgraphs.
   */
  azp?: string;
}

/** The header in which the gateway passes the verified identity on to subgraphs. */
export const IDENTITY_HEADER = 'x-zigong-identity';

/** Who subgraphs are told is asking: `sub` and `scopes` only, so their checks and signatures see what they always saw. */
export function encodeIdentity(identity: Identity): string {
  return Buffer.from(JSON.stringify({ sub: identity.sub, scopes: identity.scopes }), 'utf8').toString('base64url');
}

/** The identity a request carries, or null; a malformed header counts as none. */
export function identityFrom(req: IncomingMessage): Identity | null {
  const header = req.headers[IDENTITY_HEADER];
  if (typeof header !== 'string') return null;
  try {
    const value = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (typeof value?.sub === 'string' && Array.isArray(value.scopes) && value.scopes.every((s: unknown) => typeof s === 'string')) {
      return { sub: value.sub, scopes: value.scopes };
    }
  } catch {
    // fall through
  }
  return null;
}
