import { secretLengthProblem } from './env';

/**
 * Secrets everyone who reads this repository knows. Good on a laptop; a process in production
 * mode refuses to start with any of them (see `publicSecretProblem`).
 */

/** The gateway's HS256 secret in local mode, with which `npm run token` signs. */
export const LOCAL_JWT_SECRET = 'zigong-local-development-secret-not-for-production';

export interface PublishedSecret {
  value: string;
  /** Where the repository publishes it. */
  where: string;
}

/**
 * Every secret value the repository's example and default configuration publishes: the one list
 * that configuration checks and tests share. `tests/deploy` fails when an example file holds a
 * secret that is missing here, so a new example value cannot slip into production unnoticed.
 * (The example files themselves are written by `npm run deploy:generate`, packages/cli/src/deploy.)
 */
export const PUBLISHED_SECRETS: readonly PublishedSecret[] = [
  { value: LOCAL_JWT_SECRET, where: 'the local development secret, with which `npm run token` signs' },
  { value: 'dev-only-signing-secret-not-for-production-0000', where: 'infra/k8s/secret.example.yaml' },
  { value: 'dev-only-jwt-secret-not-for-production-000000000', where: 'infra/k8s/secret.example.yaml' },
  { value: 'dev-only-postgres-password', where: 'infra/k8s/secret.example.yaml' },
  { value: 'dev-only-supergraph-key-not-for-production-000000', where: 'infra/k8s/secret.example.yaml' },
];

/**
 * Why `value`, the secret in the variable `name`, is public, or undefined: a published example
 * value (naming where it is published, the local development secret among them), or any value
 * starting with `dev-only` (how the examples name their public defaults). Length is checked
 * apart, in every mode (`EnvReader.secret`: at least 32 bytes).
 */
export function publicSecretProblem(name: string, value: string): string | undefined {
  const published = PUBLISHED_SECRETS.find((secret) => secret.value === value);
  if (published) return `${name} is a published example value (${published.where}); set a secret of your own.`;
  if (/^dev-only/i.test(value)) return `${name} starts with "dev-only", the mark of a public default for laptops; set a secret of your own.`;
  return undefined;
}

/**
 * The floor for a production secret, in bits as zxcvbn estimates them: the security level of the
 * HMAC-SHA256 keys these secrets are. The estimator counts a random hex character as a digit
 * (log2 10 bits), so it undercounts random values: `openssl rand -hex 32` estimates about 200 bits
 * and `openssl rand -base64 32` 134 to 146 (the lowest of 2,400 samples: 134), while `-hex 16`,
 * 128 real bits, estimates about 105 and is refused; the message asks for 32 bytes.
 */
export const MIN_SECRET_BITS = 128;
/** Shorter values are refused unestimated: the estimator gives under 32 characters at most 106 bits. */
const MIN_SECRET_BYTES = 32;

export interface NamedSecret {
  /** How an operator knows it: the variable, or e.g. "the password in DATABASE_URL". */
  name: string;
  value: string | undefined;
}

/**
 * zxcvbn (the password estimator), not a hand-written entropy count, because the values to refuse
 * are what people type: repeats, sequences, keyboard walks and dictionary words (padded,
 * repeated, leet-spelt), which only its pattern matchers and word lists recognise. Built only
 * when a production process checks its secrets, and dropped afterwards (measured: about 1.1 s
 * once at start, 10 MB of heap kept by the loaded word lists); the estimates are remembered, as a
 * process reads its configuration once but the tests read many.
 */
const estimates = new Map<string, number>();

function estimateBits(values: string[]): Map<string, number> {
  const missing = values.filter((value) => !estimates.has(value));
  if (missing.length) {
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const english = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
    const estimator = new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...english.dictionary }, graphs: common.adjacencyGraphs });
    for (const value of missing) estimates.set(value, estimator.check(value).guessesLog10 * Math.log2(10));
  }
  return new Map(values.map((value) => [value, estimates.get(value)!]));
}

/** The password a URL carries (Postgres, Redis), decoded; undefined for none or a URL that does not parse (EnvReader.url reports that). */
export function passwordIn(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every reason the production secrets `secrets` (the unset ones skipped) cannot be used, each
 * naming its variable: a published or dev-only value, one under 32 bytes, an estimated strength under
 * MIN_SECRET_BITS, or one value in two roles (a leak of either would give away both).
 */
export function productionSecretProblems(secrets: NamedSecret[]): string[] {
  const set = secrets.filter((secret): secret is { name: string; value: string } => !!secret.value);
  const problems: string[] = [];
  const unpublished = set.filter((secret) => {
    const problem =
      publicSecretProblem(secret.name, secret.value) ?? (Buffer.byteLength(secret.value) < MIN_SECRET_BYTES ? secretLengthProblem(secret.name, MIN_SECRET_BYTES) : undefined);
    if (problem) problems.push(problem);
    return !problem;
  });
  const bits = estimateBits(unpublished.map((secret) => secret.value));
  for (const { name, value } of unpublished) {
    const estimate = bits.get(value)!;
    if (estimate < MIN_SECRET_BITS) {
      problems.push(
        `${name} is too easy to guess (about ${Math.floor(estimate)} bits estimated, ${MIN_SECRET_BITS} needed: no words, repeats, sequences or keyboard walks); use a random value such as openssl rand -hex 32.`,
      );
    }
  }
  set.forEach((secret, index) => {
    const first = set.findIndex((other) => other.value === secret.value);
    if (first < index) problems.push(`${secret.name} is the same value as ${set[first].name}; each role needs a secret of its own.`);
  });
  return problems;
}
