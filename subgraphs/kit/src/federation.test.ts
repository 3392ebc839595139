import 'reflect-metadata';
import { graphql } from 'graphql';
import { FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { type AnyDepartment, defineDepartment } from './department';
import { buildDepartmentSchema } from './federation';
import { Region, stubField, Village } from './stubs';

/*
 * Stubs are shared classes: two departments add fields to the kit's one `Village`, and one process
 * (composition, the e2e tests) builds both schemas. Each must get its own fields and no other's.
 */

@Resolver(() => Village)
class VillageLength {
  @FieldResolver(() => Int)
  idLength(@Root() village: Village): number {
    return village.id.length;
  }

  @Query(() => Village)
  someVillage(): Village {
    return { id: '510302101201' };
  }
}

@Resolver(() => Village)
class VillageEcho {
  @FieldResolver(() => String, { description: 'The id again.' })
  echo(@Root() village: Village): string {
    return village.id;
  }

  @Query(() => [Region])
  regions(): Region[] {
    return [];
  }
}

const department = (name: string, resolvers: AnyDepartment['resolvers'], more: Partial<AnyDepartment> = {}) =>
  defineDepartment({ name, resolvers, entities: [], migrations: [], createLoaders: () => ({}), ...more });

const lengths = department('lengths', [VillageLength], { stubs: [Village] });
const echoes = department('echoes', [VillageEcho], { stubs: [Village, Region], describeStubs: false });

describe('stubs from the kit', () => {
  it('give each department the fields it adds to a shared stub, and no other department’s', async () => {
    for (let round = 0; round < 2; round++) {
      const first = await buildDepartmentSchema(lengths);
      const second = await buildDepartmentSchema(echoes);
      expect(first.sdl).toContain('idLength: Int!');
      expect(first.sdl).not.toContain('echo');
      expect(second.sdl).toContain('echo: String!');
      expect(second.sdl).not.toContain('idLength');
    }
  });

  it('are federation entities whose references resolve to their id, as a string', async () => {
    const { schema, sdl } = await buildDepartmentSchema(lengths);
    expect(sdl).toMatch(/type Village @key\(fields: "id"\) \{/);
    const result = await graphql({
      schema,
      source: `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Village { id idLength } } }`,
      variableValues: { reps: [{ __typename: 'Village', id: 510302101201 }] },
      contextValue: {},
    });
    expect(result).toEqual({ data: { _entities: [{ id: '510302101201', idLength: 12 }] } });
  });

  it('carry their owners’ descriptions, unless the department asks for bare keys', async () => {
    const described = (await buildDepartmentSchema(lengths)).sdl;
    expect(described).toContain('"""A village (行政村), the unit that owns a collective economy."""\ntype Village');
    expect(described).toContain('"""The 12-digit statistical division code, e.g. 510302101201."""\n  id: ID!');
    const bare = (await buildDepartmentSchema(echoes)).sdl;
    expect(bare).toMatch(/\ntype Village @key\(fields: "id"\) \{\n {2}id: ID!\n {2}"""The id again\."""\n {2}echo: String!\n\}/);
    expect(bare).toMatch(/\ntype Region @key\(fields: "id"\) \{\n {2}id: ID!\n\}/);
  });

  it('are in the schema even where no field returns them', async () => {
    const { sdl } = await buildDepartmentSchema(department('extender', [VillageEcho], { stubs: [Village, Region] }));
    expect(sdl).toContain('echo: String!');
    expect(sdl).toMatch(/type Region @key/);
  });

  it('take a field from a loader keyed by their id (stubField)', async () => {
    const lengths = { idLength: { load: async (id: string) => id.length } };
    const field = stubField(Village, 'loadedLength', () => Int, (loaders: typeof lengths) => loaders.idLength as never, { description: 'From a loader.' });
    const { schema, sdl } = await buildDepartmentSchema(department('loaded', [VillageLength, field], { stubs: [Village] }));
    expect(sdl).toContain('"""From a loader."""\n  loadedLength: Int!');
    const result = await graphql({ schema, source: '{ someVillage { loadedLength } }', contextValue: { loaders: lengths } });
    expect(result).toEqual({ data: { someVillage: { loadedLength: 12 } } });
  });

  it('are refused where they are not the kit’s, or where the department resolves them itself', () => {
    class Imitation {
      id: string;
    }
    expect(() => department('fakes', [VillageLength], { stubs: [Imitation] })).toThrow(/stubs must be the kit's stub classes \(Village, Region, TaskForce, ParkProject\); Imitation is not/);
    expect(() => department('twice', [VillageLength], { stubs: [Village], references: { Village: () => null } })).toThrow(
      /Village is a stub, whose reference resolver comes from the kit; take it out of references/,
    );
  });
});
