import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';
import { BREAK, GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Kind, parse, specifiedRules, validate, visit } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { IncomingMessage } from 'node:http';
import { answerType, isJsonBody, measureShape, plainGraphQLBody, type Shortcut } from '@zigong/platform';

/**
 * Documents kept compiled: the gateway sends each subgraph a bounded set of query shapes. The
 * bench's 320 generated operations give finance and organization 367–482 distinct documents
 * each, which churned a 256-entry cache (84–88% compiled); 1,024 holds them in about 45 MB at most.
 */
const MAX_DOCUMENTS = 1_024;
/** A document is compiled on its second sighting, so a one-off ad-hoc query costs no compile. */
const COMPILE_AFTER = 2;
/**
 * graphql-jit writes code for every path through a document's fragments: ten spreads of a fragment
 * that spreads another ten, eight levels down, took 2 s to compile (20 s at nine), where
 * graphql-js executes it in milliseconds. Larger documents stay with Apollo.
 */
const MAX_COMPILED_FIELDS = 5_000;

type Entry = { seen: number } | { compiled: CompiledQuery } | { declined: true; ineligible?: boolean };

/**
 * What became of a request the responder was offered: answered compiled (hit), left to Apollo
 * although it is a query it could compile (miss: first sighting, evicted, invalid, too large), or
 * never compilable (ineligible: a mutation, or introspection).
 */
export type CompiledOutcome = 'hit' | 'miss' | 'ineligible';

export interface CompiledQueries {
  respond: (req: IncomingMessage, body: unknown, url: URL, requestId: string) => Promise<Shortcut | undefined>;
  /** Documents held compiled, and requests answered by them since start. */
  stats(): { compiled: number; answered: number };
}

export interface CompiledQueryOptions<C> {
  schema: GraphQLSchema;
  context: (req: IncomingMessage, requestId: string) => Promise<C>;
  /** The formatter Apollo would apply, with the error as Apollo would have normalised it. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Told the outcome of every request offered (for /metrics). */
  count?: (outcome: CompiledOutcome) => void;
}

/**
 * Answers the subgraph's hot queries with graphql-jit instead of Apollo Server's pipeline: the
 * document is parsed, validated and compiled once into plain JavaScript, then each request only
 * runs resolvers. On a dashboard page this was most of a subgraph's own CPU. Anything that is not
 * a plain JSON POST of an already-valid query (GET, persisted queries, introspection, a document
 * or variables that fail to validate, an Accept header Apollo would not answer with JSON or
 * graphql-response+json) is declined and goes through Apollo, which words the refusal as before.
 * What it answers carries the media type and status Apollo would have chosen for the request.
 */
export function compiledQueryResponder<C>(options: CompiledQueryOptions<C>): CompiledQueries {
  const documents = new LRUCache<string, Entry>({ max: MAX_DOCUMENTS });
  let answered = 0;

  const count = options.count ?? (() => undefined);
  const lookup = (query: string, operationName: string | undefined): CompiledQuery | undefined => {
    const key = operationName ? `${operationName}\n${query}` : query;
    let entry = documents.get(key);
    if (!entry || 'seen' in entry) {
      const seen = (entry?.seen ?? 0) + 1;
      entry = seen >= COMPILE_AFTER ? compile(options.schema, query, operationName) : { seen };
    }
    documents.set(key, entry);
    if ('compiled' in entry) return entry.compiled;
    count('ineligible' in entry && entry.ineligible ? 'ineligible' : 'miss');
    return undefined;
  };

  const respond = async (req: IncomingMessage, body: unknown, _url: URL, requestId: string): Promise<Shortcut | undefined> => {
    const contentType = req.method === 'POST' && isJsonBody(req) ? answerType(req.headers.accept) : undefined;
    const request = contentType ? plainGraphQLBody(body) : undefined;
    if (!request) {
      count('miss');
      return undefined;
    }
    const compiled = lookup(request.query, request.operationName);
    if (!compiled) return undefined;

    const result = await compiled.query(undefined, await options.context(req, requestId), request.variables);
    // Variables that do not fit the operation: nothing ran, and Apollo answers that with a 400.
    if (!('data' in result)) {
      count('miss');
      return undefined;
    }
    count('hit');
    const http: HttpFromErrors = { headers: {} };
    const errors = result.errors?.map((error) => format(error, options.formatError, http));
    answered++;
    return {
      answer: JSON.stringify({ errors, data: result.data }) + '\n',
      // As Apollo: a content type an error set wins over the negotiated one.
      contentType: http.headers['content-type'] ?? contentType,
      status: http.status,
      headers: http.headers,
    };
  };
  const stats = () => ({ compiled: [...documents.values()].filter((entry) => 'compiled' in entry).length, answered });
  return { respond, stats };
}

function compile(schema: GraphQLSchema, query: string, operationName: string | undefined): Entry {
  try {
    const document = parse(query);
    if (validate(schema, document, specifiedRules).length > 0) return { declined: true };
    if (!isPlainQuery(document, operationName)) return { declined: true, ineligible: true };
    if (measureShape(document).fields > MAX_COMPILED_FIELDS) return { declined: true };
    const compiled = compileQuery(schema, document, operationName);
    return isCompiledQuery(compiled) ? { compiled } : { declined: true };
  } catch {
    return { declined: true };
  }
}

/** A query (not a mutation or subscription) without introspection, which production Apollo refuses. */
function isPlainQuery(document: ReturnType<typeof parse>, operationName: string | undefined): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (operation?.operation !== 'query') return false;
  let introspects = false;
  visit(document, {
    Field(node) {
      if (node.name.value.startsWith('__') && node.name.value !== '__typename') {
        introspects = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return !introspects;
}

/** The status and headers errors ask for through `extensions.http`, as Apollo merges them. */
interface HttpFromErrors {
  status?: number;
  headers: Record<string, string>;
}

/** Apollo's test for an `extensions.http` it applies (isPartialHTTPGraphQLHead). */
function isHttpHead(x: unknown): x is { status?: number; headers?: Map<string, string> } {
  return !!x && typeof x === 'object' && (!('status' in x) || typeof x.status === 'number') && (!('headers' in x) || x.headers instanceof Map);
}

/**
 * As Apollo normalises an error before its formatter sees it: a code always, no stack trace, and
 * an `extensions.http` taken out of the error and applied to the response.
 */
function format(error: unknown, formatError: CompiledQueryOptions<unknown>['formatError'], http: HttpFromErrors): GraphQLFormattedError {
  try {
    const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error), { originalError: error as Error });
    const extensions: Record<string, unknown> = { ...graphqlError.extensions, code: graphqlError.extensions?.code ?? 'INTERNAL_SERVER_ERROR' };
    if (isHttpHead(extensions.http)) {
      if (extensions.http.status) http.status = extensions.http.status;
      for (const [name, value] of extensions.http.headers ?? []) http.headers[name.toLowerCase()] = value;
      delete extensions.http;
    }
    return formatError({ ...graphqlError.toJSON(), extensions }, error);
  } catch {
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}
