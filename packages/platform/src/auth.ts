import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { EnvReader } from './env';
import type { Identity } from './identity';
import type { Logger } from './logger';
import { LOCAL_JWT_SECRET } from './public-secrets';

/**
 * How bearer tokens are verified: the gateway's settings, which every service that takes tokens
 * (the gateway, the registry) reads the same way, so one token works for both.
 */
export interface TokenConfig {
  /** HS256 secret for tokens minted locally (`npm run token`); ignored when jwksUrl is set. */
  jwtSecret?: string;
  /** JWKS endpoint for RS256/ES256 tokens from an identity provider; with it, HS256 is off. */
  jwksUrl?: string;
  /** Required in production: without them any token the identity provider issues, to any application, would do. */
  issuer?: string;
  audience?: string;
  /** JWT_MAX_TOKEN_AGE: the longest a token may live (exp - iat), and the oldest its `iat` may be. */
  maxTokenAgeSeconds?: number;
}

export type Authenticate = (authorization: string | undefined) => Promise<Identity | null>;

/** Verifies bearer tokens; with a JWKS_URL it also says whether it has keys to verify with. */
export interface Authenticator extends Authenticate {
  /** False while a JWKS_URL is configured and no key set has been fetched from it yet. */
  ready(): boolean;
  /** Stops the background retries of a key set not yet fetched. */
  close(): void;
}

export interface AuthenticatorOptions {
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Counts failed fetches of the key set (metrics.ts: gateway_jwks_fetch_failures_total). */
  jwksFetchFailures?: { inc(): void };
  /**
   * Waits between background fetches of a key set not fetched yet (doubling from `first` up to
   * `max`); for `first` after a failed fetch, requests fail at once instead of fetching again.
   */
  retryMs?: { first: number; max: number };
}

const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/** JWT_MAX_TOKEN_AGE's default: a stolen token is worth a day at most. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 24 * 60 * 60;
/** How far apart the identity provider's clock and ours may be when `iat` and `exp` are judged. */
export const CLOCK_SKEW_SECONDS = 60;

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** The token may be fine: the gateway cannot check it now. Not the client's fault, so not a 401. */
function authUnavailable(): GraphQLError {
  return new GraphQLError('Tokens cannot be verified right now: the identity provider’s keys (JWKS_URL) could not be fetched. Try again shortly.', {
    extensions: { code: 'AUTH_UNAVAILABLE', http: { status: 503 } },
  });
}

/** The key set could not be fetched (or was no key set): nothing said about the token. */
class KeysUnavailable extends Error {}

/**
 * jose's remote key set, fetched at once and retried in the background until it has been fetched
 * once (then jose refreshes it as tokens need), with every failed fetch logged with its cause and
 * counted once, however many requests were waiting on it.
 */
function remoteKeySet(url: string, options: AuthenticatorOptions) {
  const { logger, jwksFetchFailures } = options;
  const { first, max } = options.retryMs ?? { first: 1_000, max: 30_000 };
  const remote = createRemoteJWKSet(new URL(url));
  const reported = new WeakSet<object>();
  let lastFailure = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const ready = () => remote.jwks() !== undefined;
  /** Requests waiting on one fetch share its error: one log line and one count per fetch. */
  const failed = (error: unknown) => {
    lastFailure = Date.now();
    if (typeof error === 'object' && error !== null) {
      if (reported.has(error)) return;
      reported.add(error);
    }
    jwksFetchFailures?.inc();
    const cause = error as { message?: unknown; code?: unknown };
    logger?.warn({ err: error, url, cause: String(cause?.message ?? error), code: cause?.code }, 'could not fetch the JWKS key set; tokens cannot be verified until it is fetched');
  };
  const attempt = (wait: number) => {
    if (closed || ready()) return; // a request's fetch may have succeeded meanwhile
    remote.reload().then(
      () => logger?.info({ url }, 'JWKS key set fetched'),
      (error) => {
        failed(error);
        if (closed || ready()) return;
        timer = setTimeout(() => attempt(Math.min(wait * 2, max)), wait);
        timer.unref();
      },
    );
  };
  attempt(first);

  const getKey: JWTVerifyGetKey = async (header, token) => {
    // A fetch just failed and none holds: do not make every request wait on another.
    if (!remote.fresh && Date.now() - lastFailure < first) throw new KeysUnavailable();
    try {
      return await remote(header, token);
    } catch (error) {
      // The set was fetched and has no single key for this token: the token's problem.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      failed(error);
      throw new KeysUnavailable();
    }
  };
  const close = () => {
    closed = true;
    clearTimeout(timer);
  };
  return { getKey, ready, close };
}

/**
 * Verifies `Authorization: Bearer <jwt>`: HS256 with the shared secret, or RS256/ES256 against
 * the JWKS; with a JWKS_URL, HS256 is off (a JWT_SECRET is ignored, with a warning). No header
 * means anonymous; a header that does not verify is refused, never ignored; a token that cannot be
 * checked because the key set cannot be fetched is answered 503 AUTH_UNAVAILABLE.
 */
