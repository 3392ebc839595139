import type { Identity } from '@zigong/platform';
import { RegistryErrorCode, registryError } from './errors';

/** The scope that may do everything, rollback included. */
export const ADMIN_SCOPE = 'registry:admin';
export const READ_SCOPE = 'registry:read';
/** `<subgraph>:publish`: publish, check and delete that subgraph only. */
export const publishScope = (subgraph: string) => `${subgraph}:publish`;
const PUBLISH_SCOPE = /^[a-z][a-z0-9]*:publish$/;

/** Whether the identity holds any registry scope: registry:read, registry:admin or any `<x>:publish`. */
export function hasRegistryScope(identity: Identity | null): boolean {
  return !!identity && identity.scopes.some((scope) => scope === READ_SCOPE || scope === ADMIN_SCOPE || PUBLISH_SCOPE.test(scope));
}

/** Any valid token: asked first, so an anonymous caller learns nothing else. */
export function requireSignedIn(identity: Identity | null): Identity {
  if (!identity) throw registryError(RegistryErrorCode.UNAUTHENTICATED, 'Sign in: the registry needs a bearer token (Authorization: Bearer <token>).');
  return identity;
}

function forbidden(requiredScope: string, what: string) {
  return registryError(RegistryErrorCode.FORBIDDEN, `${what} needs the scope ${requiredScope}${requiredScope === ADMIN_SCOPE ? '' : ` (or ${ADMIN_SCOPE})`}.`, { requiredScope });
}

/** Reads need any registry scope. */
export function requireReader(identity: Identity | null): Identity {
  const who = requireSignedIn(identity);
  if (!hasRegistryScope(who)) throw forbidden(READ_SCOPE, 'Reading the registry');
  return who;
}

/** Publishing, checking and deleting a subgraph need its `<subgraph>:publish`, or registry:admin. */
export function requirePublisher(identity: Identity | null, subgraph: string): Identity {
  const who = requireSignedIn(identity);
  if (!who.scopes.includes(ADMIN_SCOPE) && !who.scopes.includes(publishScope(subgraph))) {
    throw forbidden(publishScope(subgraph), `Changing the subgraph ${subgraph}`);
  }
  return who;
}

export function requireAdmin(identity: Identity | null, what: string): Identity {
  const who = requireSignedIn(identity);
  if (!who.scopes.includes(ADMIN_SCOPE)) throw forbidden(ADMIN_SCOPE, what);
  return who;
}
