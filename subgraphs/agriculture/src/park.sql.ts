/** Column lists for raw SQL whose rows must look like the entities (camelCase properties). */
export const PARK_COLUMNS = `id, name, village_id AS "villageId", products, generated`;
export const PROJECT_COLUMNS = `id, park_id AS "parkId", name, phase, generated`;
export const SUPPLY_CHAIN_COLUMNS = `id, park_id AS "parkId", product, daily_volume AS "dailyVolume", unit, destinations, generated`;
