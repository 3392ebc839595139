import { DepartmentNameError, nextRegistryPort, readRegistry, registerDepartment, validateDepartmentName } from '@zigong/cli';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pieces of `npm run department:new` that decide before anything is written, on a small made-up repository. */
let root: string;
const REGISTRY = `# the registry
federation_version: =2.14.4
subgraphs:
  organization:
    routing_url: http://127.0.0.1:4001/graphql
    schema:
      file: ./schema/organization.graphql
  # retired, folder gone, name kept
  ghost:
    routing_url: http://127.0.0.1:4007/graphql
    schema:
      file: ./schema/ghost.graphql
`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'zigong-scaffold-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['subgraphs/*', 'infra/*', 'gateway'] }));
  writeFileSync(join(root, 'supergraph.yaml'), REGISTRY);
  for (const [folder, name] of [['subgraphs/organization', '@zigong/organization'], ['infra/widgets', '@zigong/widgets']]) {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, 'package.json'), JSON.stringify({ name }));
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function refusal(name: string): { code: string; message: string } {
  try {
    validateDepartmentName(name, { root });
  } catch (error) {
    if (error instanceof DepartmentNameError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`"${name}" was accepted`);
}

describe('validateDepartmentName', () => {
  it('accepts a fresh lower-case word', () => {
    expect(() => validateDepartmentName('housing', { root })).not.toThrow();
    expect(() => validateDepartmentName('water2', { root })).not.toThrow();
  });

  it.each([
    ['organization', /the folder subgraphs\/organization exists already/],
    ['ghost', /supergraph\.yaml registers a subgraph of that name already/],
    ['widgets', /the workspace infra\/widgets is the package @zigong\/widgets/],
  ])('refuses %j as taken', (name, message) => {
    expect(refusal(name)).toEqual({ code: 'NAME_TAKEN', message: expect.stringMatching(message) });
  });

  it.each(['kit', 'cli', 'local', 'reference', 'explorer', 'tests', 'schema', 'infra', 'bench', 'federation', 'graphql', 'query', 'mutation', 'apollo', 'let', 'yield', 'select', 'public'])(
    'refuses the reserved word %j',
    (name) => expect(refusal(name).code).toBe('RESERVED_NAME'),
  );

  it.each(['', 'a', 'Housing', 'house_hold', 'node_modules', 'rural-affairs', '2fast', 'x'.repeat(32), '住房'])('refuses %j as no department name', (name) => {
    expect(refusal(name)).toEqual({ code: 'INVALID_NAME', message: expect.stringContaining('use one lower-case word') });
  });
});

describe('the registry entry', () => {
  it('takes the port after the highest registered one', () => {
    expect(nextRegistryPort(join(root, 'supergraph.yaml'))).toBe(4008);
  });

  it('is appended in the registry’s own format, every other line left as it was', () => {
    const path = join(root, 'supergraph.yaml');
    registerDepartment('housing', 4008, path);
    expect(readFileSync(path, 'utf8')).toBe(
      REGISTRY + '  housing:\n    routing_url: http://127.0.0.1:4008/graphql\n    schema:\n      file: ./schema/housing.graphql\n',
    );
  });

  it('goes at the end of the subgraphs block even when other settings follow it', () => {
    const path = join(root, 'supergraph.yaml');
    writeFileSync(path, REGISTRY + '\n# later settings\nsomething_else: true\n');
    registerDepartment('housing', 4008, path);
    expect(readRegistry(path).map((entry) => [entry.name, entry.routingUrl])).toEqual([
      ['organization', 'http://127.0.0.1:4001/graphql'],
      ['ghost', 'http://127.0.0.1:4007/graphql'],
      ['housing', 'http://127.0.0.1:4008/graphql'],
    ]);
    expect(readFileSync(path, 'utf8')).toMatch(/file: \.\/schema\/housing\.graphql\n\n# later settings\nsomething_else: true\n$/);
  });

  it('leaves the repository’s own supergraph.yaml as it was, byte for byte, before the new entry', () => {
    const path = join(root, 'supergraph.yaml');
    const registry = readFileSync(join(__dirname, '../../supergraph.yaml'), 'utf8');
    writeFileSync(path, registry);
    const port = nextRegistryPort(path);
    registerDepartment('housing', port, path);
    expect(readFileSync(path, 'utf8')).toBe(`${registry}  housing:\n    routing_url: http://127.0.0.1:${port}/graphql\n    schema:\n      file: ./schema/housing.graphql\n`);
  });

  it('keeps the file’s indentation, its comments and the order of its keys', () => {
    const path = join(root, 'supergraph.yaml');
    const subgraphs = [
      '# four spaces here',
      'subgraphs:',
      '    organization:',
      '        routing_url: http://127.0.0.1:4001/graphql # the first',
      '        schema:',
      '            file: ./schema/organization.graphql',
    ];
    const after = ['    # the last word on subgraphs', 'federation_version: =2.14.4', `description: ${'a long line that must not be folded '.repeat(4).trim()}`, ''];
    writeFileSync(path, [...subgraphs, ...after].join('\n'));
    registerDepartment('housing', 4002, path);
    const entry = ['    housing:', '        routing_url: http://127.0.0.1:4002/graphql', '        schema:', '            file: ./schema/housing.graphql'];
    expect(readFileSync(path, 'utf8')).toBe([...subgraphs, ...entry, ...after].join('\n'));
  });

  it('refuses a name already there, and a registry without a subgraphs map, writing nothing', () => {
    const path = join(root, 'supergraph.yaml');
    expect(() => registerDepartment('ghost', 4008, path)).toThrow(/registers "ghost" already/);
    expect(readFileSync(path, 'utf8')).toBe(REGISTRY);
    for (const text of ['federation_version: =2.14.4\n', 'subgraphs: [organization]\n', 'subgraphs: {\n']) {
      writeFileSync(path, text);
      expect(() => registerDepartment('housing', 4008, path)).toThrow(/has no top-level "subgraphs:" map|is not valid YAML/);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });
});
