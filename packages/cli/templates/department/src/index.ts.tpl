import { defineDepartment, refId, Village } from '@zigong/kit';
import { __Name__Item } from './item.entity';
import { __Name__MutationResolver } from './item.mutation.resolver';
import { __Name__ItemResolver } from './item.resolver';
import { __Name__Initial__TIMESTAMP__ } from './migrations/__TIMESTAMP__-__Name__Initial';
import { createLoaders, type __Name__Loaders } from './__name__.loaders';
import { seed__Name__ } from './__name__.seed';
import { VillageResolver } from './village.resolver';

/**
 * The __name__ department: items kept per village. Scaffolded by `npm run department:new`; grow
 * it into the department's own records (and say here what it owns).
 */
export const __name__ = defineDepartment<__Name__Loaders>({
  name: '__name__',
  resolvers: [__Name__ItemResolver, __Name__MutationResolver, VillageResolver],
  entities: [__Name__Item],
  migrations: [__Name__Initial__TIMESTAMP__],
  // What the login may change (create__Name__Item); every table is readable, nothing else writable.
  writes: { item: ['INSERT'] },
  createLoaders,
  references: {
    __Name__Item: (ref, { loaders }) => loaders.item.load(refId(ref)),
  },
  // Other departments' entities this one points at: organization owns villages, and any village
  // id may carry this department's fields.
  stubs: [Village],
  seed: seed__Name__,
});

export { __name__ItemId, __name__ReferenceData, seed__Name__ } from './__name__.seed';
export default __name__;
