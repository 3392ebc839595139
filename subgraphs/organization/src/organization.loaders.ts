import { manyByKey, oneByKey, selectColumns } from '@zigong/kit';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { PartyBranch, type PartyOfficer } from './party.entity';
import { REGION_COLUMNS, regionCache } from './region.cache';
import type { Region } from './region.entity';
import { TaskForce, TaskForceMember, WorkingGroup } from './task-force.entity';
import { Village } from './village.entity';

// Plain SQL rather than repository `find`: TypeORM's query building and entity hydration cost
// more CPU than the rest of a page of 100 villages. Columns are aliased to the entity fields.
export const VILLAGE_COLUMNS = selectColumns(Village);
// A branch has one to a few officers; they come with it as JSON, so a page of branches and their
// officers is one statement, and no officer loader or promise is needed per branch.
export const BRANCH_COLUMNS = `${selectColumns(PartyBranch, { alias: 'b', except: ['generated'] })},
  coalesce((SELECT json_agg(json_build_object('name', o.name, 'role', o.role, 'generated', o.generated) ORDER BY o.id)
              FROM organization.party_officer o WHERE o.branch_id = b.id), '[]') AS officers`;
// pg would turn a `date` into a local-time Date; TypeORM used to give the calendar day as text.
export const TASK_FORCE_COLUMNS = selectColumns(TaskForce, { expressions: { establishedOn: `to_char(established_on, 'YYYY-MM-DD')` } });
const MEMBER_COLUMNS = selectColumns(TaskForceMember);

/**
 * What a resolver receives as `@Root()`: the plain row a loader or page returned. Deliberately no
 * class: for a parameter declared as a class, type-graphql copies a plain root into a new
 * instance of it on every call.
 */
export type Row<T> = Readonly<T>;

export type OfficerRow = Pick<PartyOfficer, 'name' | 'role' | 'generated'>;
export type BranchWithOfficers = Omit<PartyBranch, 'generated'> & { officers: OfficerRow[] };

/** One batched statement per loader per request tick, whatever the page size. */
export function createLoaders(db: DataSource) {
  const rows = <T>(sql: string) => (keys: readonly string[]) => db.query(sql, [keys]) as Promise<T[]>;
  const regionTree = regionCache(db);
  return {
    regionTree,
    region: new DataLoader<string, Region | null>((keys) => regionTree.load(keys)),
    regionChildren: manyByKey(
      rows<Region>(`SELECT ${REGION_COLUMNS} FROM organization.region WHERE parent_id = ANY($1) ORDER BY id`),
      (r) => r.parentId!,
    ),
    village: oneByKey(rows<Village>(`SELECT ${VILLAGE_COLUMNS} FROM organization.village WHERE id = ANY($1)`), (v) => v.id),
    partyBranchOfVillage: oneByKey(
      rows<BranchWithOfficers>(`SELECT ${BRANCH_COLUMNS} FROM organization.party_branch b WHERE b.village_id = ANY($1)`),
      (b) => b.villageId,
    ),
    taskForce: oneByKey(rows<TaskForce>(`SELECT ${TASK_FORCE_COLUMNS} FROM organization.task_force WHERE id = ANY($1)`), (t) => t.id),
    taskForcesOfRegion: manyByKey(
      rows<TaskForce>(`SELECT ${TASK_FORCE_COLUMNS} FROM organization.task_force WHERE region_id = ANY($1) ORDER BY id`),
      (t) => t.regionId,
    ),
    members: manyByKey(
      rows<TaskForceMember>(`SELECT ${MEMBER_COLUMNS} FROM organization.task_force_member WHERE task_force_id = ANY($1) ORDER BY id`),
      (m) => m.taskForceId,
    ),
    workingGroups: manyByKey(
      rows<WorkingGroup>(`SELECT ${selectColumns(WorkingGroup)} FROM organization.working_group WHERE task_force_id = ANY($1) ORDER BY id`),
      (g) => g.taskForceId,
    ),
    groupMembers: manyByKey(
      rows<TaskForceMember & { workingGroupId: string }>(
        `SELECT ${selectColumns(TaskForceMember, { alias: 'm' })}, g.working_group_id AS "workingGroupId"
           FROM organization.task_force_member m
           JOIN organization.working_group_member g ON g.member_id = m.id
          WHERE g.working_group_id = ANY($1)
          ORDER BY m.id`,
      ),
      (m) => m.workingGroupId,
    ),
  };
}

export type OrganizationLoaders = ReturnType<typeof createLoaders>;

/** A region that must exist (a village's town or district): at once from the tree when it has it. */
export function knownRegion(loaders: OrganizationLoaders, id: string): Region | Promise<Region> {
  return loaders.regionTree.peek(id) ?? loaders.region.load(id).then((region) => region!);
}
