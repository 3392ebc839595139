import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isNode, parseDocument, type YAMLMap } from 'yaml';
import { readRegistry } from './registry';

/** The department module's files, with __name__, __Name__ and __TIMESTAMP__ to fill in. */
export const DEPARTMENT_TEMPLATES = join(__dirname, '..', 'templates', 'department');

const FIRST_PORT = 4001;

export interface ScaffoldOptions {
  /** The repository's root. */
  root: string;
  /** Milliseconds for the initial migration's 13-digit timestamp. */
  now?: number;
}

/**
 * Writes `subgraphs/<name>/` from the templates and a package.json pinned to the kit's versions.
 * The name must be valid (validateDepartmentName). Returns the files written, relative to root.
 */
export function scaffoldDepartment(name: string, { root, now = Date.now() }: ScaffoldOptions): string[] {
  const folder = join(root, 'subgraphs', name);
  if (existsSync(folder)) throw new Error(`subgraphs/${name} exists already.`);
  const timestamp = String(now);
  if (!/^\d{13}$/.test(timestamp)) throw new Error(`The migration timestamp must have 13 digits, got ${timestamp}.`);
  const fill = (text: string) =>
    text
      .replaceAll('__name__', name)
      .replaceAll('__Name__', name[0].toUpperCase() + name.slice(1))
      .replaceAll('__TIMESTAMP__', timestamp);

  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { flag: 'wx' });
    written.push(relative(root, path));
  };
  write(join(folder, 'package.json'), JSON.stringify(departmentPackage(name, root), null, 2) + '\n');
  for (const template of templateFiles(DEPARTMENT_TEMPLATES)) {
    const target = join(folder, fill(relative(DEPARTMENT_TEMPLATES, template)).replace(/\.tpl$/, ''));
    write(target, fill(readFileSync(template, 'utf8')));
  }
  return written;
}

/** Same shape as every department's package.json; library versions are the kit's, so they stay one copy each. */
function departmentPackage(name: string, root: string) {
  const kit = readPackage(join(root, 'subgraphs', 'kit'));
  const reference = readPackage(join(root, 'packages', 'reference-data'));
  const pinned = (dependency: string) => {
    const version = kit.dependencies?.[dependency];
    if (!version) throw new Error(`subgraphs/kit/package.json does not list ${dependency}, which a department needs.`);
    return version;
  };
  return {
    name: `@zigong/${name}`,
    version: '0.1.0',
    private: true,
    description: `The ${name} department: items kept per village (scaffolded; say what it owns)`,
    main: 'dist/index.js',
    types: 'dist/index.d.ts',
    scripts: {
      build: 'tsc -p tsconfig.json',
      start: 'node dist/main.js',
      migrate: 'node dist/migrate.js',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      clean: 'rm -rf dist tsconfig.tsbuildinfo',
    },
    dependencies: {
      [kit.name]: kit.version,
      [reference.name]: reference.version,
      dataloader: pinned('dataloader'),
      graphql: pinned('graphql'),
      'type-graphql': pinned('type-graphql'),
      typeorm: pinned('typeorm'),
    },
  };
}

function readPackage(folder: string): { name: string; version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
}

function templateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? templateFiles(join(dir, entry.name)) : entry.name.endsWith('.tpl') ? [join(dir, entry.name)] : []))
    .sort();
}

/** The port after the highest one the registry uses, so a new subgraph never takes a registered one. */
export function nextRegistryPort(registryPath: string): number {
  const ports = readRegistry(registryPath)
    .map((entry) => Number(new URL(entry.routingUrl).port))
    .filter((port) => port > 0);
  return ports.length ? Math.max(...ports) + 1 : FIRST_PORT;
}

/**
 * Adds a subgraph to supergraph.yaml in the format of the entries there, at the end of the
 * `subgraphs:` map, through the yaml Document API so that every other entry, setting and comment
 * stays as it was. Throws, leaving the file untouched, when the registry is not such a map or
 * already has the name.
 */
export function registerDepartment(name: string, port: number, registryPath: string): void {
  const text = readFileSync(registryPath, 'utf8');
  const document = parseDocument(text);
  if (document.errors.length) throw new Error(`${registryPath} is not valid YAML: ${document.errors[0].message}`);
  const subgraphs = document.get('subgraphs', true);
  if (!isMap(subgraphs)) throw new Error(`${registryPath} has no top-level "subgraphs:" map.`);
  if (subgraphs.has(name)) throw new Error(`${registryPath} registers "${name}" already.`);
  const routingUrl = `http://127.0.0.1:${port}/graphql`;
  const before = document.toJS() as { subgraphs: Record<string, unknown> };
  document.setIn(['subgraphs', name], { routing_url: routingUrl, schema: { file: `./schema/${name}.graphql` } });
  // The file's own indentation, and no folding of long lines, so only the new entry differs.
  const updated = document.toString({ indent: indentOf(subgraphs, text), lineWidth: 0 });
  const after = parseDocument(updated).toJS() as { subgraphs: Record<string, unknown> };
  const expected = { ...before, subgraphs: { ...before.subgraphs, [name]: { routing_url: routingUrl, schema: { file: `./schema/${name}.graphql` } } } };
  if (!isDeepStrictEqual(after, expected)) {
    throw new Error(`Could not add "${name}" to ${registryPath}: rewriting it would change more than the new entry; add the entry by hand.`);
  }
  writeFileSync(registryPath, updated);
}

/** How far the map's entries are indented in the file (two spaces when it has none yet). */
function indentOf(map: YAMLMap, text: string): number {
  const key = map.items[0]?.key;
  const start = isNode(key) ? key.range?.[0] : undefined;
  if (start === undefined || map.flow) return 2;
  return Math.max(1, start - (text.lastIndexOf('\n', start - 1) + 1));
}
