import type { IncomingMessage } from 'node:http';

/** Who is asking, as the gateway verified it from the bearer token. */
export interface Identity {
  sub: string;
  /** OAuth scopes, e.g. `finance:write`. */
  scopes: string[];
}

/** The header in which the gateway passes the verified identity on to subgraphs. */
export const IDENTITY_HEADER = 'x-zigong-identity';

export function encodeIdentity(identity: Identity): string {
  return Buffer.from(JSON.stringify(identity), 'utf8').toString('base64url');
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
