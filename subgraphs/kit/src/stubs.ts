import type DataLoader from 'dataloader';
import { Ctx, Directive, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import type { DepartmentContext } from './department';
import { ListSize, type ListSizeOptions } from './demand';

/*
 * Other departments' entities as a department that only points at them sees them: a federation
 * key and nothing else. A department lists the ones it uses (`defineDepartment({ stubs: [Village] })`);
 * the kit puts them in its schema and resolves their references to `{ id }`, and the department adds
 * its own fields to them with field resolvers (`@Resolver(() => Village)`). The gateway fetches every
 * other field from the owner. The descriptions are the owners'. A stub another department needs is
 * added here, once.
 */

/** What a department knows of another's entity: its key. */
export interface StubEntity {
  id: string;
}

/** A stub class: `@Resolver(() => Village)`, `@FieldResolver(() => Village)`, `stubs: [Village]`. */
export interface Stub {
  new (): StubEntity;
  readonly name: string;
}

function stub(name: string, description: string, idDescription?: string): Stub {
  @ObjectType(name, { description })
  @Directive('@key(fields: "id")')
  class StubType implements StubEntity {
    @Field(() => ID, { description: idDescription })
    id: string;
  }
  Object.defineProperty(StubType, 'name', { value: name });
  return StubType;
}

/** A village (organization); its id is the 12-digit division code. */
export const Village = stub('Village', 'A village (行政村), the unit that owns a collective economy.', 'The 12-digit statistical division code, e.g. 510302101201.');
export type Village = StubEntity;

/** A city, district, county or town (organization); its id is the 12-digit division code. */
export const Region = stub(
  'Region',
  'A city, district, county or town: the administrative tree above the villages.',
  'The 12-digit statistical division code, e.g. 510302000000.',
);
export type Region = StubEntity;

/** A collective-economy task force (organization). */
export const TaskForce = stub('TaskForce', 'A collective-economy development task force (集体经济专班).');
export type TaskForce = StubEntity;

/** A project of an industrial park (agriculture), e.g. phase 2 of Gantang's laying-hen farm. */
export const ParkProject = stub('ParkProject', 'A construction project (a phase) of an industrial park, e.g. phase 2 of a laying-hen farm.');
export type ParkProject = StubEntity;

/** Every stub the kit offers. */
export const STUBS: readonly Stub[] = [Village, Region, TaskForce, ParkProject];

export interface StubFieldOptions {
  description?: string;
  nullable?: boolean;
  /** A list field's size for demand control (see `ListSize`). */
  listSize?: ListSizeOptions;
}

/**
 * A resolver class that adds one field to a stub, answered by one of the department's loaders from
 * the entity's id: in agriculture, `stubField(Village, 'industrialParks', () => [IndustrialPark],
 * (loaders: AgricultureLoaders) => loaders.parksOfVillage)`. Listed with the department's resolvers.
 */
export function stubField<Loaders extends object>(
  stub: Stub,
  name: string,
  type: () => object,
  loader: (loaders: Loaders) => DataLoader<string, unknown>,
  { listSize, ...options }: StubFieldOptions = {},
): Function {
  @Resolver(() => stub)
  class StubFieldResolver {
    @FieldResolver(type, { ...options, name })
    resolve(@Root() entity: StubEntity, @Ctx() { loaders }: DepartmentContext<Loaders>): Promise<unknown> {
      return loader(loaders).load(entity.id);
    }
  }
  if (listSize) ListSize(listSize)(StubFieldResolver.prototype, 'resolve', Object.getOwnPropertyDescriptor(StubFieldResolver.prototype, 'resolve')!);
  Object.defineProperty(StubFieldResolver, 'name', { value: `${stub.name}${name[0].toUpperCase()}${name.slice(1)}Resolver` });
  return StubFieldResolver;
}
