import { type Service, stopServices } from '@zigong/cli';
import { createTestDatabase, type TestDatabase } from '@zigong/kit/testing';
import { migrateRegistry } from '@zigong/registry';
import { startProcess } from '../support/process';
import { DEPARTMENTS, departmentSdl, registryToken, routingUrl, sqlOn, withField } from '../support/registry';

/**
 * Two registry processes (registry/dist/main.js) on one database, as two replicas behind a
 * Service: 20 publishes from the 4 departments at once, spread over both. Each variant's changes
 * are serial under its advisory lock, so every accepted change is in the final composition and
 * every accepted composition was built on the one before it.
 */
let database: TestDatabase;
let replicas: Service[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateRegistry(database.url);
  const env = { REGISTRY_MODE: 'local', DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
  replicas = await Promise.all([startProcess('registry-a', 'registry/dist/main.js', env), startProcess('registry-b', 'registry/dist/main.js', env)]);
}, 120_000);
afterAll(async () => {
  await stopServices(replicas);
  await database?.drop();
});

const base = (service: Service) => service.url.replace(/\/graphql$/, '');

async function publish(service: Service, name: string, sdl: string) {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await registryToken(`${name}:publish`, `ci-${name}`)}` },
    body: JSON.stringify({
      query: 'mutation($input: PublishInput!) { publish(input: $input) { outcome version { id } composition { id } } }',
      variables: { input: { subgraph: name, sdl, routingUrl: routingUrl(name) } },
    }),
  });
  return (await response.json()) as { data?: { publish: { outcome: string; version: { id: string }; composition: { id: string } } }; errors?: unknown[] };
}

it('serialises 20 concurrent publishes from 4 departments over 2 replicas; every accepted change is served', async () => {
  // Each department's five versions each add a field of their own, so every version differs
  // and all of one department's fields can be served only by its last accepted version.
  const attempts = DEPARTMENTS.flatMap((name) =>
    [1, 2, 3, 4, 5].map((n) => ({ name, field: `${name}Probe${n}`, sdl: withField(departmentSdl(name), 'Query', `${name}Probe${n}: String`) })),
  );
  const results = await Promise.all(attempts.map((attempt, index) => publish(replicas[index % 2], attempt.name, attempt.sdl)));
  for (const result of results) expect(result.errors).toBeUndefined();
  expect(results.every((result) => result.data!.publish.outcome === 'PUBLISHED')).toBe(true);
  const compositionIds = results.map((result) => Number(result.data!.publish.composition.id));
  expect(new Set(compositionIds).size).toBe(20);

  // The served composition holds, for each department, the version its last publish stored.
  const rows = await sqlOn(
    database.url,
    `SELECT c.id, c.hash, array_agg(v.id ORDER BY v.subgraph) AS versions FROM registry.variant x
       JOIN registry.composition c ON c.id = x.current_composition_id
       JOIN registry.composition_subgraph cs ON cs.composition_id = c.id
       JOIN registry.subgraph_version v ON v.id = cs.subgraph_version_id
      WHERE x.name = 'production' GROUP BY c.id, c.hash`,
  );
  expect(rows).toHaveLength(1);
  expect(Number(rows[0].id)).toBe(Math.max(...compositionIds));
  const lastVersionOf = (name: string) =>
    Math.max(...results.filter((_, index) => attempts[index].name === name).map((result) => Number(result.data!.publish.version.id)));
  expect(rows[0].versions.map(Number).sort((a: number, b: number) => a - b)).toEqual(DEPARTMENTS.map(lastVersionOf).sort((a, b) => a - b));

  // No change was lost: each composition is built on the previous one, adding exactly its own version.
  const history = await sqlOn(
    database.url,
    `SELECT c.id, array_agg(cs.subgraph_version_id ORDER BY cs.subgraph_version_id) AS versions
       FROM registry.composition c JOIN registry.composition_subgraph cs ON cs.composition_id = c.id
      WHERE c.variant = 'production' AND c.status = 'ACCEPTED' GROUP BY c.id ORDER BY c.id`,
  );
  expect(history).toHaveLength(20);
  for (let i = 1; i < history.length; i++) {
    const before = new Set<string>(history[i - 1].versions);
    const added = history[i].versions.filter((id: string) => !before.has(id));
    expect(added).toHaveLength(1);
  }

  // Both replicas serve the same supergraph, and it holds every department's last field.
  const [a, b] = await Promise.all(replicas.map((service) => fetch(`${base(service)}/supergraph`)));
  expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
  expect(a.headers.get('etag')).toBe(`"${rows[0].hash}"`);
  const sdl = await a.text();
  for (const name of DEPARTMENTS) {
    const last = attempts.filter((attempt) => attempt.name === name).find((attempt) => results[attempts.indexOf(attempt)].data!.publish.version.id === String(lastVersionOf(name)))!;
    expect(sdl).toContain(`${last.field}: String`);
  }
  await b.text();
});

it('stops gracefully on SIGTERM', async () => {
  const [first] = replicas;
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  replicas = replicas.slice(1);
});
