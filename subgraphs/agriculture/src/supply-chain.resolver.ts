import { type DepartmentContext, notFound, written } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { AgricultureLoaders } from './agriculture.loaders';
import { IndustrialPark } from './park.entity';
import { checkNewSupplyChain, RecordSupplyChainInput, requireVolume } from './park.inputs';
import { insertIntoPark, WRITE_SCOPE } from './park.resolver';
import { SUPPLY_CHAIN_COLUMNS } from './park.sql';
import { SupplyChain } from './supply-chain.entity';

type Context = DepartmentContext<AgricultureLoaders>;

@Resolver(() => SupplyChain)
export class SupplyChainResolver {
  @FieldResolver(() => IndustrialPark)
  async park(@Root() chain: SupplyChain, @Ctx() { loaders }: Context): Promise<IndustrialPark> {
    return (await loaders.park.load(chain.parkId))!;
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => SupplyChain, { description: 'Records a product a park ships regularly.' })
  async recordSupplyChain(@Arg('input') input: RecordSupplyChainInput, @Ctx() { db, loaders }: Context): Promise<SupplyChain> {
    const chain = checkNewSupplyChain(input);
    const created = (await insertIntoPark<SupplyChain>(
      db,
      chain.parkId,
      `INSERT INTO agriculture.supply_chain (id, park_id, product, daily_volume, unit, destinations)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SUPPLY_CHAIN_COLUMNS}`,
      [randomUUID(), chain.parkId, chain.product, chain.dailyVolume, chain.unit, chain.destinations],
    ))!;
    return written(created, loaders.supplyChain, loaders.supplyChainsOfPark, created.parkId);
  }

  @Authorized(WRITE_SCOPE)
  @Mutation(() => SupplyChain, { description: "Sets a supply chain's daily volume (0 or more)." })
  async setSupplyChainVolume(
    @Arg('id', () => ID) id: string,
    @Arg('dailyVolume', () => Int) dailyVolume: number,
    @Ctx() { db, loaders }: Context,
  ): Promise<SupplyChain> {
    const volume = requireVolume(dailyVolume);
    const updated = await db.transaction(async (tx) => {
      // Wrapped in a CTE so the driver answers rows, as for a SELECT.
      const [row]: SupplyChain[] = await tx.query(
        `WITH updated AS (UPDATE agriculture.supply_chain SET daily_volume = $2 WHERE id = $1 RETURNING ${SUPPLY_CHAIN_COLUMNS})
         SELECT * FROM updated`,
        [id, volume],
      );
      if (!row) throw notFound('Supply chain', id);
      return row;
    });
    return written(updated, loaders.supplyChain, loaders.supplyChainsOfPark, updated.parkId);
  }
}