export function createAuthenticator(config: TokenConfig, options: AuthenticatorOptions = {}): Authenticator {
  const jwks = config.jwksUrl ? remoteKeySet(config.jwksUrl, options) : undefined;
  // A shared secret beside an identity provider would let whoever holds it mint any identity.
  if (config.jwtSecret && jwks) {
    options.logger?.warn('JWT_SECRET is ignored: with JWKS_URL set, only RS256/ES256 tokens signed by the identity provider are accepted (HS256 is off).');
  }
  const secret = config.jwtSecret && !jwks ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const maxAge = config.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS;
  // A token without `exp` would be good forever, and one without `iat` could not be aged: both
  // are required, and jose refuses an `iat` older than maxAge or later than now (give or take skew).
  const verifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ['exp', 'iat'],
    maxTokenAge: maxAge,
    clockTolerance: CLOCK_SKEW_SECONDS,
  };

  const authenticate = async (authorization: string | undefined): Promise<Identity | null> => {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    let payload: JWTPayload;
    try {
      const header = JSON.parse(Buffer.from(match[1].split('.')[0] ?? '', 'base64url').toString('utf8'));
      const alg = header?.alg;
      if (alg === 'HS256' && secret) payload = (await jwtVerify(match[1], secret, { ...verifyOptions, algorithms: ['HS256'] })).payload;
      else if (jwks && JWKS_ALGORITHMS.includes(alg)) payload = (await jwtVerify(match[1], jwks.getKey, { ...verifyOptions, algorithms: JWKS_ALGORITHMS })).payload;
      else throw unauthenticated(`Tokens signed with ${String(alg)} are not accepted here${jwks ? ': only the identity provider’s RS256/ES256 tokens are' : ''}.`);
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      if (error instanceof KeysUnavailable) throw authUnavailable();
      if (error instanceof errors.JWTExpired && error.claim === 'iat') {
        throw unauthenticated(`The token was issued more than ${maxAge} s ago (JWT_MAX_TOKEN_AGE); get a new one.`);
      }
      if (error instanceof errors.JWTExpired) throw unauthenticated('The token has expired; get a new one.');
      if (error instanceof errors.JWTClaimValidationFailed && error.reason === 'missing' && (error.claim === 'exp' || error.claim === 'iat')) {
        throw unauthenticated(`The token has no "${error.claim}" claim: tokens must say when they were issued and when they expire.`);
      }
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iat') throw unauthenticated('The token’s "iat" claim is in the future.');
      if (error instanceof errors.JWSSignatureVerificationFailed) throw unauthenticated('The token’s signature does not verify.');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthenticated(`The token’s "${error.claim}" claim is not acceptable.`);
      if (error instanceof errors.JWKSNoMatchingKey) throw unauthenticated('The token is signed with a key the identity provider does not publish.');
      throw unauthenticated('The token is malformed.');
    }
    // A fresh `iat` with `exp` in 2200 would still live forever: the lifetime itself is bounded.
    if (payload.exp! - payload.iat! > maxAge) {
      throw unauthenticated(`The token lives ${payload.exp! - payload.iat!} s, longer than the ${maxAge} s allowed (JWT_MAX_TOKEN_AGE); get a shorter-lived one.`);
    }
    if (typeof payload.sub !== 'string' || !payload.sub) throw unauthenticated('The token has no "sub" claim.');
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const identity: Identity = { sub: payload.sub, scopes: scope.split(' ').filter(Boolean) };
    if (typeof payload.azp === 'string' && payload.azp) identity.azp = payload.azp;
    return identity;
  };
  return Object.assign(authenticate, { ready: () => jwks?.ready() ?? true, close: () => jwks?.close() });
}

export interface MintOptions {
  sub: string;
  scope: string;
  expiresIn?: string | number;
  /** JWT_ISSUER and JWT_AUDIENCE where the gateway checks them. */
  issuer?: string;
  audience?: string;
  /** The OAuth client the token is issued to, as an identity provider writes it. */
  azp?: string;
}

/** Mints an HS256 token, as `npm run token` does; for local use and tests. */
export function mintToken(secret: string, { sub, scope, expiresIn = '1h', issuer, audience, azp }: MintOptions): Promise<string> {
  const token = new SignJWT(azp ? { scope, azp } : { scope }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expiresIn);
  if (issuer) token.setIssuer(issuer);
  if (audience) token.setAudience(audience);
  return token.sign(new TextEncoder().encode(secret));
}

/**
 * JWKS_URL, JWT_SECRET (the development secret in local mode without a JWKS), JWT_ISSUER,
 * JWT_AUDIENCE and JWT_MAX_TOKEN_AGE. In production it also returns what is missing: a way to
 * verify tokens, and the issuer and audience without which any token the identity provider
 * issues, to any of its applications, would do. `modeVariable` names the setting in messages.
 */
export function readTokenConfig(read: EnvReader, production: boolean, modeVariable: string): { tokens: TokenConfig; problems: string[] } {
  const jwksUrl = read.optionalUrl('JWKS_URL', ['https:', 'http:']);
  // With a JWKS only the identity provider's tokens are accepted: no development secret by default.
  const jwtSecret = read.secret('JWT_SECRET') ?? (production || jwksUrl ? undefined : LOCAL_JWT_SECRET);
  const tokens: TokenConfig = {
    jwtSecret,
    jwksUrl,
    issuer: read.optional('JWT_ISSUER'),
    audience: read.optional('JWT_AUDIENCE'),
    maxTokenAgeSeconds: read.durationSeconds('JWT_MAX_TOKEN_AGE', DEFAULT_MAX_TOKEN_AGE_SECONDS, { min: 60, max: 30 * 86_400 }),
  };
  const problems: string[] = [];
  if (production) {
    if (!jwtSecret && !jwksUrl) problems.push(`${modeVariable}=production needs JWKS_URL or JWT_SECRET.`);
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE']) {
      if (read.optional(name) === undefined) problems.push(`${modeVariable}=production needs ${name}: tokens are accepted only when their "${name === 'JWT_ISSUER' ? 'iss' : 'aud'}" claim names it.`);
    }
  }
  return { tokens, problems };
}
