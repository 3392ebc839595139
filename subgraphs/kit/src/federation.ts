import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { MapperKind, mapSchema, printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLObjectType, GraphQLSchema, parse } from 'graphql';
import { buildSchema, createResolversMap, getMetadataStorage } from 'type-graphql';
import { refId, type AnyDepartment } from './department';
import { DateScalar, DecimalScalar } from '@zigong/platform';
import { scopeChecker } from './auth';

/**
 * Federation 2 directives any department may use in `@Directive(...)`; 2.9 brings demand
 * control's `@cost` and `@listSize` (the kit's `Cost` and `ListSize`), and 2.5 the authorization
 * directives (the kit's `Authenticated`, `RequiresScopes`, `Policy`), which compose natively.
 */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", ' +
  'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@override", "@cost", "@listSize", "@authenticated", "@requiresScopes", "@policy"])\n\n';

export interface SubgraphSchema {
  schema: GraphQLSchema;
  /** The subgraph's SDL as composition reads it. */
  sdl: string;
}

/**
 * type-graphql classes → SDL with federation directives → `buildSubgraphSchema`, with the
 * department's reference resolvers, and its stubs' (`{ id }`), merged in. The one place
 * federation plumbing lives.
 */
export async function buildDepartmentSchema(department: AnyDepartment): Promise<SubgraphSchema> {
  const stubs = department.stubs ?? [];
  const build = (orphanedTypes: Function[] = []) => {
    forgetAddedFields();
    return buildSchema({
      resolvers: department.resolvers,
      orphanedTypes: [...(department.orphanedTypes ?? []), ...orphanedTypes],
      scalarsMap: [],
      skipCheck: true,
      validate: false,
      authChecker: scopeChecker,
    });
  };
  let typeGraphQLSchema = await build();
  // A stub that only receives fields (no field returns it) is reachable from nothing: add it.
  const unreached = stubs.filter((stub) => !typeGraphQLSchema.getType(stub.name));
  if (unreached.length) typeGraphQLSchema = await build(unreached);
  const printed = department.describeStubs === false ? withoutDescriptions(typeGraphQLSchema, new Set(stubs.map((stub) => stub.name))) : typeGraphQLSchema;
  const sdl = FEDERATION_LINK + printSchemaWithDirectives(printed);
  const resolvers = createResolversMap(typeGraphQLSchema) as GraphQLResolverMap<unknown>;
  const references = { ...Object.fromEntries(stubs.map((stub) => [stub.name, (ref: Parameters<typeof refId>[0]) => ({ id: refId(ref) })])), ...department.references };
  for (const [typeName, resolve] of Object.entries(references)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), __resolveReference: resolve } as never;
  }
  for (const scalar of [DecimalScalar, DateScalar]) {
    if (typeGraphQLSchema.getType(scalar.name)) resolvers[scalar.name] = scalar as never;
  }
  return { schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers }), sdl };
}

/**
 * type-graphql keeps, on a class's metadata, the fields that field resolvers added to it in the
 * last schema it built, and adds them to every later schema in the process. Several departments
 * add fields to the same stub (agriculture's and tourism's to `Village`) and one process may build
 * them all (composition, tests), so each build starts from the classes' own fields.
 */
function forgetAddedFields(): void {
  const storage = getMetadataStorage();
  for (const type of [...storage.objectTypes, ...storage.interfaceTypes]) delete type.fields;
}

/** The schema with the named types, and their `id`, printed without a description. */
function withoutDescriptions(schema: GraphQLSchema, typeNames: Set<string>): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      if (!typeNames.has(type.name)) return type;
      const config = type.toConfig();
      return new GraphQLObjectType({ ...config, description: undefined, fields: { ...config.fields, id: { ...config.fields.id, description: undefined } } });
    },
  });
}
