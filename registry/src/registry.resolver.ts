import type { Identity } from '@zigong/platform';
import { GraphQLScalarType, Kind } from 'graphql';
import { requireAdmin, requirePublisher, requireReader, requireSignedIn } from './access';
import type { CompositionEntity } from './entities/composition.entity';
import type { VariantEntity } from './entities/variant.entity';
import type { CheckInput, PublishInput, RegistryService } from './registry.service';
import type { UsageRulesInput } from './usage';
import { requireSubgraphName } from './validation';

export interface RegistryContext {
  identity: Identity | null;
}

type Args<T> = (parent: unknown, args: T, context: RegistryContext) => unknown;

/** An instant, as ISO 8601 text in UTC. */
const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  parseValue: (value) => new Date(String(value)),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? new Date(ast.value) : null),
});

/**
 * The resolvers of registry.graphql: who may do what is decided here (the scopes of access.ts),
 * what is done is the service's. A subgraph's name is checked before the scope it implies is.
 */
export function registryResolvers(service: RegistryService, { allowAnonymousReads = false } = {}) {
  const reader = <T>(resolve: (args: T) => unknown): Args<T> => (_parent, args, { identity }) => {
    // A token that came is always judged: only its absence may be let through.
    if (identity || !allowAnonymousReads) requireReader(identity);
    return resolve(args);
  };
  const publisher = (identity: Identity | null, subgraph: string) => {
    requireSignedIn(identity);
    requireSubgraphName(subgraph);
    return requirePublisher(identity, subgraph);
  };
  return {
    DateTime,
    Query: {
      variants: reader(() => service.variants()),
      variant: reader<{ name: string }>(({ name }) => service.variant(name)),
      subgraphVersions: reader<{ variant: string; subgraph: string; first?: number | null }>(({ variant, subgraph, first }) =>
        service.subgraphVersions(variant, subgraph, first ?? undefined),
      ),
      subgraphVersion: reader<{ id: string }>(({ id }) => service.subgraphVersion(id)),
      diff: reader<{ from: string; to: string }>(({ from, to }) => service.diff(from, to)),
      composition: reader<{ id: string }>(({ id }) => service.composition(id)),
      history: reader<{ variant: string; subgraph?: string | null; first?: number | null }>(({ variant, subgraph, first }) =>
        service.history(variant, subgraph, first ?? undefined),
      ),
      fieldUsage: reader<{ variant: string; coordinate: string; since?: string | null }>(({ variant, coordinate, since }) =>
        service.fieldUsage(variant, coordinate, since ?? undefined),
      ),
      deprecations: reader<{ variant: string; since?: string | null }>(({ variant, since }) => service.deprecations(variant, since ?? undefined)),
      usageRules: reader<{ variant: string }>(({ variant }) => service.usageRules(variant)),
    },
    Mutation: {
      publish: (_: unknown, { input }: { input: PublishInput }, { identity }: RegistryContext) =>
        service.publish(input, publisher(identity, input.subgraph).sub),
      check: (_: unknown, { input }: { input: CheckInput }, { identity }: RegistryContext) => {
        publisher(identity, input.subgraph);
        return service.check(input);
      },
      deleteSubgraph: (_: unknown, { variant, subgraph }: { variant: string; subgraph: string }, { identity }: RegistryContext) =>
        service.deleteSubgraph(variant, subgraph, publisher(identity, subgraph).sub),
      rollback: (_: unknown, { variant, to }: { variant: string; to: string }, { identity }: RegistryContext) =>
        service.rollback(variant, to, requireAdmin(identity, 'A rollback').sub),
      setUsageRules: (_: unknown, { variant, rules }: { variant: string; rules: UsageRulesInput }, { identity }: RegistryContext) =>
        service.setUsageRules(variant, rules, requireAdmin(identity, 'Setting the usage rules').sub),
    },
    Variant: {
      current: (variant: VariantEntity) => service.compositionOf(variant),
      subgraphs: (variant: VariantEntity) => service.versionsOf(variant.currentCompositionId),
    },
    Composition: {
      subgraphs: (composition: CompositionEntity) => service.versionsOf(composition.id),
      current: (composition: CompositionEntity) => service.isCurrent(composition),
    },
  };
}
