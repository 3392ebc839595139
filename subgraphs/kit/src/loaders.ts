import DataLoader from 'dataloader';

/**
 * A loader answering one row (or null) per key from one batched fetch. The fetch may return rows
 * in any order and omit missing keys.
 */
export function oneByKey<V>(fetch: (keys: readonly string[]) => Promise<V[]>, keyOf: (row: V) => string): DataLoader<string, V | null> {
  return new DataLoader(async (keys) => {
    const rows = await fetch(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A loader answering every row that belongs to each key (possibly none) from one batched fetch. */
export function manyByKey<V>(fetch: (keys: readonly string[]) => Promise<V[]>, keyOf: (row: V) => string): DataLoader<string, V[]> {
  return new DataLoader(async (keys) => {
    const groups = new Map<string, V[]>(keys.map((key) => [key, []]));
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key)!);
  });
}
