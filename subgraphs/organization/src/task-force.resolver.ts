import { type DepartmentContext, parseDivisionCode, QueryById, ListSize } from '@zigong/kit';
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { knownRegion, type OrganizationLoaders, type Row, TASK_FORCE_COLUMNS } from './organization.loaders';
import { Region } from './region.entity';
import { TaskForce, TaskForceLevel, TaskForceMember, WorkingGroup } from './task-force.entity';

type Context = DepartmentContext<OrganizationLoaders>;

@Resolver(() => TaskForce)
export class TaskForceResolver extends QueryById(TaskForce, 'taskForce', (loaders: OrganizationLoaders) => loaders.taskForce) {

  @ListSize({ assumedSize: 20 })
  @Query(() => [TaskForce], { description: 'Task forces, by level and by the region they serve.' })
  taskForces(
    @Arg('level', () => TaskForceLevel, { nullable: true }) level: TaskForceLevel | null,
    @Arg('regionId', () => ID, { nullable: true }) regionId: string | null,
    @Ctx() { db }: Context,
  ): Promise<TaskForce[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (level) where.push(`level = $${params.push(level)}`);
    if (regionId) where.push(`region_id = $${params.push(parseDivisionCode(regionId).code)}`);
    return db.query(
      `SELECT ${TASK_FORCE_COLUMNS} FROM organization.task_force ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY region_id, id`,
      params,
    );
  }

  @FieldResolver(() => Region)
  region(@Root() taskForce: Row<TaskForce>, @Ctx() { loaders }: Context): Region | Promise<Region> {
    return knownRegion(loaders, taskForce.regionId);
  }

  @ListSize({ assumedSize: 30 })
  @FieldResolver(() => [TaskForceMember])
  members(@Root() taskForce: Row<TaskForce>, @Ctx() { loaders }: Context): Promise<TaskForceMember[]> {
    return loaders.members.load(taskForce.id);
  }

  // One per kind: (task force, kind) is unique.
  @ListSize({ assumedSize: 3 })
  @FieldResolver(() => [WorkingGroup])
  workingGroups(@Root() taskForce: Row<TaskForce>, @Ctx() { loaders }: Context): Promise<WorkingGroup[]> {
    return loaders.workingGroups.load(taskForce.id);
  }
}

@Resolver(() => WorkingGroup)
export class WorkingGroupResolver {
  @ListSize({ assumedSize: 30 })
  @FieldResolver(() => [TaskForceMember])
  members(@Root() group: Row<WorkingGroup>, @Ctx() { loaders }: Context): Promise<TaskForceMember[]> {
    return loaders.groupMembers.load(group.id);
  }
}
