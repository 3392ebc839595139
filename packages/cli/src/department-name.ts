import { DEPARTMENT_NAME } from '@zigong/kit';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRegistry } from './registry';

/** Why a name cannot become a department; `code` is stable, the message says what to do. */
export class DepartmentNameError extends Error {
  name = 'DepartmentNameError';
  constructor(
    readonly code: 'INVALID_NAME' | 'RESERVED_NAME' | 'NAME_TAKEN',
    message: string,
  ) {
    super(message);
  }
}

/** The same rule the kit's defineDepartment enforces: folder, subgraph, Postgres schema and package share it. */
export { DEPARTMENT_NAME };

/** Names of the platform's own parts, and words GraphQL tooling gives a meaning of its own. */
const PLATFORM_WORDS = [
  'kit', 'gateway', 'registry', 'cli', 'local', 'reference', 'explorer', 'tests', 'schema', 'infra', 'bench', 'federation', 'graphql',
  'query', 'mutation', 'subscription', 'apollo', 'node_modules',
  // `apps:publish` is the registry's scope for app manifests, not a department's publish scope.
  'apps',
];

/** The name becomes `export const <name>` in the department's index.ts. */
const JAVASCRIPT_WORDS = [
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof',
  'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this',
  'throw', 'true', 'try', 'typeof', 'undefined', 'var', 'void', 'while', 'with', 'yield',
];

/** The name becomes the Postgres schema that every query names unquoted (`<name>.item`). */
const SQL_WORDS = [
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'authorization', 'binary', 'both', 'case',
  'cast', 'check', 'collate', 'collation', 'column', 'concurrently', 'constraint', 'create', 'cross', 'default', 'deferrable',
  'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'freeze', 'from', 'full', 'grant',
  'group', 'having', 'ilike', 'in', 'initially', 'inner', 'intersect', 'into', 'is', 'isnull', 'join', 'lateral', 'leading',
  'left', 'like', 'limit', 'localtime', 'localtimestamp', 'natural', 'not', 'notnull', 'null', 'offset', 'on', 'only', 'or',
  'order', 'outer', 'overlaps', 'placing', 'primary', 'public', 'references', 'returning', 'right', 'select', 'similar', 'some',
  'symmetric', 'table', 'tablesample', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic',
  'verbose', 'when', 'where', 'window', 'with',
];

/**
 * Checks that `name` can become a new department in the repository at `root`: one lower-case
 * word, not reserved, and not used by a folder, a registry entry or a workspace package.
 * Throws a DepartmentNameError naming the first problem.
 */
export function validateDepartmentName(name: string, { root, registryPath = join(root, 'supergraph.yaml') }: { root: string; registryPath?: string }): void {
  if (!DEPARTMENT_NAME.test(name)) {
    throw new DepartmentNameError(
      'INVALID_NAME',
      `"${name}" is not a department name: use one lower-case word, a letter followed by letters or digits, 2 to 31 characters (e.g. "housing").`,
    );
  }
  if (PLATFORM_WORDS.includes(name)) {
    throw new DepartmentNameError('RESERVED_NAME', `"${name}" is reserved: it names a part of the platform or of GraphQL. Choose another name.`);
  }
  if (JAVASCRIPT_WORDS.includes(name)) {
    throw new DepartmentNameError('RESERVED_NAME', `"${name}" is a reserved word in JavaScript, and the department's module exports a constant of that name. Choose another name.`);
  }
  if (SQL_WORDS.includes(name)) {
    throw new DepartmentNameError('RESERVED_NAME', `"${name}" is a reserved word in SQL, and it would name the department's Postgres schema. Choose another name.`);
  }
  if (existsSync(join(root, 'subgraphs', name))) {
    throw new DepartmentNameError('NAME_TAKEN', `"${name}" is taken: the folder subgraphs/${name} exists already.`);
  }
  if (readRegistry(registryPath).some((entry) => entry.name === name)) {
    throw new DepartmentNameError('NAME_TAKEN', `"${name}" is taken: supergraph.yaml registers a subgraph of that name already.`);
  }
  const owner = workspaceFolders(root).find((folder) => packageName(join(root, folder)) === `@zigong/${name}`);
  if (owner) {
    throw new DepartmentNameError('NAME_TAKEN', `"${name}" is taken: the workspace ${owner} is the package @zigong/${name}.`);
  }
  if (existsSync(join(root, 'node_modules', '@zigong', name))) {
    throw new DepartmentNameError('NAME_TAKEN', `"${name}" is taken: node_modules/@zigong/${name} is installed already.`);
  }
}

/** The root package.json's workspace folders, relative to root; `dir/*` globs only, as this repository uses. */
function workspaceFolders(root: string): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) return [];
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
}

function packageName(folder: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
