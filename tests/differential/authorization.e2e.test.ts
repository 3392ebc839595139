import { LOCAL_JWT_SECRET, mintToken, type RunningGateway } from '@zigong/gateway';
import { type DocumentNode, getOperationAST, Kind, parse, type SelectionNode } from 'graphql';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AUTHORIZATION_FIXTURES } from './fixtures/authorization';
import { generateQueries, Random } from './generate';
import { closeClient, prepareFixture, type PreparedFixture, startVariant, VARIANTS } from './harness';
import { startSubgraphServers, type SubgraphServers } from './subgraph-server';

/**
 * Field authorization against Hive Gateway's (its `genericAuth`, @envelop/generic-auth in
 * granular mode, removing rather than refusing): generated queries over a supergraph with
 * @authenticated and @requiresScopes, sent as every combination of the scopes it names and
 * anonymously, to both. `data` and the paths of the UNAUTHORIZED_FIELD_OR_TYPE errors must agree,
 * modulo two differences of form, documented in the README (Field authorization):
 * - we answer a removed field `null` (Apollo Router's form) where Hive leaves it out, and Hive
 *   also leaves out a selection every field of which was removed: such keys are deleted from our
 *   answer before comparing;
 * - paths are compared as the response keys leading to the field: Hive writes `@` before a
 *   nullable list's key and not at all for a non-null list, we write it after every list's key.
 * Hive Gateway is installed on first use into bench/contenders, as the bench installs it.
 */
const SEED = process.env.DIFF_SEED ?? 'zigong-authorization-1';
const QUERIES = Number(process.env.AUTHZ_QUERIES ?? 40);
const SCOPES = ['admin', 'audit', 'hr:read', 'finance'];
const CONTENDERS = resolve(__dirname, '../../bench/contenders');
const HIVE_BIN = join(CONTENDERS, 'node_modules/@graphql-hive/gateway/dist/bin.js');

jest.setTimeout(240_000);

let servers: SubgraphServers;
let fixture: PreparedFixture;
let ours: RunningGateway;
let hive: ChildProcess | undefined;
let hiveUrl: string;
let dir: string;

const freePort = () =>
  new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

beforeAll(async () => {
  if (!existsSync(HIVE_BIN)) {
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: CONTENDERS, stdio: 'inherit' });
    if (installed.status !== 0) throw new Error('npm ci in bench/contenders failed: Hive Gateway is needed for this test.');
  }
  const located = AUTHORIZATION_FIXTURES.map((f) => ({ ...f, file: 'tests/differential/fixtures/authorization.ts' }));
  servers = await startSubgraphServers(located);
  fixture = prepareFixture(located[0], servers.urlOf);
  dir = mkdtempSync(join(tmpdir(), 'authz-diff-'));
  const supergraphFile = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphFile, fixture.supergraphSdl);
  const port = await freePort();
  hiveUrl = `http://127.0.0.1:${port}/graphql`;
  let output = '';
  hive = spawn(
    process.execPath,
    [HIVE_BIN, 'supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(port), '--config-path', join(__dirname, 'hive-authorization.config.mjs')],
    { cwd: CONTENDERS, env: { PATH: process.env.PATH, NODE_ENV: process.env.NODE_ENV ?? 'test' }, stdio: 'pipe' },
  );
  hive.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  hive.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  ours = await startVariant(fixture.supergraphSdl, VARIANTS[0]);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(hiveUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline || hive.exitCode !== null) throw new Error(`Hive Gateway did not start:\n${output.slice(-3000)}`);
    await new Promise((done) => setTimeout(done, 250));
  }
});

