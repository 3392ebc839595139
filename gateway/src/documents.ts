import { type DocumentNode, Kind, parse } from 'graphql';
import { LRUCache } from 'lru-cache';

export interface ParsedQuery {
  document: DocumentNode;
  /** True when any operation in the document writes (mutation or subscription). */
  writes: boolean;
}

/** Thrown when the document is longer than the token limit; other syntax errors are Apollo's to report. */
export class TooManyTokens extends Error {}

/**
 * Parses each distinct query text once: the gateway checks a query's shape and its cacheability
 * before Apollo sees it, and real traffic repeats the same texts with different variables.
 */
export function queryParser(maxTokens: number, capacity = 2_000) {
  // Unparsable texts are remembered too (as null), so a repeated bad query is not parsed again.
  const parsed = new LRUCache<string, { result: ParsedQuery | null }>({ max: capacity });
  return (query: string): ParsedQuery | null => {
    const known = parsed.get(query);
    if (known) return known.result;
    let result: ParsedQuery | null;
    try {
      const document = parse(query, { maxTokens, noLocation: true });
      const writes = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation !== 'query');
      result = { document, writes };
    } catch (error) {
      if (/contains more tha[nt] \d+ tokens/.test((error as Error).message)) throw new TooManyTokens();
      result = null;
    }
    parsed.set(query, { result });
    return result;
  };
}

/** The query text of a request, from a JSON body or the URL of a GET. */
export function queryText(body: unknown, url: URL): string | null {
  const query = (body as { query?: unknown })?.query;
  return typeof query === 'string' ? query : url.searchParams.get('query');
}

/** The sha256 an automatic persisted query names (in the body's extensions, else the URL's), unchecked. */
export function persistedQueryHash(body: unknown, url: URL): unknown {
  const hash = (body as { extensions?: { persistedQuery?: { sha256Hash?: unknown } } })?.extensions?.persistedQuery?.sha256Hash;
  if (hash !== undefined || !url.searchParams.has('extensions')) return hash;
  try {
    return JSON.parse(url.searchParams.get('extensions')!)?.persistedQuery?.sha256Hash;
  } catch {
    return undefined;
  }
}
