import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator, LOCAL_JWT_SECRET } from '@zigong/platform';
import { RegistryClient, RegistryError, registryToken } from './registry-client';
import { EXIT, exitCodeFor, failureJson, formatCheck, formatFailure, sdlFromFile } from './registry-verbs';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'zigong-registry-verbs-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: Buffer | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

async function refusal(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(error)}`);
  return error;
}

describe('sdlFromFile', () => {
  it('reads a UTF-8 schema, Chinese descriptions and a byte order mark included (the mark dropped)', async () => {
    const sdl = '"""村集体"""\ntype Query { 村: String }\n';
    expect(await sdlFromFile(file('ok.graphql', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sdl)])))).toBe(sdl);
  });

  it('refuses a GBK file before anything is sent, naming the line', async () => {
    // "村" in GBK is B4 E5: not UTF-8.
    const path = file('gbk.graphql', Buffer.concat([Buffer.from('type Query {\n  a: String\n  "'), Buffer.from([0xb4, 0xe5]), Buffer.from('"\n}\n')]));
    const error = await refusal(sdlFromFile(path));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe(`--schema ${path} is not UTF-8 (line 3): save it as UTF-8; the registry takes UTF-8 only.`);
    expect(exitCodeFor(error)).toBe(EXIT.USAGE);
  });

  it('refuses a NUL byte, an empty file and a missing one', async () => {
    expect((await refusal(sdlFromFile(file('nul.graphql', 'type Query {\n a: String\u0000 }\n')))).message).toMatch(/holds a NUL byte \(line 2\)/);
    expect((await refusal(sdlFromFile(file('empty.graphql', ' \n\n')))).message).toMatch(/is empty/);
    expect((await refusal(sdlFromFile(join(dir, 'none.graphql')))).message).toMatch(/none\.graphql: no such file/);
  });
});

describe('exit codes', () => {
  it.each([
    ['COMPOSITION_FAILED', EXIT.REFUSED],
    ['CONTRACT_BROKEN', EXIT.REFUSED],
    ['OPERATION_BROKEN', EXIT.REFUSED],
    ['INVALID_SDL', EXIT.REFUSED],
    ['UNKNOWN_VARIANT', EXIT.USAGE],
    ['INVALID_NAME', EXIT.USAGE],
    ['UNAUTHENTICATED', EXIT.UNAVAILABLE],
    ['FORBIDDEN', EXIT.UNAVAILABLE],
    ['REGISTRY_UNREACHABLE', EXIT.UNAVAILABLE],
    ['TOKEN_NEEDED', EXIT.UNAVAILABLE],
    ['INTERNAL_SERVER_ERROR', EXIT.UNAVAILABLE],
    ['SOMETHING_NEW', EXIT.UNAVAILABLE],
  ])('%s exits %i', (code, exit) => {
    expect(exitCodeFor(new RegistryError(code, 'x'))).toBe(exit);
  });
});

describe('a refusal, printed', () => {
  const error = new RegistryError('CONTRACT_BROKEN', 'production keeps the contract', [
    {
      message: 'production keeps the contract',
      code: 'CONTRACT_BROKEN',
      extensions: {
        code: 'CONTRACT_BROKEN',
        changes: [{ severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'Village.name', message: 'Field Village.name was removed.' }],
        operations: [{ name: 'CityIncomeSummary', message: 'Cannot query field "name" on type "Village".' }],
      },
    },
  ]);

  it('lists every contract break and broken operation', () => {
    expect(formatFailure(error)).toBe(
      [
        'error [CONTRACT_BROKEN]: production keeps the contract',
        '  - BREAKING FIELD_REMOVED Village.name: Field Village.name was removed.',
        '  - CityIncomeSummary: Cannot query field "name" on type "Village".',
        '',
      ].join('\n'),
    );
  });

  it('keeps the extensions as sent under --json', () => {
    expect(JSON.parse(failureJson(error)).errors[0].extensions.operations[0].name).toBe('CityIncomeSummary');
  });

  it('names the scope a 403 needs', () => {
    const forbidden = new RegistryError('FORBIDDEN', 'not yours', [{ message: 'not yours', code: 'FORBIDDEN', extensions: { code: 'FORBIDDEN', requiredScope: 'tourism:publish' } }]);
    expect(formatFailure(forbidden)).toBe('error [FORBIDDEN]: not yours\n  needs the scope "tourism:publish"\n');
  });
});

describe('a check, printed', () => {
  it('gives the verdict, each change by severity and the operations', () => {
    const text = formatCheck('tourism', 'production', {
      ok: false,
      unchanged: false,
      compositionErrors: ['[tourism] Type "Spot" is defined twice.'],
      contractBreaks: [],
      changes: [
        { severity: 'SAFE', type: 'FIELD_ADDED', coordinate: 'Spot.rating', message: 'Field rating was added.' },
        { severity: 'BREAKING', type: 'FIELD_REMOVED', coordinate: 'Spot.name', message: 'Field name was removed.' },
      ],
      brokenOperations: [],
      operationsChecked: 12,
      usageBreaks: [],
      unusedBreakingChanges: [],
      appBreaks: [],
    });
    expect(text).toBe(
      [
        'Check of tourism against production: refused: publish would refuse it.',
        'Composition errors (1):',
        '  - [tourism] Type "Spot" is defined twice.',
        'Breaking changes (1):',
        '  - FIELD_REMOVED Spot.name: Field name was removed.',
        'Safe changes (1):',
        '  - FIELD_ADDED Spot.rating: Field rating was added.',
        'Registered operations: 12 checked, 0 would stop validating.',
        '',
      ].join('\n'),
    );
  });
});

describe('registryToken', () => {
  it('mints a token the development secret verifies, for a registry on this machine, with just the scope asked', async () => {
    const token = await registryToken('http://localhost:4010', undefined, 'tourism:publish');
    const identity = await createAuthenticator({ jwtSecret: LOCAL_JWT_SECRET, maxTokenAgeSeconds: 3600 })(`Bearer ${token}`);
    expect(identity?.scopes).toEqual(['tourism:publish']);
    expect(identity?.sub).toMatch(/^zigong-cli:/);
  });

  it('takes the token given as it is', async () => {
    expect(await registryToken('https://registry.example.org', 'given.jwt.value', 'registry:read')).toBe('given.jwt.value');
  });

  it('says a token is needed for any other registry', async () => {
    const error = await refusal(registryToken('https://registry.example.org', undefined, 'registry:admin'));
    expect(error.code).toBe('TOKEN_NEEDED');
    expect(error.message).toMatch(/needs a token with the scope "registry:admin": pass --token <jwt> or set ZIGONG_REGISTRY_TOKEN/);
  });
});

describe('RegistryClient', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/graphql' && req.headers.authorization === 'Bearer ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'no such variant', extensions: { code: 'UNKNOWN_VARIANT' } }, { message: 'second' }] }));
        return;
      }
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('turns GraphQL errors into a RegistryError with their code, every error kept', async () => {
    const error = await refusal(new RegistryClient(base, 'ok').request('{ variants { name } }'));
    expect(error.code).toBe('UNKNOWN_VARIANT');
    expect(error.problems.map((p) => p.message)).toEqual(['no such variant', 'second']);
  });

  it('says what answered when it is not GraphQL', async () => {
    const error = await refusal(new RegistryClient(base, 'other').request('{ variants { name } }'));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toMatch(/answered 502 Bad Gateway without a GraphQL answer: <html>Bad Gateway<\/html>/);
  });

  it('says the registry is unreachable at its URL when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((done) => closed.close(done));
    const error = await refusal(new RegistryClient(url, 'ok').request('{ variants { name } }'));
    expect(error.code).toBe('REGISTRY_UNREACHABLE');
    expect(error.message).toMatch(new RegExp(`^registry unreachable at ${url} \\(ECONNREFUSED\\)`));
  });
});
