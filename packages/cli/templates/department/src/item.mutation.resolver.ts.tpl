import { type DepartmentContext, ErrorCode, requireText, requireVillageCode, userError } from '@zigong/kit';
import { randomUUID } from 'node:crypto';
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { ITEM_RETURNING, type __Name__Loaders } from './__name__.loaders';
import { __Name__Item } from './item.entity';
import { Create__Name__ItemInput } from './item.inputs';

type Context = DepartmentContext<__Name__Loaders>;

export const WRITE_SCOPE = '__name__:write';

/** Arguments are checked before the transaction opens, so a rejected request writes nothing. */
@Resolver()
export class __Name__MutationResolver {
  @Authorized(WRITE_SCOPE)
  @Mutation(() => __Name__Item, {
    description:
      'Adds an item to a village. INVALID_DIVISION_CODE when villageId is no village code, BAD_USER_INPUT for an empty ' +
      'or too long name, CONFLICT when the village has an item of that name already.',
  })
  create__Name__Item(@Arg('input') input: Create__Name__ItemInput, @Ctx() { db }: Context): Promise<__Name__Item> {
    const villageId = requireVillageCode(input.villageId);
    const name = requireText(input.name, 'name');
    return db.transaction(async (tx) => {
      const [item] = await tx.query(
        `INSERT INTO __name__.item (id, village_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (village_id, name) DO NOTHING ${ITEM_RETURNING}`,
        [randomUUID(), villageId, name],
      );
      if (!item) throw userError(ErrorCode.CONFLICT, `Village ${villageId} already has an item named "${name}".`, { villageId, name });
      return item;
    });
  }
}
