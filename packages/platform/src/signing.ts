import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Refusal } from './http';
import { IDENTITY_HEADER as IDENTITY } from './identity';

/*
 * Gateway-to-subgraph request signatures in the shape of HTTP Message Signatures (RFC 9421) with
 * HMAC-SHA256, over a Content-Digest (RFC 9530) of the body. Written on node:crypto rather than
 * with the `http-message-signatures` library: that library cost about 110 µs per request for sign
 * plus verify (this costs a tenth of it), does not check Content-Digest, and reports every refusal
 * as one error where a subgraph's 401 must say which rule was broken. The verifier accepts only the
 * canonical serialisation this signer writes, so there is no structured-field parser to get wrong.
 *
 * What one signature binds: the method, the path and query, the forwarded identity header
 * (whenever the request carries one), the body's digest, the creation time and a nonce. So a
 * captured request cannot be sent with another identity, to another path, or with another body;
 * and, with the subgraph's replay cache, it cannot be sent twice.
 */

/** RFC 9421's headers: the signature, and the description of what it covers. */
export const SIGNATURE_HEADER = 'signature';
export const SIGNATURE_INPUT_HEADER = 'signature-input';
/** RFC 9530's digest of the body, `sha-256=:<base64>:`; the signature covers it. */
export const CONTENT_DIGEST_HEADER = 'content-digest';
/** How old (or how far ahead of the subgraph's clock) a signature may be. */
export const SIGNATURE_MAX_AGE_MS = 60_000;
/** The label of the gateway's signature in both headers. */
export const SIGNATURE_LABEL = 'zigong';

const ALGORITHM = 'hmac-sha256';
/** Always covered. The identity is covered too whenever the request carries one. */
const REQUIRED_COMPONENTS = ['@method', '@path', '@query', CONTENT_DIGEST_HEADER] as const;

/** A request as the signer sends it, or as the verifier received it. */
export interface SignedParts {
  method: string;
  /** The request target as sent: path and query, e.g. `/graphql` or `/graphql?x=1`. */
  target: string;
  /** The exact body bytes sent (empty for a GET). */
  body: string;
  /** The identity header's value, when the request carries one. */
  identity?: string;
}

/** What a valid signature tells the replay cache. */
export interface Verified {
  nonce: string;
  /** Epoch ms after which the signature is stale anyway, so its nonce may be forgotten. */
  expiresAt: number;
}

/**
 * The key id names the secret without revealing it (an HMAC of a fixed text, not a hash of the
 * secret): a subgraph holding another secret says so instead of only "wrong signature".
 */
const keyIds = new Map<string, string>();
export function signingKeyId(secret: string): string {
  let id = keyIds.get(secret);
  if (!id) {
    id = createHmac('sha256', secret).update('zigong gateway signing key id').digest('base64url').slice(0, 16);
    keyIds.set(secret, id);
  }
  return id;
}

export function contentDigest(body: string): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

function splitTarget(target: string): { path: string; query: string } {
  const at = target.indexOf('?');
  const path = at === -1 ? target : target.slice(0, at);
  return { path: path || '/', query: at === -1 ? '?' : target.slice(at) };
}

/** RFC 9421 §2.5: one line per covered component, then the signature's own parameters. */
function signatureBase(components: readonly string[], values: Record<string, string>, params: string): string {
  let base = '';
  for (const name of components) base += `"${name}": ${values[name]}\n`;
  return `${base}"@signature-params": ${params}`;
}

function serializeParams(components: readonly string[], created: number, nonce: string, keyId: string): string {
  return `(${components.map((c) => `"${c}"`).join(' ')});created=${created};nonce="${nonce}";keyid="${keyId}";alg="${ALGORITHM}"`;
}

function mac(secret: string, base: string): Buffer {
  return createHmac('sha256', secret).update(base).digest();
}

/**
 * The headers that sign a request to a subgraph: Content-Digest, Signature-Input and Signature.
 * Every call has a new nonce, so each request the gateway sends (a retry too) is signed anew.
 */
export function signRequest(secret: string, parts: SignedParts, now = Date.now(), nonce: string = randomUUID()): Record<string, string> {
  const { path, query } = splitTarget(parts.target);
  const digest = contentDigest(parts.body);
  const values: Record<string, string> = { '@method': parts.method.toUpperCase(), '@path': path, '@query': query, [CONTENT_DIGEST_HEADER]: digest };
  const components: string[] = [...REQUIRED_COMPONENTS];
  if (parts.identity !== undefined) {
    components.push(IDENTITY);
    values[IDENTITY] = parts.identity.trim();
  }
  const params = serializeParams(components, Math.floor(now / 1000), nonce, signingKeyId(secret));
  return {
    [CONTENT_DIGEST_HEADER]: digest,
    [SIGNATURE_INPUT_HEADER]: `${SIGNATURE_LABEL}=${params}`,
    [SIGNATURE_HEADER]: `${SIGNATURE_LABEL}=:${mac(secret, signatureBase(components, values, params)).toString('base64')}:`,
  };
}

/**
 * The signature headers for a request to a URL, as any client sends it: the target taken from the
 * URL, the identity from the headers it carries. For signers other than the gateway's own client
 * (the bench's contenders and load, tests that speak to a subgraph as the gateway would).
 */
