import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import {
  answerType,
  encodeIdentity,
  fragmentsOf,
  IDENTITY_HEADER,
  type Identity,
  inSpan,
  inSpanSync,
  isJsonBody,
  plainGraphQLBody,
  REQUEST_ID_HEADER,
} from '@zigong/platform';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  print,
  specifiedRules,
  validate,
  visit,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { IncomingMessage } from 'node:http';
import { errorFromAnswer, type SubgraphClient } from './datasource';
import { costExtension, type CostModel, type DemandLimits, EMPTY_COST_MODEL, estimateCost } from './demand-control';
import type { ParsedQuery } from './documents';
import type { Metrics } from './metrics';
import { fetchIsClientOperation } from './operation-match';
import type { RanShortcut } from './usage';

/** What the direct route needs to know of a query text, worked out once per text. */
interface Route {
  subgraph: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** What the subgraph is sent: the client's text, or only the chosen operation of a document with several. */
  text: string;
  /** The variables the operation declares: only they travel on (Apollo's route sends no others). */
  variableNames: string[];
}

export interface DirectRouteOptions {
  parseQuery: (query: string) => ParsedQuery | null;
  limits: DemandLimits;
  /** The client of the subgraph of that name, as the gateway's data sources hold it. */
  client: (subgraph: string) => SubgraphClient | undefined;
  /** Who is asking, or null for anonymous; throws for a bad token (Apollo then says why). */
  identity: (req: IncomingMessage) => Promise<Identity | null>;
  allowAnonymousReads: boolean;
  metrics: Metrics;
  /** Errors of a write answered on this route, for the error metrics Apollo's plugin keeps. */
  onErrors: (operationName: string | undefined, errors: Array<{ extensions: { code: unknown } }>) => void;
  capacity?: number;
  /**
   * 'proven' (the default): only where the planner's fetch is the client's operation itself.
   * 'single-fetch' is the old rule, wrong for rewritten fetches; tests use it to prove they notice.
   */
  rule?: 'proven' | 'single-fetch';
}

interface SubgraphError {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/** A subgraph's JSON answer, or undefined where it is not one. */
function parseAnswer(text: string): { data?: unknown; errors?: SubgraphError[] } | undefined {
  try {
    const answer = JSON.parse(text);
    if (typeof answer !== 'object' || answer === null || !('data' in answer)) return undefined;
    if (answer.errors !== undefined && !Array.isArray(answer.errors)) return undefined;
    return answer;
  } catch {
    return undefined;
  }
}

/**
 * A subgraph's error as the client sees it through Apollo's route: @apollo/gateway's
 * downstreamServiceError (serviceName added, DOWNSTREAM_SERVICE_ERROR without a code), our data
 * source's subgraph name, and the kit's formatError (message, path, extensions; no locations).
 */
function downstreamError(error: SubgraphError, subgraph: string) {
  const extensions = { ...error.extensions };
  return {
    message: typeof error.message === 'string' && error.message ? error.message : `Error while fetching subquery from service "${subgraph}"`,
    path: Array.isArray(error.path) ? error.path : undefined,
    extensions: { ...extensions, subgraph: extensions.subgraph ?? subgraph, serviceName: subgraph, code: extensions.code ?? 'DOWNSTREAM_SERVICE_ERROR' },
  };
}

// Introspection is answered by the gateway from the API schema: a subgraph would describe its own.
const INTROSPECTION = /__schema|__type\b/;

/**
 * The operation alone, with the fragments it uses: a subgraph validates the whole document it is
 * sent, and another operation of the client's document may ask for fields it does not have.
 */
function operationText(query: string, document: DocumentNode, operation: OperationDefinitionNode): string {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 1) return query;
  const fragments = fragmentsOf(document);
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(operation);
  return print({ kind: Kind.DOCUMENT, definitions: [operation, ...used.values()] });
}

