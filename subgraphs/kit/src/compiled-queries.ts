import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Kind, parse, specifiedRules, validate, visit, BREAK } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { plainGraphQLBody, type Shortcut } from './http';

/** Documents kept compiled: the gateway sends each subgraph a bounded set of query shapes. */
const MAX_DOCUMENTS = 256;
/** A document is compiled on its second sighting, so a one-off ad-hoc query costs no compile. */
const COMPILE_AFTER = 2;

type Entry = { seen: number } | { compiled: CompiledQuery } | { declined: true };

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
}

/**
 * Answers the subgraph's hot queries with graphql-jit instead of Apollo Server's pipeline: the
 * document is parsed, validated and compiled once into plain JavaScript, then each request only
 * runs resolvers. On a dashboard page this was most of a subgraph's own CPU. Anything that is not
 * a plain JSON POST of an already-valid query (GET, persisted queries, introspection, a document
 * or variables that fail to validate) is declined and goes through Apollo, which words the
 * refusal as before.
 */
export function compiledQueryResponder<C>(options: CompiledQueryOptions<C>): CompiledQueries {
  const documents = new Map<string, Entry>();
  let answered = 0;

  const lookup = (query: string, operationName: string | undefined): CompiledQuery | undefined => {
    const key = operationName ? `${operationName}\n${query}` : query;
    let entry = documents.get(key);
    if (entry) documents.delete(key); // re-inserted below: the Map's order is recency
    else if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
    if (!entry || 'seen' in entry) {
      const seen = (entry?.seen ?? 0) + 1;
      entry = seen >= COMPILE_AFTER ? compile(options.schema, query, operationName) : { seen };
    }
    documents.set(key, entry);
    return 'compiled' in entry ? entry.compiled : undefined;
  };

  const respond = async (req: IncomingMessage, body: unknown, _url: URL, requestId: string): Promise<Shortcut | undefined> => {
    if (req.method !== 'POST' || !acceptsJson(req.headers.accept)) return undefined;
    const request = plainGraphQLBody(body);
    const compiled = request && lookup(request.query, request.operationName);
    if (!compiled) return undefined;

    const result = await compiled.query(undefined, await options.context(req, requestId), request.variables);
    // Variables that do not fit the operation: nothing ran, and Apollo answers that with a 400.
    if (!('data' in result)) return undefined;
    const errors = result.errors?.map((error) => format(error, options.formatError));
    answered++;
    return { answer: JSON.stringify({ errors, data: result.data }) + '\n' };
  };
  const stats = () => ({ compiled: [...documents.values()].filter((entry) => 'compiled' in entry).length, answered });
  return { respond, stats };
}

function compile(schema: GraphQLSchema, query: string, operationName: string | undefined): Entry {
  try {
    const document = parse(query);
    if (validate(schema, document, specifiedRules).length > 0 || !isPlainQuery(document, operationName)) return { declined: true };
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

/** Apollo's media type for a single result is JSON unless the client prefers another. */
function acceptsJson(accept: string | undefined): boolean {
  return accept === undefined || accept === '*/*' || /^application\/json\b/i.test(accept);
}

/** As Apollo normalises an error before its formatter sees it: a code always, no stack trace. */
function format(error: unknown, formatError: CompiledQueryOptions<unknown>['formatError']): GraphQLFormattedError {
  try {
    const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error), { originalError: error as Error });
    const extensions = { ...graphqlError.extensions, code: graphqlError.extensions?.code ?? 'INTERNAL_SERVER_ERROR' };
    return formatError({ ...graphqlError.toJSON(), extensions }, error);
  } catch {
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}
