import type { PolicyRequest } from './authorization';

/**
 * The policies this repository ships (the default AUTHORIZATION_POLICIES). A deployment that
 * needs others writes a module of its own exporting `decide` the same way, and names its path.
 *
 * - `own-department`: a department's own records only. Granted when the caller's scopes include
 *   `<department>:read` (or `:write`) for a department (subgraph) that resolves the guarded type
 *   or field, e.g. `finance:read` for a finance field.
 *
 * Any other policy name is refused: a policy nobody wrote grants nothing.
 */
export function decide({ policy, identity, subgraphs }: PolicyRequest): boolean {
  if (!identity) return false;
  if (policy === 'own-department') return subgraphs.some((department) => identity.scopes.includes(`${department}:read`) || identity.scopes.includes(`${department}:write`));
  return false;
}
