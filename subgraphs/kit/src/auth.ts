import type { IncomingMessage } from 'node:http';
import type { AuthChecker } from 'type-graphql';
import type { DepartmentContext } from './department';
import { ErrorCode, userError } from './errors';

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

/**
 * type-graphql's check for `@Authorized('<department>:write')`: every listed scope is required.
 * Declared on each mutation, so a request that reaches a subgraph by any route is checked.
 */
export const scopeChecker: AuthChecker<DepartmentContext> = ({ context }, scopes) => {
  const identity = context.identity;
  if (!identity) {
    throw userError(ErrorCode.UNAUTHENTICATED, `Sign in first: this operation needs a bearer token with the scope "${scopes.join(' ')}".`);
  }
  const missing = scopes.filter((scope) => !identity.scopes.includes(scope));
  if (missing.length) {
    throw userError(ErrorCode.FORBIDDEN, `This operation needs the scope "${missing.join(' ')}", which the token of "${identity.sub}" does not grant.`);
  }
  return true;
};
