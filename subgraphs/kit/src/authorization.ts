import { Directive } from 'type-graphql';

/**
 * Federation 2.5's authorization directives, which the gateway enforces before it plans a query
 * (gateway/src/authorization.ts), as Apollo Router and Hive Gateway do. A department marks what
 * needs more than an open read; composition carries the marks into the supergraph.
 *
 * Lists of lists read as Apollo's: the caller passes when it satisfies every entry of at least one
 * inner list (`[['a', 'b'], ['c']]` is `(a AND b) OR c`).
 */
type Requirement = string[][];

type TypeOrField = MethodDecorator & PropertyDecorator & ClassDecorator;

const NAME = /^[^\s"\\]+$/;

function requirement(directive: string, argument: string, groups: Requirement): string {
  if (!Array.isArray(groups) || groups.length === 0 || groups.some((group) => !Array.isArray(group) || group.length === 0)) {
    throw new Error(`@${directive} needs at least one non-empty list, e.g. [['finance:read']]: an empty one could never be satisfied, or always would.`);
  }
  for (const name of groups.flat()) {
    if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`@${directive}: "${String(name)}" is not a name (no spaces, quotes or backslashes).`);
  }
  const list = groups.map((group) => `[${group.map((name) => JSON.stringify(name)).join(', ')}]`).join(', ');
  return `@${directive}(${argument}: [${list}])`;
}

/** `@authenticated`: only a caller with a verified token may read the type or field. */
export function Authenticated(): TypeOrField {
  return Directive('@authenticated') as TypeOrField;
}

/** `@requiresScopes(scopes: …)`: the token's `scope` claim must hold every scope of one of the lists. */
export function RequiresScopes(scopes: Requirement): TypeOrField {
  return Directive(requirement('requiresScopes', 'scopes', scopes)) as TypeOrField;
}

/**
 * `@policy(policies: …)`: the deployment's policy module (the gateway's AUTHORIZATION_POLICIES)
 * must grant every policy of one of the lists, e.g. `[['own-department']]`.
 */
export function Policy(policies: Requirement): TypeOrField {
  return Directive(requirement('policy', 'policies', policies)) as TypeOrField;
}

