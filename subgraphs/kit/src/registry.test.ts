import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRegistry, readRegistry, registeredPort } from './registry';

let root: string;
const REGISTRY = `federation_version: =2.14.4
subgraphs:
  organization:
    routing_url: http://127.0.0.1:4001/graphql
    schema:
      file: ./schema/organization.graphql
  housing:
    routing_url: http://housing.internal/graphql
    schema:
      file: ./schema/housing.graphql
`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'zigong-registry-'));
  writeFileSync(join(root, 'supergraph.yaml'), REGISTRY);
  mkdirSync(join(root, 'subgraphs', 'organization', 'dist'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the registry (supergraph.yaml)', () => {
  it('lists each subgraph with its routing URL and its schema file, from the registry’s folder', () => {
    expect(readRegistry(join(root, 'supergraph.yaml'))).toEqual([
      { name: 'organization', routingUrl: 'http://127.0.0.1:4001/graphql', schemaFile: join(root, 'schema', 'organization.graphql') },
      { name: 'housing', routingUrl: 'http://housing.internal/graphql', schemaFile: join(root, 'schema', 'housing.graphql') },
    ]);
  });

  it('is found from a department’s folder, and gives the department its routing URL’s port', () => {
    const dist = join(root, 'subgraphs', 'organization', 'dist');
    expect(findRegistry(dist)).toBe(join(root, 'supergraph.yaml'));
    expect(registeredPort('organization', dist)).toBe(4001);
    expect(registeredPort('housing', dist)).toBe(80);
  });

  it('says what to do where the department is not registered, or there is no registry', () => {
    expect(() => registeredPort('tourism', root)).toThrow(/tourism: PORT is not set, and .*supergraph\.yaml does not register tourism/);
    rmSync(join(root, 'supergraph.yaml'));
    expect(findRegistry(join(root, 'subgraphs'))).toBeUndefined();
    expect(() => registeredPort('organization', join(root, 'subgraphs'))).toThrow(/PORT is not set, and there is no supergraph\.yaml in .* or above it/);
  });

  it('refuses an entry without a routing URL or schema file, naming it', () => {
    writeFileSync(join(root, 'supergraph.yaml'), 'subgraphs:\n  broken:\n    routing_url: http://127.0.0.1:4009/graphql\n');
    expect(() => readRegistry(join(root, 'supergraph.yaml'))).toThrow(/subgraph "broken" needs routing_url and schema\.file/);
  });
});
