import type { Identity } from '@zigong/platform';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { IncomingMessage } from 'node:http';
import {
  type AuthorizationMode,
  authorizationModelOf,
  type AuthorizationModel,
  callerKey,
  callerOf,
  documentFilter,
  type Filtered,
  type PolicyModule,
  restoreRemoved,
  UNAUTHORIZED,
} from './authorization';
import type { ParsedQuery } from './documents';
import { sha256 } from './persisted-queries';
import { graphqlParams } from './response-cache';
import type { RanShortcut } from './usage';

export interface AuthorizationGuardOptions {
  mode: AuthorizationMode;
  policies: PolicyModule;
  parseQuery: (query: string) => ParsedQuery | null;
  identity: (req: IncomingMessage) => Promise<Identity | null>;
  allowAnonymousReads: boolean;
  /** The text of a persisted query by its sha256, where the gateway knows it. */
  persistedQuery: (hash: string) => Promise<string | undefined>;
  /** Keeps a text under its hash, as Apollo would have when the client registered it (the request Apollo sees carries the filtered text instead). */
  registerPersisted: (hash: string, text: string) => Promise<void>;
}

/** What one request's filtering did, to put the removed fields back into its answer. */
export interface Authorized {
  model: AuthorizationModel;
  filtered: Filtered;
  /** The client's own document, against which the answer is completed. */
  document: DocumentNode;
  operationName?: string;
  variables?: Record<string, unknown>;
}

/**
 * Field authorization on the request path, before anything plans or answers it: the request's
 * operation is replaced, in the body (or the GET's URL) every later step reads, by the text
 * filtered for the caller, so the rate limits, demand control, the direct route and Apollo's plan
 * cache all see only what the caller may read. The answer is completed afterwards with `patch`.
 */
export function authorizationGuard(options: AuthorizationGuardOptions) {
  const filter = documentFilter();
  const byRequest = new WeakMap<IncomingMessage, Authorized>();

  /** Filters the request in place; in reject mode answers a request that asks for anything it may not read. */
  const respond = async (req: IncomingMessage, body: unknown, url: URL): Promise<RanShortcut | undefined> => {
    const model = filter.model();
    if (!model || (model.fields.size === 0 && model.types.size === 0)) return undefined;
    const params = graphqlParams(req.method, body, url);
    if (!params) return undefined;
    const persisted = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
    const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
    let text = params.query;
    if (text === undefined && hash !== undefined && /^[0-9a-f]{64}$/.test(hash)) {
      text = await options.persistedQuery(hash).catch(() => undefined);
      // A hash this guard cannot read is answered here as Apollo answers a miss (the client sends
      // the text next), never passed on: Apollo's own lookup a moment later could find it (a Redis
      // back from an outage) and run a text nobody filtered.
      if (text === undefined) return PERSISTED_QUERY_MISS;
    }
    if (text === undefined) return undefined; // Apollo answers what it cannot run
    let parsed: ParsedQuery | null;
    try {
      parsed = options.parseQuery(text);
    } catch {
      return undefined;
    }
    if (!parsed) return undefined;
    let identity: Identity | null;
    try {
      identity = await options.identity(req);
    } catch {
      return undefined; // a token that does not verify: Apollo answers 401
    }
    if (!identity && !options.allowAnonymousReads) return undefined; // refused as unauthenticated first
    const filtered = filter.filter(parsed.document, text, callerOf(model, identity, options.policies));
    if (!filtered?.changed) return undefined;
    if (options.mode === 'reject') {
      // The removed fields of the operation the request runs, @skip and @include applied: one the
      // query skips refuses nothing (it is still filtered out below).
      const errors = restoreRemoved(model, filtered, parsed.document, params.operationName, params.variables, { data: null });
      if (errors.length) return { answer: JSON.stringify({ errors }), status: 403, errorCodes: [UNAUTHORIZED] };
    }
    if (hash && params.query !== undefined && sha256(params.query) === hash) await options.registerPersisted(hash, params.query).catch(() => undefined);
    if (req.method === 'POST') {
      const record = body as Record<string, unknown>;
      record.query = filtered.text;
      if (persisted) record.extensions = withoutPersistedQuery(params.extensions!);
    } else {
      url.searchParams.set('query', filtered.text);
      if (persisted) url.searchParams.set('extensions', JSON.stringify(withoutPersistedQuery(params.extensions!)));
    }
    byRequest.set(req, { model, filtered, document: parsed.document, operationName: params.operationName, variables: params.variables });
    return undefined;
  };

  /** Completes an answer to the filtered operation in place: the removed fields null, their errors added. */
  const patch = (authorized: Authorized, result: { data?: Record<string, unknown> | null; errors?: readonly unknown[] }) => {
    const added = restoreRemoved(authorized.model, authorized.filtered, authorized.document, authorized.operationName, authorized.variables, result);
    if (added.length) result.errors = [...(result.errors ?? []), ...added];
  };

  return {
    respond,
    patch,
    /** The request's filtering, if anything was removed from it. */
    of: (req: IncomingMessage) => byRequest.get(req),
    /** A shortcut's JSON answer, completed; other answers (another media type, not JSON) pass as they are. */
    patchText(req: IncomingMessage, text: string): string {
      const authorized = byRequest.get(req);
      if (!authorized) return text;
      try {
        const result = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: unknown[] };
        patch(authorized, result);
        return JSON.stringify(result);
      } catch {
        return text;
      }
    },
    /** The part of a response cache's key that says what this caller may read beyond its scopes (its granted policies). */
    async partition(req: IncomingMessage): Promise<string> {
      const model = filter.model();
      if (!model || model.policyCoordinates.length === 0) return '';
      const identity = await options.identity(req).catch(() => null);
      return callerKey(callerOf(model, identity, options.policies));
    },
    update(apiSchema: GraphQLSchema, supergraphSdl: string) {
      filter.update(authorizationModelOf(supergraphSdl, apiSchema));
    },
  };
}

/** Apollo Server's answer to a persisted-query hash it does not know (PersistedQueryNotFoundError). */
const PERSISTED_QUERY_MISS: RanShortcut = {
  answer: JSON.stringify({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] }),
  headers: { 'cache-control': 'private, no-cache, must-revalidate' },
  errorCodes: ['PERSISTED_QUERY_NOT_FOUND'],
};

function withoutPersistedQuery(extensions: Record<string, unknown>): Record<string, unknown> {
  const { persistedQuery: _dropped, ...rest } = extensions;
  return rest;
}
