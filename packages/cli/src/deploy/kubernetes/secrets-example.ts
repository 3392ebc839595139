import type { Secret } from 'kubernetes-types/core/v1';
import { type Department, REGISTRY, SECRETS } from '../model';
import { type Commented, commented } from '../yaml-output';

/** secret.example.yaml: the Secrets the manifests read, with public example values. */

/** The example values: public, for the local overlay's in-cluster Postgres only. */
export const EXAMPLE_POSTGRES_PASSWORD = 'dev-only-postgres-password';
export const EXAMPLE_SIGNING_SECRET = 'dev-only-signing-secret-not-for-production-0000';
export const EXAMPLE_JWT_SECRET = 'dev-only-jwt-secret-not-for-production-000000000';
export const EXAMPLE_SUPERGRAPH_KEY = 'dev-only-supergraph-key-not-for-production-000000';

export function secretExample(departments: Department[]): Commented[] {
  const url = (user: string) => `postgres://${user}:${EXAMPLE_POSTGRES_PASSWORD}@postgres:5432/zigong`;
  const secret = (name: string, stringData: Record<string, string>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', stringData });
  return [
    commented(secret(SECRETS.database, Object.fromEntries(departments.map((d) => [d.name, url(d.login)]))), [
      [
        [],
        [
          'The Secrets the manifests read (secretKeyRef); kustomize never applies this file. Copy it, put in',
          'real values (or create the same Secrets with your secret manager) and apply it once:',
          '  kubectl -n zigong apply -f my-secrets.yaml',
          'The values below are public (dev-only-*): they suit only the local overlay\'s in-cluster Postgres,',
          'and every process in production mode refuses them.',
        ].join('\n'),
      ],
      [
        ['stringData'],
        [
          'Each subgraph\'s own login role, one per department. The bootstrap init container creates it',
          '(and its group <department>_rw) from this very URL before the migrations run, with this',
          'password; it is a member of its own group only, so it uses its own schema and no other.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.migrate, Object.fromEntries([...departments.map((d) => d.name), REGISTRY.name].map((name) => [name, url('zigong')]))), [
      [
        ['stringData'],
        [
          'The role the bootstrap and the migrations run as, per department and for the registry: it creates',
          'their roles (CREATEROLE) and owns their schemas, so usually the database owner. Never a process\'s',
          'own login.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.signing, { secret: EXAMPLE_SIGNING_SECRET, 'redis-url': 'redis://redis:6379' }), [
      [
        ['stringData'],
        [
          'secret: shared by the gateway and every subgraph; at least 32 bytes (openssl rand -hex 32).',
          'redis-url (optional): where the replicas of each subgraph share the nonces of the signatures they',
          'accepted, so that a request replayed to another replica is refused too; without it each replica',
          'remembers only its own.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.gateway, { 'jwt-secret': EXAMPLE_JWT_SECRET, 'redis-url': 'redis://redis:6379', 'supergraph-key': EXAMPLE_SUPERGRAPH_KEY }), [
      [
        ['stringData'],
        [
          'jwt-secret is optional when the production overlay\'s gateway.env sets JWKS_URL; at least 32 bytes.',
          'The registry verifies tokens with it too.',
          'supergraph-key: what the gateways present to the registry (X-Supergraph-Key); one of the',
          'registry\'s supergraph-keys. At least 32 bytes (openssl rand -hex 32).',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.registry, { 'database-url': url(REGISTRY.login), 'supergraph-keys': EXAMPLE_SUPERGRAPH_KEY }), [
      [
        ['stringData'],
        [
          'database-url: the registry\'s own login role, made by the bootstrap init container of its pods',
          '(with its group registry_rw) from this URL, a member of that group only.',
          'supergraph-keys: the keys GET /supergraph accepts, comma-separated; to rotate, add the new key',
          'here, then change the gateways\' supergraph-key, then remove the old one.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.localPostgres, { password: EXAMPLE_POSTGRES_PASSWORD }), [
      [[], 'Only for overlays/local, whose Postgres reads its password from here.'],
    ]),
  ];
}
