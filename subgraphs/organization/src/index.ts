import { defineDepartment, refId } from '@zigong/kit';
import { OrganizationInitial1764100000000 } from './migrations/1764100000000-OrganizationInitial';
import { createLoaders, type OrganizationLoaders } from './organization.loaders';
import { seedOrganization } from './organization.seed';
import { PartyBranch, PartyOfficer } from './party.entity';
import { PartyBranchResolver } from './party.resolver';
import { Region } from './region.entity';
import { RegionResolver } from './region.resolver';
import { TaskForce, TaskForceMember, WorkingGroup } from './task-force.entity';
import { TaskForceResolver, WorkingGroupResolver } from './task-force.resolver';
import { Village } from './village.entity';
import { VillageConnectionResolver, VillageResolver } from './village.resolver';

/** 组织部: the region tree, villages, party branches and task forces. */
export const organization = defineDepartment<OrganizationLoaders>({
  name: 'organization',
  resolvers: [RegionResolver, VillageResolver, VillageConnectionResolver, PartyBranchResolver, TaskForceResolver, WorkingGroupResolver],
  entities: [Region, Village, PartyBranch, PartyOfficer, TaskForce, TaskForceMember, WorkingGroup],
  migrations: [OrganizationInitial1764100000000],
  createLoaders,
  references: {
    // A copy: the tree's regions are shared and frozen, and @apollo/subgraph writes `__typename`
    // onto whatever a reference resolver returns.
    Region: async (ref, { loaders }) => {
      const region = await loaders.region.load(refId(ref));
      return region && { ...region };
    },
    Village: (ref, { loaders }) => loaders.village.load(refId(ref)),
    TaskForce: (ref, { loaders }) => loaders.taskForce.load(refId(ref)),
  },
  seed: seedOrganization,
});

export { seedOrganization };
export default organization;