afterAll(async () => {
  if (hive && hive.exitCode === null) {
    const exited = new Promise((done) => hive!.once('exit', done));
    hive.kill('SIGTERM');
    const timer = setTimeout(() => hive!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await ours?.stop();
  await servers?.stop();
  closeClient();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  data: unknown;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

async function ask(url: string, body: object, token: string | undefined): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Reply;
}

const keysOf = (path: ReadonlyArray<string | number> | undefined) => (path ?? []).filter((p) => p !== '@' && typeof p === 'string').join('.');

/** The UNAUTHORIZED_FIELD_OR_TYPE paths (as response keys) and every other error, comparable. */
function errorsOf(reply: Reply) {
  const unauthorized = new Set<string>();
  const other: string[] = [];
  for (const error of reply.errors ?? []) {
    if (error.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE') unauthorized.add(keysOf(error.path));
    else other.push(`${error.message} @ ${(error.path ?? []).join('.')}`);
  }
  return { unauthorized: [...unauthorized].sort(), other: other.sort() };
}

/**
 * The response-key paths Hive leaves out: removed fields, and fields (or fragments) all of whose
 * selections were (after @skip/@include).
 */
function absentPaths(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown> | undefined, removed: Set<string>): Set<string> {
  const absent = new Set<string>();
  const operation = getOperationAST(document, operationName);
  if (!operation) return absent;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const included = (node: SelectionNode) =>
    (node.directives ?? []).every((directive) => {
      const value = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const truth = value?.kind === Kind.VARIABLE ? Boolean(variables?.[value.name.value]) : value?.kind === Kind.BOOLEAN && value.value;
      return directive.name.value === 'skip' ? !truth : directive.name.value === 'include' ? truth : true;
    });
  // True when everything the selections ask for is absent.
  const walk = (selections: readonly SelectionNode[], prefix: string): boolean => {
    let all = true;
    for (const selection of selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const path = prefix ? `${prefix}.${(selection.alias ?? selection.name).value}` : (selection.alias ?? selection.name).value;
        const gone = removed.has(path) || (selection.selectionSet ? walk(selection.selectionSet.selections, path) : false);
        if (gone) absent.add(path);
        else all = false;
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (fragment && !walk(fragment.selectionSet.selections, prefix)) all = false;
      }
    }
    return all;
  };
  walk(operation.selectionSet.selections, '');
  return absent;
}

/** Our data with what Hive leaves out deleted, and both with sorted keys. */
function canonical(value: unknown, absent: Set<string> = new Set(), prefix = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item, absent, prefix));
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (absent.has(path)) continue;
    result[key] = canonical((value as Record<string, unknown>)[key], absent, path);
  }
  return result;
}

it('finds no difference from Hive Gateway on generated queries, for every combination of scopes', async () => {
  const random = new Random(SEED);
  const queries = generateQueries(fixture.api, random, QUERIES, { maxDepth: 5 });
  const identities: Array<{ name: string; token?: string }> = [{ name: 'anonymous' }];
  for (let mask = 0; mask < 1 << SCOPES.length; mask++) {
    const scope = SCOPES.filter((_, i) => mask & (1 << i)).join(' ');
    identities.push({ name: `scopes "${scope}"`, token: await mintToken(LOCAL_JWT_SECRET, { sub: 'differential', scope }) });
  }
  const differences: string[] = [];
  let removedSome = 0;
  let requests = 0;
  // One operation a document: Hive's rule checks every operation of a document, not just the one run.
  const single = queries.filter((q) => !q.mutation && parse(q.query).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length === 1);
  expect(single.length).toBeGreaterThan(QUERIES / 4);
  for (const query of single) {
    const body = { query: query.query, operationName: query.operationName, variables: query.variables };
    const document = parse(query.query);
    for (const identity of identities) {
      const [mine, theirs] = await Promise.all([ask(ours.url, body, identity.token), ask(hiveUrl, body, identity.token)]);
      requests++;
      const [myErrors, theirErrors] = [errorsOf(mine), errorsOf(theirs)];
      if (myErrors.unauthorized.length) removedSome++;
      const [myData, theirData] = [JSON.stringify(canonical(mine.data)), JSON.stringify(canonical(theirs.data))];
      void document;
      const what = [
        myData !== theirData && `data:\n  ours ${myData}\n  hive ${theirData}`,
        JSON.stringify(myErrors) !== JSON.stringify(theirErrors) && `errors:\n  ours ${JSON.stringify(myErrors)}\n  hive ${JSON.stringify(theirErrors)}`,
      ].filter(Boolean);
      if (what.length) differences.push(`${identity.name}, seed ${SEED}\n${query.query}\noperation ${query.operationName} variables ${JSON.stringify(query.variables ?? {})}\n${what.join("\n")}\nraw ours ${JSON.stringify(mine)}\nraw hive ${JSON.stringify(theirs)}`);
    }
  }
  expect(differences.slice(0, 3).join('\n\n')).toBe('');
  // The run proves something only if callers were refused fields, and not always.
  expect(removedSome).toBeGreaterThan(requests / 10);
  expect(removedSome).toBeLessThan(requests);
});
