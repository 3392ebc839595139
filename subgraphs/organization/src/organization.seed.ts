import { type SeedReport, seedTransaction } from '@zigong/kit';
import {
  CITY,
  DISTRICTS,
  GANTANG,
  partyBranchId,
  personName,
  seededRandom,
  taskForceId,
  YANTAN,
  ZILIUJING,
  zigongDivisions,
} from '@zigong/reference-data';
import type { DataSource } from 'typeorm';

const ALL_FOCUS = ['TALENT', 'INDUSTRY', 'SOCIAL_GOVERNANCE'];
const FULL_NAME = '党建引领新型农村集体经济发展专班';
// The article gives months, not days: November 2022 for the pilots, June 2024 for the rest.
const PILOT_DATE = '2022-11-01';
const CITYWIDE_DATE = '2024-06-01';

/** The city task force's four members' backgrounds, as the article describes them (F10). */
const CITY_BACKGROUNDS = ['曾任乡镇领导的老同志', '有想法、有干劲的年轻干部', '懂“三农”的专业人才', '指导党建工作的组织部门干部'];

const YANTAN_GROUPS = [
  ['POLICY_RESEARCH', '政策研究组'],
  ['PROJECT_MANAGEMENT', '项目管理组'],
  ['EFFECTIVENESS_TRACKING', '跟踪问效组'],
] as const;

/**
 * The organization department's part of the reference data: the division tree, a party branch
 * per village, and the task forces of F1, F8–F10. Idempotent.
 */
export async function seedOrganization(db: DataSource, { scale = 1 } = {}): Promise<SeedReport> {
  const random = seededRandom(1213);
  const { regions, villages } = zigongDivisions({ scale });
  return seedTransaction(db, async (insertInto) => {
    const insert = (table: string, columns: string[], rows: unknown[][]) => insertInto(`organization.${table}`, columns, rows);

    await insert('region', ['id', 'name', 'level', 'parent_id', 'generated'], regions.map((r) => [r.code, r.name, r.level, r.parent, r.generated]));
    await insert('village', ['id', 'name', 'town_id', 'generated'], villages.map((v) => [v.code, v.name, v.town, v.generated]));

    const branches = villages.map((v) =>
      v.code === GANTANG
        ? [partyBranchId(v.code), '干塘村党总支', 'GENERAL_BRANCH', v.code, false]
        : [partyBranchId(v.code), `${v.name}党支部`, random() < 0.2 ? 'GENERAL_BRANCH' : 'BRANCH', v.code, true],
    );
    await insert('party_branch', ['id', 'name', 'kind', 'village_id', 'generated'], branches);
    const officers = villages.map((v) =>
      v.code === GANTANG
        ? [partyBranchId(v.code), '张中琴', 'DEPUTY_SECRETARY', false]
        : [partyBranchId(v.code), personName(random), 'SECRETARY', true],
    );
    await insert('party_officer', ['branch_id', 'name', 'role', 'generated'], officers);

    const forces: unknown[][] = [];
    const members: unknown[][] = [];
    const addMember = (force: string, n: number, from: string, background: string | null) => {
      const id = `${force}-m${n}`;
      members.push([id, force, personName(random), from, background, true]);
      return id;
    };

    forces.push([taskForceId(CITY.code), `${CITY.name}${FULL_NAME}`, 'CITY', CITY.code, '市委组织部', CITYWIDE_DATE, false, ALL_FOCUS]);
    CITY_BACKGROUNDS.forEach((background, i) => addMember(taskForceId(CITY.code), i + 1, '市委组织部', background));

    const groups: unknown[][] = [];
    const groupMembers: unknown[][] = [];
    for (const district of DISTRICTS) {
      const force = taskForceId(district.code);
      const pilot = district.code === ZILIUJING || district.code === YANTAN;
      const lead = `${district.name.replace(/[区县]$/, '')}${district.level === 'COUNTY' ? '县委组织部' : '区委组织部'}`;
      forces.push([force, `${district.name}${FULL_NAME}`, district.level, district.code, lead, pilot ? PILOT_DATE : CITYWIDE_DATE, pilot, ALL_FOCUS]);
      const short = district.name.slice(0, -1);
      const from = [lead, `${short}${district.level === 'COUNTY' ? '县' : '区'}农业农村局`, '乡镇干部'];
      const ids = from.map((department, i) => addMember(force, i + 1, department, null));
      if (district.code === YANTAN) {
        // F9: three working groups; the organization, agriculture and township members each join them.
        ids.push(addMember(force, 4, lead, null), addMember(force, 5, '乡镇干部', null));
        YANTAN_GROUPS.forEach(([kind, name], i) => {
          const group = `${force}-wg-${kind.toLowerCase()}`;
          groups.push([group, force, kind, name]);
          groupMembers.push([group, ids[i]], [group, ids[(i + 3) % ids.length]]);
        });
      }
    }
    await insert('task_force', ['id', 'name', 'level', 'region_id', 'lead_department', 'established_on', 'pilot', 'focus_areas'], forces);
    await insert('task_force_member', ['id', 'task_force_id', 'name', 'seconded_from', 'background', 'generated'], members);
    await insert('working_group', ['id', 'task_force_id', 'kind', 'name'], groups);
    await insert('working_group_member', ['working_group_id', 'member_id'], groupMembers);
  });
}
