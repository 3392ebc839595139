import { createHash } from 'node:crypto';
import { MemoryNonceStore } from './replay';
import { signRequest, type SignedParts, signingKeyId, verifySignature } from './signing';

const SECRET = 'shared-secret-of-at-least-32-bytes-long';
const BODY = '{"query":"{ funds { id } }"}';
const READER = Buffer.from(JSON.stringify({ sub: 'reader', scopes: [] })).toString('base64url');
const WRITER = Buffer.from(JSON.stringify({ sub: 'attacker', scopes: ['finance:write'] })).toString('base64url');
const SENT: SignedParts = { method: 'POST', target: '/graphql', body: BODY, identity: READER };

/** The three headers as a subgraph reads them. */
const received = (headers: Record<string, string>) => ({ input: headers['signature-input'], signature: headers.signature, digest: headers['content-digest'] });
const reasonOf = (result: ReturnType<typeof verifySignature>) => ('reason' in result ? result.reason : null);

describe('gateway request signatures (RFC 9421 shape)', () => {
  it('accepts what the gateway signed, with or without an identity', () => {
    expect(reasonOf(verifySignature(SECRET, received(signRequest(SECRET, SENT)), SENT))).toBeNull();
    const anonymous = { ...SENT, identity: undefined };
    expect(reasonOf(verifySignature(SECRET, received(signRequest(SECRET, anonymous)), anonymous))).toBeNull();
  });

  it('writes the standard headers: Content-Digest, and a labelled Signature-Input and Signature', () => {
    const headers = signRequest(SECRET, SENT, 1_800_000_000_000, 'c0ffee00-0000-4000-8000-000000000001');
    expect(headers).toEqual({
      'content-digest': `sha-256=:${createHash('sha256').update(BODY).digest('base64')}:`,
      'signature-input': `zigong=("@method" "@path" "@query" "content-digest" "x-zigong-identity");created=1800000000;nonce="c0ffee00-0000-4000-8000-000000000001";keyid="${signingKeyId(SECRET)}";alg="hmac-sha256"`,
      signature: expect.stringMatching(/^zigong=:[A-Za-z0-9+/]{43}=:$/),
    });
  });

  it('never signs two requests with the same nonce', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => /nonce="([^"]+)"/.exec(signRequest(SECRET, SENT)['signature-input'])![1]));
    expect(nonces.size).toBe(1000);
  });

  const signed = signRequest(SECRET, SENT);
  const stale = signRequest(SECRET, SENT, Date.now() - 120_000);
  const ahead = signRequest(SECRET, SENT, Date.now() + 120_000);
  const uncovered = signRequest(SECRET, { ...SENT, identity: undefined });
  it.each<[string, Record<string, string | undefined>, SignedParts, RegExp]>([
    ['no signature', {}, SENT, /^unsigned request/],
    ['a signature without its input', { signature: signed.signature, digest: signed['content-digest'] }, SENT, /^malformed/],
    ['garbage', { input: 'zigong=("@method");created=1', signature: 'zigong=:zz:', digest: signed['content-digest'] }, SENT, /^malformed/],
    ['the old t=,v1= shape', { input: undefined, signature: 't=1,v1=00' }, SENT, /^malformed/],
    ['another algorithm', { ...received(signed), input: signed['signature-input'].replace('hmac-sha256', 'ed25519') }, SENT, /^malformed signature: algorithm/],
    ['another secret', received(signRequest('another-secret-of-at-least-32-bytes!!', SENT)), SENT, /^wrong signature: signed with another key/],
    ['a stale signature', received(stale), SENT, /^stale/],
    ['a signature from the future', received(ahead), SENT, /^stale/],
    // The attacks of finding 3, on one captured request.
    ['a swapped identity carrying finance:write', received(signed), { ...SENT, identity: WRITER }, /^wrong signature$/],
    ['an identity added to an anonymous request', received(uncovered), { ...SENT, identity: WRITER }, /^the signature does not cover x-zigong-identity$/],
    ['the identity dropped', received(signed), { ...SENT, identity: undefined }, /covers x-zigong-identity, which the request does not carry/],
    ['another path', received(signed), { ...SENT, target: '/graphql/other' }, /^wrong signature$/],
    ['a query string added', received(signed), { ...SENT, target: '/graphql?query=%7B__typename%7D' }, /^wrong signature$/],
    ['another method', received(signed), { ...SENT, method: 'GET' }, /^wrong signature$/],
    ['a changed body', received(signed), { ...SENT, body: BODY.replace('funds', 'fund') }, /^the body does not match its content-digest$/],
    ['a changed body with a digest of its own', { ...received(signed), digest: signRequest(SECRET, { ...SENT, body: '{}' })['content-digest'] }, { ...SENT, body: '{}' }, /^wrong signature$/],
    [
      'components taken out of the signature',
      { ...received(signed), input: signed['signature-input'].replace('"@method" "@path" "@query" ', '') },
      SENT,
      /^the signature does not cover @method, @path, @query$/,
    ],
  ])('refuses %s', (_, headers, parts, reason) => {
    expect(reasonOf(verifySignature(SECRET, headers, parts))).toMatch(reason);
  });
});

describe('the in-memory replay cache', () => {
  it('accepts a nonce once within its window', () => {
    const store = new MemoryNonceStore();
    const result = verifySignature(SECRET, received(signRequest(SECRET, SENT)), SENT);
    if ('reason' in result) throw new Error(result.reason);
    expect(store.remember(result.nonce, result.expiresAt)).toBe(true);
    expect(store.remember(result.nonce, result.expiresAt)).toBe(false);
  });

  it('when full, refuses signatures as old as the nonces it had to drop instead of forgetting them', () => {
    const store = new MemoryNonceStore(3);
    const now = Date.now();
    const old = now + 30_000;
    for (const nonce of ['a', 'b', 'c']) expect(store.remember(nonce, old)).toBe(true);
    // A fourth pushes 'a' out while its window is still open: 'a' again must not pass.
    expect(store.remember('d', old + 1_000)).toBe(true);
    expect(store.size).toBe(3);
    expect(store.remember('a', old)).toBe(false);
    // Newer signatures are still accepted.
    expect(store.remember('e', old + 2_000)).toBe(true);
  });

  it('forgets nonces once their window has passed, so it holds only the traffic of one window', async () => {
    const store = new MemoryNonceStore();
    for (let i = 0; i < 1_000; i++) expect(store.remember(`short-${i}`, Date.now() + 50)).toBe(true);
    expect(store.remember('long', Date.now() + 60_000)).toBe(true);
    expect(store.size).toBe(1_001);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(store.remember('next', Date.now() + 60_000)).toBe(true);
    expect(store.size).toBe(2);
    expect(store.remember('long', Date.now() + 60_000)).toBe(false);
  });
});