export function signatureFor(
  secret: string,
  url: string | URL,
  init: { method?: string; body?: string; headers?: Record<string, string> },
  now = Date.now(),
): Record<string, string> {
  const { pathname, search } = typeof url === 'string' ? new URL(url) : url;
  const identity = Object.entries(init.headers ?? {}).find(([name]) => name.toLowerCase() === IDENTITY)?.[1];
  return signRequest(secret, { method: init.method ?? 'POST', target: pathname + search, body: init.body ?? '', identity }, now);
}

/** The canonical Signature-Input this signer writes; nothing else is accepted. */
const INPUT = new RegExp(
  `^${SIGNATURE_LABEL}=\\(((?:"[a-z@-]+")(?: "[a-z@-]+")*)\\);created=(\\d{1,12});nonce="([A-Za-z0-9_-]{16,64})";keyid="([A-Za-z0-9_-]{1,64})";alg="([a-z0-9-]+)"$`,
);
const SIGNATURE = new RegExp(`^${SIGNATURE_LABEL}=:([A-Za-z0-9+/]{43}=):$`);
const DIGEST = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/;

/** A request's signature checked against its parts: why it is refused, or what the replay cache needs. */
export function verifySignature(
  secret: string,
  headers: { input?: string; signature?: string; digest?: string },
  parts: SignedParts,
  now = Date.now(),
): { reason: string } | Verified {
  if (headers.input === undefined && headers.signature === undefined) return { reason: 'unsigned request: subgraphs answer only the gateway' };
  const input = headers.input === undefined ? null : INPUT.exec(headers.input);
  const signature = headers.signature === undefined ? null : SIGNATURE.exec(headers.signature);
  if (!input || !signature) return { reason: `malformed signature: expected ${SIGNATURE_INPUT_HEADER} and ${SIGNATURE_HEADER} labelled "${SIGNATURE_LABEL}" as RFC 9421 writes them` };
  const [, list, createdText, nonce, keyId, alg] = input;
  if (alg !== ALGORITHM) return { reason: `malformed signature: algorithm ${alg}, expected ${ALGORITHM}` };
  const components = list.split(' ').map((quoted) => quoted.slice(1, -1));
  if (new Set(components).size !== components.length) return { reason: 'malformed signature: a component is listed twice' };
  const required: string[] = [...REQUIRED_COMPONENTS];
  // A header the signature does not cover could have been added or swapped on the way.
  if (parts.identity !== undefined) required.push(IDENTITY);
  const uncovered = required.filter((name) => !components.includes(name));
  if (uncovered.length > 0) return { reason: `the signature does not cover ${uncovered.join(', ')}` };
  const createdMs = Number(createdText) * 1000;
  // `created` has whole seconds: a signature made this second may look up to a second old.
  if (now - createdMs > SIGNATURE_MAX_AGE_MS + 1000 || createdMs - now > SIGNATURE_MAX_AGE_MS) return { reason: 'stale signature' };
  if (keyId !== signingKeyId(secret)) return { reason: 'wrong signature: signed with another key' };

  const { path, query } = splitTarget(parts.target);
  const values: Record<string, string> = { '@method': parts.method.toUpperCase(), '@path': path, '@query': query };
  for (const name of components) {
    if (name.startsWith('@')) {
      if (values[name] === undefined) return { reason: `malformed signature: unknown component ${name}` };
    } else {
      const value = name === CONTENT_DIGEST_HEADER ? headers.digest : name === IDENTITY ? parts.identity : undefined;
      if (value === undefined) return { reason: `the signature covers ${name}, which the request does not carry` };
      values[name] = value.trim();
    }
  }
  const expected = mac(secret, signatureBase(components, values, serializeParams(components, Number(createdText), nonce, keyId)));
  if (!timingSafeEqual(expected, Buffer.from(signature[1], 'base64'))) return { reason: 'wrong signature' };
  // The digest is signed, so only the body can disagree with it now.
  const digest = DIGEST.exec(headers.digest ?? '');
  if (!digest || !timingSafeEqual(Buffer.from(digest[1], 'base64'), createHash('sha256').update(parts.body).digest())) {
    return { reason: 'the body does not match its content-digest' };
  }
  return { nonce: `${keyId}:${nonce}`, expiresAt: createdMs + SIGNATURE_MAX_AGE_MS + 1000 };
}

/** Remembers the nonces of the signatures accepted within their window. */
export interface NonceStore {
  /** True when the nonce is new (and now remembered until expiresAt); false for a replay. */
  remember(nonce: string, expiresAt: number): Promise<boolean> | boolean;
  close?(): Promise<void> | void;
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Refuses (401) every request the gateway did not sign, and every signed request seen before. */
export function signatureGuard(secret: string, nonces: NonceStore) {
  const refuse = (reason: string): Refusal => ({ status: 401, code: 'UNAUTHENTICATED', message: `Refused: ${reason}.` });
  return async (req: IncomingMessage, rawBody: string): Promise<Refusal | null> => {
    const result = verifySignature(
      secret,
      { input: header(req, SIGNATURE_INPUT_HEADER), signature: header(req, SIGNATURE_HEADER), digest: header(req, CONTENT_DIGEST_HEADER) },
      { method: req.method ?? 'GET', target: req.url ?? '/', body: rawBody, identity: header(req, IDENTITY) },
    );
    if ('reason' in result) return refuse(result.reason);
    // Only after the signature holds: an unsigned flood cannot fill the cache.
    if (!(await nonces.remember(result.nonce, result.expiresAt))) return refuse('replayed request: this signature was already used');
    return null;
  };
}
