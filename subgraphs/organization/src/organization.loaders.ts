import { manyByKey, oneByKey } from '@zigong/kit';
import { DataSource, In } from 'typeorm';
import { PartyBranch, PartyOfficer } from './party.entity';
import { Region } from './region.entity';
import { TaskForce, TaskForceMember, WorkingGroup } from './task-force.entity';
import { Village } from './village.entity';

/** One batched statement per loader per request tick, whatever the page size. */
export function createLoaders(db: DataSource) {
  const ids = (keys: readonly string[]) => In([...keys]);
  return {
    region: oneByKey((keys) => db.getRepository(Region).findBy({ id: ids(keys) }), (r) => r.id),
    regionChildren: manyByKey(
      (keys) => db.getRepository(Region).find({ where: { parentId: ids(keys) }, order: { id: 'ASC' } }),
      (r) => r.parentId!,
    ),
    village: oneByKey((keys) => db.getRepository(Village).findBy({ id: ids(keys) }), (v) => v.id),
    partyBranchOfVillage: oneByKey((keys) => db.getRepository(PartyBranch).findBy({ villageId: ids(keys) }), (b) => b.villageId),
    officers: manyByKey(
      (keys) => db.getRepository(PartyOfficer).find({ where: { branchId: ids(keys) }, order: { id: 'ASC' } }),
      (o) => o.branchId,
    ),
    taskForce: oneByKey((keys) => db.getRepository(TaskForce).findBy({ id: ids(keys) }), (t) => t.id),
    taskForcesOfRegion: manyByKey(
      (keys) => db.getRepository(TaskForce).find({ where: { regionId: ids(keys) }, order: { id: 'ASC' } }),
      (t) => t.regionId,
    ),
    members: manyByKey(
      (keys) => db.getRepository(TaskForceMember).find({ where: { taskForceId: ids(keys) }, order: { id: 'ASC' } }),
      (m) => m.taskForceId,
    ),
    workingGroups: manyByKey(
      (keys) => db.getRepository(WorkingGroup).find({ where: { taskForceId: ids(keys) }, order: { id: 'ASC' } }),
      (g) => g.taskForceId,
    ),
    groupMembers: manyByKey(
      (keys) =>
        db.query(
          `SELECT m.id, m.name, m.seconded_from AS "secondedFrom", m.background, m.generated,
                  m.task_force_id AS "taskForceId", g.working_group_id AS "workingGroupId"
             FROM organization.task_force_member m
             JOIN organization.working_group_member g ON g.member_id = m.id
            WHERE g.working_group_id = ANY($1)
            ORDER BY m.id`,
          [keys],
        ) as Promise<Array<TaskForceMember & { workingGroupId: string }>>,
      (m) => m.workingGroupId,
    ),
  };
}

export type OrganizationLoaders = ReturnType<typeof createLoaders>;
