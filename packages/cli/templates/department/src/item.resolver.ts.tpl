import { type DepartmentContext, parseDivisionCode, QueryById, Village } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { ITEM_COLUMNS, type __Name__Loaders } from './__name__.loaders';
import { __Name__Item } from './item.entity';

type Context = DepartmentContext<__Name__Loaders>;

@Resolver(() => __Name__Item)
export class __Name__ItemResolver extends QueryById(__Name__Item, '__name__Item', (loaders: __Name__Loaders) => loaders.item, 'A __name__ item by id; null when there is none.') {
  @Query(() => [__Name__Item], {
    description: 'The __name__ items of every village at or below a region (a city, district, county, town or village code), by name.',
  })
  __name__Items(@Arg('regionId', () => ID) regionId: string, @Ctx() { db }: Context): Promise<__Name__Item[]> {
    // The code's prefix names every village below it; village_id is COLLATE "C", so the index serves LIKE.
    const { prefix } = parseDivisionCode(regionId);
    return db.query(`SELECT ${ITEM_COLUMNS} FROM __name__.item i WHERE i.village_id LIKE $1 ORDER BY i.name, i.id`, [prefix + '%']);
  }

  @FieldResolver(() => Village, { description: 'The village the item belongs to.' })
  village(@Root() item: __Name__Item): Village {
    return { id: item.villageId };
  }
}
