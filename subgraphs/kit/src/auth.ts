import type { AuthChecker } from 'type-graphql';
import type { DepartmentContext } from './department';
import { ErrorCode, userError } from '@zigong/platform';

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
