import { type DepartmentContext, ErrorCode, notFound, parseDivisionCode, userError, Village } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { AgricultureLoaders } from './agriculture.loaders';
import { IndustrialPark, ParkProject } from './park.entity';
import { AddParkProjectInput, checkNewPark, checkNewProject, CreateIndustrialParkInput } from './park.inputs';
import { PARK_COLUMNS, PROJECT_COLUMNS } from './park.sql';
import { SupplyChain } from './supply-chain.entity';

type Context = DepartmentContext<AgricultureLoaders>;

export const WRITE_SCOPE = 'agriculture:write';

@Resolver(() => IndustrialPark)
export class IndustrialParkResolver {
  @Query(() => IndustrialPark, { nullable: true, description: 'An industrial park by id.' })
  industrialPark(@Arg('id', () => ID) id: string, @Ctx() { loaders }: Context): Promise<IndustrialPark | null> {
    return loaders.park.load(id);
  }

  @Query(() => [IndustrialPark], {
    description: 'The parks of every village at or below a region (any division code, city to village), or every park; by village, then name.',
  })
  industrialParks(@Arg('regionId', () => ID, { nullable: true }) regionId: string | null, @Ctx() { db }: Context): Promise<IndustrialPark[]> {
    const prefix = regionId ? parseDivisionCode(regionId).prefix : '';
    return db.query(
      `SELECT ${PARK_COLUMNS} FROM agriculture.industrial_park
        WHERE village_id LIKE $1 ORDER BY village_id, name, id`,
      [prefix + '%'],
    );
  }

  @FieldResolver(() => Village)
  village(@Root() park: IndustrialPark): Village {
    return { id: park.villageId };
  }

  @FieldResolver(() => [ParkProject], { description: 'Its projects, by phase.' })
  projects(@Root() park: IndustrialPark, @Ctx() { loaders }: Context): Promise<ParkProject[]> {
    return loaders.projectsOfPark.load(park.id);
  }

  @FieldResolver(() => [SupplyChain])
  supplyChains(@Root() park: IndustrialPark, @Ctx() { loaders }: Context): Promise<SupplyChain[]> {
    return loaders.supplyChainsOfPark.load(park.id);
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => IndustrialPark, { description: 'Creates a park in a village. CONFLICT where the village already has a park of that name.' })
  async createIndustrialPark(
    @Arg('input', () => CreateIndustrialParkInput) input: CreateIndustrialParkInput,
    @Ctx() { db, loaders }: Context,
  ): Promise<IndustrialPark> {
    const park = checkNewPark(input);
    const created = await db.transaction(async (tx) => {
      const [row]: IndustrialPark[] = await tx.query(
        `INSERT INTO agriculture.industrial_park (id, name, village_id, products) VALUES ($1, $2, $3, $4)
         ON CONFLICT (village_id, name) DO NOTHING RETURNING ${PARK_COLUMNS}`,
        [randomUUID(), park.name, park.villageId, park.products],
      );
      if (!row) {
        throw userError(ErrorCode.CONFLICT, `Village ${park.villageId} already has a park named "${park.name}".`, { field: 'name' });
      }
      return row;
    });
    loaders.parksOfVillage.clear(created.villageId);
    loaders.park.prime(created.id, created);
    return created;
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => ParkProject, { description: 'Adds a project (a phase) to a park. CONFLICT where the park already has that phase.' })
  async addParkProject(@Arg('input', () => AddParkProjectInput) input: AddParkProjectInput, @Ctx() { db, loaders }: Context): Promise<ParkProject> {
    const project = checkNewProject(input);
    const created = await db.transaction(async (tx) => {
      await requirePark(tx, project.parkId);
      const [row]: ParkProject[] = await tx.query(
        `INSERT INTO agriculture.park_project (id, park_id, name, phase) VALUES ($1, $2, $3, $4)
         ON CONFLICT (park_id, phase) DO NOTHING RETURNING ${PROJECT_COLUMNS}`,
        [randomUUID(), project.parkId, project.name, project.phase],
      );
      if (!row) {
        throw userError(ErrorCode.CONFLICT, `Park "${project.parkId}" already has a phase ${project.phase} project.`, { field: 'phase' });
      }
      return row;
    });
    loaders.projectsOfPark.clear(created.parkId);
    loaders.project.prime(created.id, created);
    return created;
  }
}

@Resolver(() => ParkProject)
export class ParkProjectResolver {
  @FieldResolver(() => IndustrialPark, { description: 'The park this project builds.' })
  async park(@Root() project: ParkProject, @Ctx() { loaders }: Context): Promise<IndustrialPark> {
    return (await loaders.park.load(project.parkId))!;
  }
}

/**
 * Fails with NOT_FOUND unless the park exists; the key-share lock keeps it from going away
 * before the caller's transaction commits.
 */
export async function requirePark(tx: EntityManager, parkId: string): Promise<void> {
  const rows: unknown[] = await tx.query(`SELECT 1 FROM agriculture.industrial_park WHERE id = $1 FOR KEY SHARE`, [parkId]);
  if (!rows.length) throw notFound('Industrial park', parkId);
}