/**
 * Queries that one subgraph answers alone (the query plan is a single fetch, and that fetch is the
 * client's operation itself, see operation-match.ts) are sent to that subgraph as the client
 * wrote them, and its answer is passed back as it came, unparsed: no plan execution, no result
 * merging, no second JSON round. That is most of what the gateway costs on a one-department page,
 * where it would otherwise add about as much CPU as the subgraph spends. The decision is made
 * once per (query, supergraph) and cached.
 *
 * A request the route cannot vouch for (not valid, bad variables, too costly, not signed in,
 * several subgraphs, a fetch the planner rewrote, @inaccessible in the supergraph) goes to Apollo
 * untouched. A read whose
 * answer carries errors is answered again by Apollo: it may run twice, and Apollo's answer is the
 * one the client sees. A write runs once: its errors are passed on in the form Apollo's route
 * gives them. A subgraph that failed (timeout, unavailable, an HTTP error on a write) is
 * remembered for the request, so Apollo reports that failure without asking it again.
 */
export function directRoute(options: DirectRouteOptions) {
  const capacity = options.capacity ?? 2_000;
  let api: GraphQLSchema | undefined;
  let costModel: CostModel = EMPTY_COST_MODEL;
  let planner: QueryPlanner | undefined;
  // The API schema as the planner reads it (federation-internals' own schema type).
  let plannerApi: ReturnType<Supergraph['apiSchema']> | undefined;
  // Declined queries are remembered too (as null): the planner is asked once per text and supergraph.
  let routes = new LRUCache<string, { route: Route | null }>({ max: capacity });
  const failures = new WeakMap<IncomingMessage, Map<string, GraphQLError>>();

  const routeOf = (query: string, operationName: string | undefined): Route | null => {
    const key = `${operationName ?? ''}\n${query}`;
    const known = routes.get(key);
    if (known) return known.route;
    let route: Route | null = null;
    try {
      // Once per text and supergraph; Apollo's own planning is its gateway.plan span.
      route = inSpanSync('gateway.direct.plan', {}, (span) => {
        const planned = plan(query, operationName);
        span?.setAttribute('gateway.direct.taken', planned !== null);
        return planned;
      });
    } catch {
      route = null; // Apollo reports whatever made planning fail
    }
    routes.set(key, { route });
    return route;
  };

  const plan = (query: string, operationName: string | undefined): Route | null => {
    if (!api || !planner || !plannerApi || INTROSPECTION.test(query)) return null;
    const parsed = options.parseQuery(query);
    if (!parsed) return null;
    const operation = getOperationAST(parsed.document, operationName);
    if (!operation || operation.operation === 'subscription') return null;
    if (validate(api, parsed.document, specifiedRules).length) return null;
    const node = planner.buildQueryPlan(operationFromDocument(plannerApi, parsed.document, { operationName })).node;
    if (node?.kind !== 'Fetch' || node.requires?.length || node.inputRewrites?.length || node.outputRewrites?.length || node.contextRewrites?.length) {
      return null;
    }
    // The planner may have rewritten the selection for the subgraph (abstract types it sees
    // otherwise, aliases for conflicting fields): then the client's text would mean something else there.
    if (options.rule !== 'single-fetch' && !fetchIsClientOperation(parsed.document, operation, node.operation, api)) return null;
    const variableNames = (operation.variableDefinitions ?? []).map((d) => d.variable.name.value);
    return { subgraph: node.serviceName, document: parsed.document, operation, text: operationText(query, parsed.document, operation), variableNames };
  };

  const respond = async (req: IncomingMessage, body: unknown, requestId: string): Promise<RanShortcut | undefined> => {
    if (req.method !== 'POST' || !api || !isJsonBody(req)) return undefined;
    // Persisted-query registrations (extensions) are Apollo's to record.
    const request = plainGraphQLBody(body);
    if (!request) return undefined;
    const { query, variables: given, operationName } = request;
    const route = routeOf(query, operationName);
    const client = route && options.client(route.subgraph);
    if (!route || !client) return undefined;
    const contentType = answerType(req.headers.accept);
    if (!contentType) return undefined;

    if (getVariableValues(api, route.operation.variableDefinitions ?? [], given).errors) return undefined;
    let cost: number;
    try {
      cost = estimateCost(api, route.document, route.operation, given, options.limits, costModel);
    } catch {
      return undefined;
    }
    if (cost > options.limits.maxCost) return undefined;
    let identity: Identity | null;
    try {
      identity = await options.identity(req);
    } catch {
      return undefined;
    }
    const writes = route.operation.operation === 'mutation';
    // Without a token a write is refused; Apollo's route says so the usual way.
    if (!identity && (writes || !options.allowAnonymousReads)) return undefined;

    const headers: Record<string, string> = { 'content-type': 'application/json', [REQUEST_ID_HEADER]: requestId };
    if (identity) headers[IDENTITY_HEADER] = encodeIdentity(identity);
    const forwarded = route.variableNames.length ? Object.fromEntries(route.variableNames.map((name) => [name, given[name]])) : undefined;
    let sent: string;
    try {
      sent = JSON.stringify({ query: route.text, variables: forwarded, operationName });
    } catch {
      return undefined; // too deep to write again: Apollo decides what to make of it
    }
    let answer: { status: number; text: string };
    try {
      const attributes = { subgraph: route.subgraph, 'graphql.operation.type': route.operation.operation };
      answer = await inSpan('gateway.direct', { attributes }, () => client.request(sent, headers, !writes));
    } catch (error) {
      if (error instanceof GraphQLError) failures.set(req, new Map([[route.subgraph, error]]));
      options.metrics.directRoute.inc({ subgraph: route.subgraph, outcome: 'failed' });
      return undefined;
    }
    const { status } = answer;
    const text = answer.text.trimEnd();
    const name = route.operation.name?.value;
    // Demand control reports the accepted cost on every answer, as Apollo's plugin does.
    const costed = costExtension(cost, options.limits);
    // Conservative: a key named "errors" or "extensions" anywhere means a closer look.
    if (status === 200 && text.startsWith('{"data":{') && text.endsWith('}') && !text.includes('"errors":') && !text.includes('"extensions":')) {
      options.metrics.directRoute.inc({ subgraph: route.subgraph, outcome: 'answered' });
      const ran = { text: query, operationName, document: route.document, errors: false };
      return { answer: `${text.slice(0, -1)},"extensions":${JSON.stringify(costed)}}\n`, operationName: name, contentType, ran };
    }
    if (!writes) {
      options.metrics.directRoute.inc({ subgraph: route.subgraph, outcome: 'apollo' });
      return undefined;
    }
    // A write is never sent twice: its answer, errors and all, is given as Apollo's route would.
    const written = status === 200 ? parseAnswer(text) : undefined;
    if (!written) {
      failures.set(req, new Map([[route.subgraph, errorFromAnswer(route.subgraph, status, text)]]));
      options.metrics.directRoute.inc({ subgraph: route.subgraph, outcome: 'failed' });
      return undefined;
    }
    const errors = written.errors?.map((error) => downstreamError(error, route.subgraph));
    if (errors?.length) options.onErrors(name, errors);
    options.metrics.directRoute.inc({ subgraph: route.subgraph, outcome: 'answered' });
    const json = JSON.stringify({ errors: errors?.length ? errors : undefined, data: written.data, extensions: costed });
    const errorCodes = errors?.length ? errors.map((error) => String(error.extensions.code)) : undefined;
    const ran = { text: query, operationName, document: route.document, errors: !!errorCodes };
    return { answer: `${json}\n`, operationName: name, contentType, errorCodes, ran };
  };

  return {
    respond,
    /** Subgraphs this route already saw fail for the request, for the gateway's context. */
    failuresOf: (req: IncomingMessage) => failures.get(req),
    /** A new supergraph: its planner, and nothing planned for the old one. */
    update(apiSchema: GraphQLSchema, supergraphSdl: string, model: CostModel) {
      routes.clear();
      costModel = model;
      // @inaccessible values could leak through an unparsed answer: such graphs take Apollo's route.
      if (/@inaccessible\b/.test(supergraphSdl)) {
        api = planner = plannerApi = undefined;
        return;
      }
      const supergraph = Supergraph.build(supergraphSdl);
      planner = new QueryPlanner(supergraph);
      plannerApi = supergraph.apiSchema();
      api = apiSchema;
    },
  };
}
