import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLSchema, parse } from 'graphql';
import { buildSchema, createResolversMap } from 'type-graphql';
import type { AnyDepartment } from './department';
import { DateScalar, DecimalScalar } from '@zigong/platform';
import { scopeChecker } from './auth';

/** Federation 2 directives any department may use in `@Directive(...)`. */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", ' +
  'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@override"])\n\n';

export interface SubgraphSchema {
  schema: GraphQLSchema;
  /** The subgraph's SDL as composition reads it. */
  sdl: string;
}

/**
 * type-graphql classes → SDL with federation directives → `buildSubgraphSchema`, with the
 * department's reference resolvers merged in. The one place federation plumbing lives.
 */
export async function buildDepartmentSchema(department: AnyDepartment): Promise<SubgraphSchema> {
  const typeGraphQLSchema = await buildSchema({
    resolvers: department.resolvers,
    orphanedTypes: department.orphanedTypes,
    scalarsMap: [],
    skipCheck: true,
    validate: false,
    authChecker: scopeChecker,
  });
  const sdl = FEDERATION_LINK + printSchemaWithDirectives(typeGraphQLSchema);
  const resolvers = createResolversMap(typeGraphQLSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolve] of Object.entries(department.references ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), __resolveReference: resolve } as never;
  }
  for (const scalar of [DecimalScalar, DateScalar]) {
    if (typeGraphQLSchema.getType(scalar.name)) resolvers[scalar.name] = scalar as never;
  }
  return { schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers }), sdl };
}
