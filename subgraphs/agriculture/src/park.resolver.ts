import { type DepartmentContext, ErrorCode, notFound, parseDivisionCode, QueryById, userError, Village, written, ListSize } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { DataSource } from 'typeorm';
import type { AgricultureLoaders } from './agriculture.loaders';
import { IndustrialPark, ParkProject } from './park.entity';
import { AddParkProjectInput, checkNewPark, checkNewProject, CreateIndustrialParkInput } from './park.inputs';
import { PARK_COLUMNS, PROJECT_COLUMNS } from './park.sql';
import { SupplyChain } from './supply-chain.entity';

type Context = DepartmentContext<AgricultureLoaders>;

export const WRITE_SCOPE = 'agriculture:write';

@Resolver(() => IndustrialPark)
export class IndustrialParkResolver extends QueryById(IndustrialPark, 'industrialPark', (loaders: AgricultureLoaders) => loaders.park, 'An industrial park by id.') {

  // Every park of the city when regionId is omitted; grows with createIndustrialPark. Assumed, not enforced.
  @ListSize({ assumedSize: 500 })
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

  @ListSize({ assumedSize: 10 })
  @FieldResolver(() => [ParkProject], { description: 'Its projects, by phase.' })
  projects(@Root() park: IndustrialPark, @Ctx() { loaders }: Context): Promise<ParkProject[]> {
    return loaders.projectsOfPark.load(park.id);
  }

  @ListSize({ assumedSize: 10 })
  @FieldResolver(() => [SupplyChain])
  supplyChains(@Root() park: IndustrialPark, @Ctx() { loaders }: Context): Promise<SupplyChain[]> {
    return loaders.supplyChainsOfPark.load(park.id);
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => IndustrialPark, { description: 'Creates a park in a village. CONFLICT where the village already has a park of that name.' })
  async createIndustrialPark(@Arg('input') input: CreateIndustrialParkInput, @Ctx() { db, loaders }: Context): Promise<IndustrialPark> {
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
    return written(created, loaders.park, loaders.parksOfVillage, created.villageId);
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => ParkProject, { description: 'Adds a project (a phase) to a park. CONFLICT where the park already has that phase.' })
  async addParkProject(@Arg('input') input: AddParkProjectInput, @Ctx() { db, loaders }: Context): Promise<ParkProject> {
    const project = checkNewProject(input);
    const created = await insertIntoPark<ParkProject>(
      db,
      project.parkId,
      `INSERT INTO agriculture.park_project (id, park_id, name, phase) VALUES ($1, $2, $3, $4)
       ON CONFLICT (park_id, phase) DO NOTHING RETURNING ${PROJECT_COLUMNS}`,
      [randomUUID(), project.parkId, project.name, project.phase],
    );
    if (!created) {
      throw userError(ErrorCode.CONFLICT, `Park "${project.parkId}" already has a phase ${project.phase} project.`, { field: 'phase' });
    }
    return written(created, loaders.project, loaders.projectsOfPark, created.parkId);
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
 * Inserts a row that belongs to a park (`INSERT … RETURNING`: the row, or none where a conflict
 * left it out) in a transaction that first fails with NOT_FOUND unless the park exists. No row
 * lock (FOR KEY SHARE needs UPDATE, which the login does not hold): it cannot delete parks, and
 * the foreign key refuses a row whose park another role deleted meanwhile.
 */
export function insertIntoPark<T>(db: DataSource, parkId: string, sql: string, parameters: unknown[]): Promise<T | undefined> {
  return db.transaction(async (tx) => {
    const parks: unknown[] = await tx.query(`SELECT 1 FROM agriculture.industrial_park WHERE id = $1`, [parkId]);
    if (!parks.length) throw notFound('Industrial park', parkId);
    const [row]: T[] = await tx.query(sql, parameters);
    return row;
  });
}
