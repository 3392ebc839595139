import 'reflect-metadata';
import { Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { Authenticated, Policy, RequiresScopes } from './authorization';
import { defineDepartment } from './department';
import { buildDepartmentSchema } from './federation';

@Authenticated()
@ObjectType()
class Dossier {
  @Field(() => ID) id: string;

  @RequiresScopes([['organization:personnel'], ['organization:admin', 'audit:read']])
  @Field({ nullable: true })
  background?: string;

  @Policy([['own-department']])
  @Field()
  notes: string;
}

@Resolver(() => Dossier)
class DossierResolver {
  @Authenticated()
  @Query(() => [Dossier])
  dossiers(): Dossier[] {
    return [];
  }
}

describe('the authorization decorators', () => {
  it('print federation 2.5’s directives into the subgraph SDL, imported in its @link', async () => {
    const { sdl } = await buildDepartmentSchema(defineDepartment({ name: 'dossiers', resolvers: [DossierResolver], entities: [], migrations: [], createLoaders: () => ({}) }));
    expect(sdl).toMatch(/import: \[[^\]]*"@authenticated", "@requiresScopes", "@policy"\]/);
    expect(sdl).toMatch(/type Dossier @authenticated \{/);
    expect(sdl).toContain('background: String @requiresScopes(scopes: [["organization:personnel"], ["organization:admin", "audit:read"]])');
    expect(sdl).toContain('notes: String! @policy(policies: [["own-department"]])');
    expect(sdl).toContain('dossiers: [Dossier!]! @authenticated');
  });

  it('refuse requirements that could never, or always would, be met', () => {
    expect(() => RequiresScopes([])).toThrow(/at least one non-empty list/);
    expect(() => RequiresScopes([[]])).toThrow(/at least one non-empty list/);
    expect(() => Policy([['has space']])).toThrow(/is not a name/);
  });
});
