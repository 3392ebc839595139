import { stubField, Village } from '@zigong/kit';
import type { __Name__Loaders } from './__name__.loaders';
import { __Name__Item } from './item.entity';

/** Village.__name__Items: organization's villages, with the items this department keeps for them. */
export const VillageResolver = stubField(Village, '__name__Items', () => [__Name__Item], (loaders: __Name__Loaders) => loaders.itemsOfVillage, {
  description: 'The __name__ items of this village, by name (__name__).',
});
