/** One part of a multipart/mixed answer in the 2022-08-24 incremental delivery format. */
export interface IncrementalPart {
  data?: unknown;
  errors?: unknown[];
  extensions?: Record<string, unknown>;
  hasNext: boolean;
  incremental?: Array<{ data: Record<string, unknown> | null; path: Array<string | number>; label?: string; errors?: unknown[] }>;
}

/** The JSON parts of a multipart/mixed body, by the boundary its content type names. */
export function multipartParts(body: string, contentType: string): IncrementalPart[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`No boundary in ${contentType}`);
  const chunks = body.split(`\r\n--${boundary}`);
  // Before the first delimiter: nothing; after the closing one (`--`): nothing.
  const parts: IncrementalPart[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const blank = chunk.indexOf('\r\n\r\n');
    if (blank < 0) throw new Error(`A part without headers: ${JSON.stringify(chunk.slice(0, 80))}`);
    parts.push(JSON.parse(chunk.slice(blank + 4)));
  }
  return parts;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Objects merged key by key and lists item by item (as Apollo Client's DeepMerger does); anything else replaced. */
function mergeValue(existing: unknown, incoming: unknown): unknown {
  if (isObject(existing) && isObject(incoming)) {
    for (const [key, value] of Object.entries(incoming)) existing[key] = key in existing ? mergeValue(existing[key], value) : value;
    return existing;
  }
  if (Array.isArray(existing) && Array.isArray(incoming) && existing.length === incoming.length) {
    incoming.forEach((item, i) => (existing[i] = mergeValue(existing[i], item)));
    return existing;
  }
  return incoming;
}

/**
 * The parts merged as a client merges them: each increment's data deep-merged into the object at
 * its path, its errors appended. Throws where a path does not reach an object (a broken stream).
 */
export function mergeIncremental(parts: IncrementalPart[]): { data: unknown; errors: unknown[]; hasNext: boolean } {
  if (!parts.length) throw new Error('No parts.');
  const [first, ...rest] = parts;
  const data = structuredClone(first.data);
  const errors = [...(first.errors ?? [])];
  for (const part of rest) {
    for (const item of part.incremental ?? []) {
      errors.push(...(item.errors ?? []));
      if (item.data === null) continue;
      let at: unknown = data;
      for (const key of item.path) at = (at as Record<string | number, unknown> | null)?.[key];
      if (!isObject(at)) throw new Error(`The increment at ${JSON.stringify(item.path)} does not reach an object.`);
      mergeValue(at, item.data);
    }
  }
  return { data, errors, hasNext: parts[parts.length - 1].hasNext };
}

/**
 * The value with its objects' keys in the order `like` has them (keys `like` lacks last): a
 * merged answer's keys follow the order its parts arrived in, not the operation's.
 */
export function orderLike(value: unknown, like: unknown): unknown {
  if (Array.isArray(value)) return value.map((item, i) => orderLike(item, Array.isArray(like) ? like[i] : undefined));
  if (!isObject(value)) return value;
  const template = isObject(like) ? like : {};
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(template)) if (key in value) ordered[key] = orderLike(value[key], template[key]);
  for (const key of Object.keys(value)) if (!(key in ordered)) ordered[key] = orderLike(value[key], undefined);
  return ordered;
}
