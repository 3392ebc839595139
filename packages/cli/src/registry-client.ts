import { EnvReader, LOCAL_JWT_SECRET, mintToken } from '@zigong/kit';
import { userInfo } from 'node:os';

/**
 * The schema registry's client for the `zigong subgraph …` and `zigong supergraph …` verbs and
 * for `zigong dev`: GraphQL POSTed to `<registry>/graphql` (the contract is
 * registry/src/registry.graphql) and `GET /supergraph`, with a bearer token. Every failure is a
 * RegistryError whose `code` is the registry's extensions.code, or one of the client's own codes
 * below, so the verbs map failures to exit codes without reading messages.
 */

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:4010';
const TIMEOUT_MS = 60_000;

/**
 * Failures found on this side, before or instead of an answer of the registry: USAGE (a wrong
 * argument or input file, found before anything is sent), TOKEN_NEEDED, REGISTRY_UNREACHABLE,
 * SUBGRAPH_UNREACHABLE (`--from`), BAD_RESPONSE (something that is not the registry answered).
 */
export type ClientErrorCode = 'USAGE' | 'TOKEN_NEEDED' | 'REGISTRY_UNREACHABLE' | 'SUBGRAPH_UNREACHABLE' | 'BAD_RESPONSE';

/** One GraphQL error of the registry's answer, as sent. */
export interface RegistryProblem {
  message: string;
  code?: string;
  extensions: Record<string, unknown>;
}

export class RegistryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Every error of the answer; the first gives `code` and `message`. */
    readonly problems: RegistryProblem[] = [{ message, code, extensions: { code } }],
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** ZIGONG_REGISTRY_URL and ZIGONG_REGISTRY_TOKEN, read once; flags win over them. */
export interface RegistryCliEnv {
  registryUrl?: string;
  token?: string;
  /** Signs `--from` requests to a subgraph that only takes the gateway's signed requests. */
  signingSecret?: string;
}

export function readRegistryCliEnv(env: NodeJS.ProcessEnv = process.env): RegistryCliEnv {
  const read = new EnvReader(env);
  const settings: RegistryCliEnv = {
    registryUrl: read.optionalUrl('ZIGONG_REGISTRY_URL', ['http:', 'https:']),
    token: read.optional('ZIGONG_REGISTRY_TOKEN'),
    signingSecret: read.secret('GATEWAY_SIGNING_SECRET'),
  };
  read.done();
  return settings;
}

/** The registry runs on this machine: the CLI may sign a token with the development secret. */
export function isLocalRegistry(registryUrl: string): boolean {
  const host = new URL(registryUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/**
 * The bearer token a verb sends: the one given, else, for a registry on this machine (which in
 * local mode accepts the development secret), one minted for just the scope the verb needs.
 */
export async function registryToken(registryUrl: string, given: string | undefined, scope: string): Promise<string> {
  if (given) return given;
  if (isLocalRegistry(registryUrl)) {
    return mintToken(LOCAL_JWT_SECRET, { sub: `zigong-cli:${currentUser()}`, scope, expiresIn: '10m' });
  }
  throw new RegistryError(
    'TOKEN_NEEDED',
    `the registry at ${registryUrl} needs a token with the scope "${scope}": pass --token <jwt> or set ZIGONG_REGISTRY_TOKEN.`,
  );
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers).
    return 'unknown';
  }
}

/** The registry's answer to `GET /supergraph`. */
export interface FetchedSupergraph {
  sdl: string;
  /** sha256 of the SDL, hex (the ETag without its quotes). */
  hash: string;
  compositionId: string;
}

export class RegistryClient {
  readonly url: string;
  private token: Promise<string> | undefined;

  /**
   * `token` may be a function, called at the first request: a verb then finds a wrong input file
   * (exit 2) before a missing token (exit 3).
   */
  constructor(
    registryUrl: string,
    private readonly tokenSource: string | (() => Promise<string>),
  ) {
    this.url = registryUrl.replace(/\/+$/, '');
  }

  /** One operation; resolves `data`, throws RegistryError with every error of the answer. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.send(`${this.url}/graphql`, {
      method: 'POST',
      headers: { accept: 'application/graphql-response+json, application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let answer: { data?: T | null; errors?: Array<{ message?: string; extensions?: Record<string, unknown> }> };
    try {
      answer = JSON.parse(text);
    } catch {
      throw this.withoutGraphQL(response, text);
    }
    if (answer?.errors?.length) {
      const problems = answer.errors.map((error) => ({
        message: error.message ?? '(no message)',
        code: typeof error.extensions?.code === 'string' ? error.extensions.code : undefined,
        extensions: error.extensions ?? {},
      }));
      throw new RegistryError(problems[0].code ?? 'INTERNAL_SERVER_ERROR', problems[0].message, problems);
    }
    if (!answer || typeof answer !== 'object' || !answer.data) throw this.withoutGraphQL(response, text);
    return answer.data;
  }

  /** What gateways are served: `GET /supergraph?variant=`. */
  async supergraph(variant: string): Promise<FetchedSupergraph> {
    const response = await this.send(`${this.url}/supergraph?variant=${encodeURIComponent(variant)}`, { method: 'GET' });
    const text = await response.text();
    if (response.status === 200) {
      return {
        sdl: text,
        hash: (response.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, ''),
        compositionId: response.headers.get('x-composition-id') ?? '',
      };
    }
    let answer: { errors?: Array<{ message?: string; extensions?: { code?: string } }> } | undefined;
    try {
      answer = JSON.parse(text);
    } catch {
      // reported below
    }
    const error = answer?.errors?.[0];
    if (!error) throw this.withoutGraphQL(response, text);
    const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
    throw new RegistryError(code, error.message ?? `${response.status} ${response.statusText}`);
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const source = this.tokenSource;
    const token = await (this.token ??= typeof source === 'string' ? Promise.resolve(source) : source());
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new RegistryError('REGISTRY_UNREACHABLE', `registry unreachable at ${this.url}: no answer within ${TIMEOUT_MS / 1000} s.`);
      }
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RegistryError(
        'REGISTRY_UNREACHABLE',
        `registry unreachable at ${this.url} (${reason}). Is it running (\`zigong dev\` starts one)? Pass --registry or set ZIGONG_REGISTRY_URL.`,
      );
    }
  }

  /** A proxy's error page, a 413 before GraphQL, another server on the port: say what came back. */
  private withoutGraphQL(response: Response, text: string): RegistryError {
    if (response.status === 413) return new RegistryError('SDL_TOO_LARGE', `the registry at ${this.url} refused the request as too large (413).`);
    if (response.status === 401) return new RegistryError('UNAUTHENTICATED', `the registry at ${this.url} refused the token (401).`);
    if (response.status === 403) return new RegistryError('FORBIDDEN', `the registry at ${this.url} refused the token's scopes (403).`);
    const body = text.slice(0, 200).trim() || '(empty body)';
    return new RegistryError('BAD_RESPONSE', `${this.url} answered ${response.status} ${response.statusText} without a GraphQL answer: ${body}. Is --registry the registry?`);
  }
}
