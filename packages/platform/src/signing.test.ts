import { signRequest, verifySignature } from './signing';

const SECRET = 'shared-secret-of-at-least-32-bytes-long';
const BODY = '{"query":"{ funds { id } }"}';

describe('gateway request signatures', () => {
  it('accepts what the gateway signed', () => {
    expect(verifySignature(SECRET, signRequest(SECRET, BODY), BODY)).toBeNull();
  });

  it.each([
    ['no signature', undefined, BODY, /unsigned/],
    ['a tampered body', signRequest(SECRET, BODY), BODY.replace('funds', 'fund'), /wrong signature/],
    ['another secret', signRequest('another-secret-of-at-least-32-bytes!!', BODY), BODY, /wrong signature/],
    ['a stale signature', signRequest(SECRET, BODY, Date.now() - 120_000), BODY, /stale/],
    ['garbage', 't=1,v1=zz', BODY, /malformed/],
  ])('refuses %s', (_, header, body, reason) => {
    expect(verifySignature(SECRET, header, body)).toMatch(reason);
  });
});
