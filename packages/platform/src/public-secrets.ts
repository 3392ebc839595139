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
 * (The example files themselves are written by `npm run deploy:generate`, infra/local/src/deploy.)
 */
export const PUBLISHED_SECRETS: readonly PublishedSecret[] = [
  { value: LOCAL_JWT_SECRET, where: 'the local development secret, with which `npm run token` signs' },
  { value: 'dev-only-signing-secret-not-for-production-0000', where: 'infra/k8s/secret.example.yaml' },
  { value: 'dev-only-jwt-secret-not-for-production-000000000', where: 'infra/k8s/secret.example.yaml' },
  { value: 'dev-only-postgres-password', where: 'infra/k8s/secret.example.yaml' },
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
