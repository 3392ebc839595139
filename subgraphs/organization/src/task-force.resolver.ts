import { type DepartmentContext, parseDivisionCode } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { FindOptionsWhere } from 'typeorm';
import type { OrganizationLoaders } from './organization.loaders';
import { Region } from './region.entity';
import { TaskForce, TaskForceLevel, TaskForceMember, WorkingGroup } from './task-force.entity';

type Context = DepartmentContext<OrganizationLoaders>;

@Resolver(() => TaskForce)
export class TaskForceResolver {
  @Query(() => TaskForce, { nullable: true })
  taskForce(@Arg('id', () => ID) id: string, @Ctx() { loaders }: Context): Promise<TaskForce | null> {
    return loaders.taskForce.load(id);
  }

  @Query(() => [TaskForce], { description: 'Task forces, by level and by the region they serve.' })
  taskForces(
    @Arg('level', () => TaskForceLevel, { nullable: true }) level: TaskForceLevel | null,
    @Arg('regionId', () => ID, { nullable: true }) regionId: string | null,
    @Ctx() { db }: Context,
  ): Promise<TaskForce[]> {
    const where: FindOptionsWhere<TaskForce> = {};
    if (level) where.level = level;
    if (regionId) where.regionId = parseDivisionCode(regionId).code;
    return db.getRepository(TaskForce).find({ where, order: { regionId: 'ASC', id: 'ASC' } });
  }

  @FieldResolver(() => Region)
  async region(@Root() taskForce: TaskForce, @Ctx() { loaders }: Context): Promise<Region> {
    return (await loaders.region.load(taskForce.regionId))!;
  }

  @FieldResolver(() => [TaskForceMember])
  members(@Root() taskForce: TaskForce, @Ctx() { loaders }: Context): Promise<TaskForceMember[]> {
    return loaders.members.load(taskForce.id);
  }

  @FieldResolver(() => [WorkingGroup])
  workingGroups(@Root() taskForce: TaskForce, @Ctx() { loaders }: Context): Promise<WorkingGroup[]> {
    return loaders.workingGroups.load(taskForce.id);
  }
}

@Resolver(() => WorkingGroup)
export class WorkingGroupResolver {
  @FieldResolver(() => [TaskForceMember])
  members(@Root() group: WorkingGroup, @Ctx() { loaders }: Context): Promise<TaskForceMember[]> {
    return loaders.groupMembers.load(group.id);
  }
}
