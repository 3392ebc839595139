import { ErrorCode, isDivisionCode, userError } from '@zigong/kit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `parkProjectId(village, phase, park)` of @zigong/reference-data: proj-<village code>-<park>-<phase>. */
const REFERENCE_PROJECT = /^proj-(\d{12})-\d{1,4}-\d{1,4}$/;
/** `taskForceId(region)` of @zigong/reference-data: tf-<region code>. */
const REFERENCE_TASK_FORCE = /^tf-(\d{12})$/;

/**
 * Other departments' ids can only be checked for their shape here (their tables are not ours):
 * a reference id or a UUID, as records created through the API get.
 */
export function requireProjectId(value: string, field = 'projectId'): string {
  const id = value.trim();
  const reference = REFERENCE_PROJECT.exec(id);
  if ((reference && isDivisionCode(reference[1])) || UUID.test(id)) return id;
  throw userError(ErrorCode.BAD_USER_INPUT, `${field} "${id.slice(0, 60)}" is not a park-project id (proj-<village code>-<park>-<phase>, or a UUID).`, {
    field,
  });
}

export function requireTaskForceId(value: string, field = 'coordinatedByTaskForceId'): string {
  const id = value.trim();
  const reference = REFERENCE_TASK_FORCE.exec(id);
  if ((reference && isDivisionCode(reference[1])) || UUID.test(id)) return id;
  throw userError(ErrorCode.BAD_USER_INPUT, `${field} "${id.slice(0, 60)}" is not a task-force id (tf-<region code>, or a UUID).`, { field });
}
