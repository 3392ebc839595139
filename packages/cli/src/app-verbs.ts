import { readFile } from 'node:fs/promises';
import { toTextTable } from './query.format';
import { type RegistryClient, RegistryError } from './registry-client';

/**
 * What `zigong app …` does (app.cli.ts is its command line): the registry's app manifests (#28),
 * each front-end release's persisted operations, published, activated, retired and listed
 * through registry/src/registry.graphql.
 */

export type AppVersionStatus = 'PENDING' | 'ACTIVE' | 'RETIRED';

export interface AppVersion {
  app: string;
  version: string;
  variant: string;
  status: AppVersionStatus;
  publisher: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  operations: Array<{ id: string; name: string | null }>;
}

const VERSION_FIELDS = 'app version variant status publisher createdAt activatedAt retiredAt operations { id name }';

const usage = (message: string) => new RegistryError('USAGE', message);

/**
 * A manifest file's text, checked here only as far as a wrong file is the caller's mistake (exit 2):
 * it exists, is UTF-8 and is JSON. Whether it is a manifest the registry judges (INVALID_MANIFEST).
 */
export async function manifestFromFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usage(code === 'ENOENT' ? `${path}: no such manifest file.` : `${path}: cannot read it (${code ?? (error as Error).message}).`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw usage(`${path} is not UTF-8: a manifest is JSON, which is UTF-8.`);
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw usage(`${path} is not JSON (${(error as Error).message}): give the manifest @apollo/generate-persisted-query-manifest or the codegen client preset wrote.`);
  }
  return text;
}

export async function publishApp(client: RegistryClient, input: { variant: string; app: string; version: string; manifest: string }): Promise<AppVersion> {
  const data = await client.request<{ publishApp: AppVersion }>(`mutation PublishApp($input: AppPublishInput!) { publishApp(input: $input) { ${VERSION_FIELDS} } }`, { input });
  return data.publishApp;
}

export async function moveApp(client: RegistryClient, to: 'activate' | 'retire', variant: string, app: string, version: string): Promise<AppVersion> {
  const field = to === 'activate' ? 'activateApp' : 'retireApp';
  const data = await client.request<Record<string, AppVersion>>(
    `mutation Move($variant: String!, $app: String!, $version: String!) { ${field}(variant: $variant, app: $app, version: $version) { ${VERSION_FIELDS} } }`,
    { variant, app, version },
  );
  return data[field];
}

export async function listApps(client: RegistryClient, variant: string, status?: AppVersionStatus): Promise<AppVersion[]> {
  const data = await client.request<{ apps: AppVersion[] }>(`query Apps($variant: String!, $status: AppVersionStatus) { apps(variant: $variant, status: $status) { ${VERSION_FIELDS} } }`, {
    variant,
    status: status ?? null,
  });
  return data.apps;
}

// ---- As people read them ----

const what = (version: AppVersion) => `${version.app} ${version.version} (${version.variant})`;
const count = (version: AppVersion) => `${version.operations.length} operation${version.operations.length === 1 ? '' : 's'}`;

export function formatPublished(version: AppVersion, activated: boolean): string {
  const lines = [
    `Published ${what(version)}: ${count(version)}, each validated against ${version.variant}'s API; ${version.status}.`,
    ...version.operations.map((operation) => `  - ${operation.name ?? '(unnamed)'}  ${operation.id}`),
    activated
      ? `Gateways enforcing trusted documents accept its operations from clients named "${version.app}" at their next poll.`
      : `Activate it when the release ships: zigong app activate --name ${version.app} --version ${version.version}${version.variant === 'production' ? '' : ` --variant ${version.variant}`}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function formatMoved(version: AppVersion): string {
  const after =
    version.status === 'ACTIVE'
      ? `gateways enforcing trusted documents accept its ${count(version)} from clients named "${version.app}" at their next poll; a change to the API that would break one is refused (APP_BROKEN).`
      : version.status === 'RETIRED'
        ? `gateways stop accepting its ${count(version)} at their next poll; it can never be active again.`
        : 'pending.';
  return `${what(version)} is ${version.status}: ${after}\n`;
}

export function formatApps(variant: string, versions: AppVersion[], status?: AppVersionStatus): string {
  if (!versions.length) return `${variant} has no ${status ? `${status.toLowerCase()} ` : ''}app version${status ? '' : ' yet: publish one with `zigong app publish`'}.\n`;
  const table = {
    columns: ['app', 'version', 'status', 'operations', 'publisher', 'published', 'activated', 'retired'],
    rows: versions.map((v) => [v.app, v.version, v.status, String(v.operations.length), v.publisher, v.createdAt, v.activatedAt ?? '', v.retiredAt ?? '']),
  };
  return `${variant}: app versions, newest first\n${toTextTable(table)}`;
}
