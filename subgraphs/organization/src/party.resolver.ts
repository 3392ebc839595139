import { ListSize } from '@zigong/kit';
import type { DepartmentContext } from '@zigong/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { BranchWithOfficers, OfficerRow, OrganizationLoaders, Row } from './organization.loaders';
import { PartyBranch, PartyOfficer } from './party.entity';
import { Village } from './village.entity';

type Context = DepartmentContext<OrganizationLoaders>;

@Resolver(() => PartyBranch)
export class PartyBranchResolver {
  @FieldResolver(() => Village, { nullable: true })
  village(@Root() branch: Row<BranchWithOfficers>, @Ctx() { loaders }: Context): Promise<Village | null> {
    return loaders.village.load(branch.villageId);
  }

  @ListSize({ assumedSize: 10 })
  @FieldResolver(() => [PartyOfficer])
  officers(@Root() branch: Row<BranchWithOfficers>): readonly OfficerRow[] {
    return branch.officers;
  }
}
