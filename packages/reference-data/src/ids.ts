/**
 * Ids of reference records that several departments refer to. Regions and villages are their
 * division codes; these name the rest, so one department's seed can point at another's record
 * without reading its tables.
 */
export const taskForceId = (regionCode: string) => `tf-${regionCode}`;
export const partyBranchId = (villageCode: string) => `pb-${villageCode}`;
export const parkId = (villageCode: string, n = 1) => `park-${villageCode}-${n}`;
export const parkProjectId = (villageCode: string, phase: number, park = 1) => `proj-${villageCode}-${park}-${phase}`;
