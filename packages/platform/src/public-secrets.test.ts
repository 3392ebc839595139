import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { MIN_SECRET_BITS, productionSecretProblems, PUBLISHED_SECRETS } from './public-secrets';

const problemsOf = (value: string, name = 'GATEWAY_SIGNING_SECRET') => productionSecretProblems([{ name, value }]);
const tooEasy = (name: string) => expect.stringMatching(new RegExp(`^${name} is too easy to guess \\(about \\d+ bits estimated, ${MIN_SECRET_BITS} needed`));

/** What `openssl rand` prints, from the binary where the machine has it, else the same bytes encoded alike. */
function opensslRand(format: '-hex' | '-base64'): string {
  try {
    return execFileSync('openssl', ['rand', format, '32'], { encoding: 'utf8' }).trim();
  } catch {
    return randomBytes(32).toString(format === '-hex' ? 'hex' : 'base64');
  }
}

describe('production secrets', () => {
  it.each([
    ['32 times one letter', 'a'.repeat(32)],
    ['changeme, repeated', 'changeme'.repeat(4)],
    ['changeme, padded with digits', 'changemechangemechangeme12345678'],
    ['a word repeated with digits', 'password1234567890password1234567890'],
    ['a repeated pattern', 'abc'.repeat(11)],
    ['a sequence', 'abcdefghijklmnopqrstuvwxyz0123456789'],
    ['digits counting up', '1234567890123456789012345678901234'],
    ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnm1234567890'],
    ['a diagonal keyboard walk', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p'],
    ['dictionary words padded', 'correcthorsebatterystaple-correcthorse'],
    ['a season and year, repeated', 'Summer2024!Summer2024!Summer2024!!'],
    ['leet-spelt words, repeated', 'Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3'],
  ])('refuses %s (%p), naming the variable', (_, value) => {
    expect(problemsOf(value)).toEqual([tooEasy('GATEWAY_SIGNING_SECRET')]);
  });

  it('accepts random 32-byte values as openssl rand prints them, hex and base64', () => {
    for (let i = 0; i < 4; i++) {
      for (const value of [opensslRand('-hex'), opensslRand('-base64'), randomBytes(32).toString('base64url')]) {
        expect([value, problemsOf(value)]).toEqual([value, []]);
      }
    }
  });

  it('refuses every published example value, saying where it is published, before estimating', () => {
    for (const { value, where } of PUBLISHED_SECRETS) {
      expect(problemsOf(value, 'JWT_SECRET')).toEqual([`JWT_SECRET is a published example value (${where}); set a secret of your own.`]);
    }
  });

  it('refuses one value in two roles, naming both, and skips unset ones', () => {
    const shared = randomBytes(32).toString('hex');
    expect(
      productionSecretProblems([
        { name: 'JWT_SECRET', value: shared },
        { name: 'PGPASSWORD', value: undefined },
        { name: 'GATEWAY_SIGNING_SECRET', value: shared },
        { name: 'the password in DATABASE_URL', value: shared },
      ]),
    ).toEqual([
      'GATEWAY_SIGNING_SECRET is the same value as JWT_SECRET; each role needs a secret of its own.',
      'the password in DATABASE_URL is the same value as JWT_SECRET; each role needs a secret of its own.',
    ]);
    expect(productionSecretProblems([{ name: 'JWT_SECRET', value: randomBytes(32).toString('hex') }, { name: 'GATEWAY_SIGNING_SECRET', value: randomBytes(32).toString('hex') }])).toEqual([]);
  });
});
