import { createHash } from 'node:crypto';
import { type DocumentNode, GraphQLError, type GraphQLSchema, Kind, parse, validate } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import { apiSchema } from './checks';
import { operationCoordinates } from './coordinates';
import type { AppJudge } from './registry.service';
import { LOCK_NAMESPACE } from './database';
import { RegistryErrorCode, registryError } from './errors';
import { requireText, requireVariantName } from './validation';

/**
 * App manifests (#28): the persisted operations of each release of a front-end, per variant.
 * A version is published PENDING once every operation validates against the variant's API, is
 * activated (gateways enforcing trusted documents accept its operations from that app only) and
 * retired (they stop). Its operations never change. While a version is active, a change to the
 * variant that would stop one of its operations validating is refused (APP_BROKEN): the judgement
 * of registry.service.ts asks `appBreaks`.
 */

/** An app's name: a word of lower-case letters, digits and -, as clients send it in apollographql-client-name. */
export const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** A release's version: 3.2.0, 2026.12.1, 3.2.0-rc.1+build.7. */
export const APP_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
/** The most operations one manifest may hold: a front-end has tens to hundreds. */
export const MAX_MANIFEST_OPERATIONS = 5_000;
/** Tokens one operation may hold when parsed: the gateway's default MAX_TOKENS. */
const MAX_OPERATION_TOKENS = 50_000;
/** Problems listed in one refusal; the count says how many more there were. */
const MAX_PROBLEMS_LISTED = 50;

export type AppVersionStatus = 'PENDING' | 'ACTIVE' | 'RETIRED';

/** AppVersion of registry.graphql, without its operations (resolved on demand). */
export interface AppVersionRow {
  id: string;
  variant: string;
  app: string;
  version: string;
  status: AppVersionStatus;
  publisher: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

/** AppOperation of registry.graphql: `id` is the sha256 hex of `body`, what a client sends as its persisted-query hash. */
export interface AppOperation {
  id: string;
  name: string | null;
  body: string;
}

/** AppBreak of registry.graphql. */
export interface AppBreak {
  app: string;
  version: string;
  operationId: string;
  operationName: string | null;
  message: string;
}

/** One thing wrong with a manifest, in INVALID_MANIFEST's extensions.operations. */
export interface ManifestProblem {
  id: string | null;
  name: string | null;
  message: string;
}

export interface AppPublishInput {
  variant: string;
  app: string;
  version: string;
  manifest: string;
}

export interface AppsServiceOptions {
  /** The variants that exist (REGISTRY_VARIANTS). */
  variants: string[];
  /** The largest manifest, in bytes (REGISTRY_MAX_SDL_BYTES: a manifest is sent as an SDL is). */
  maxManifestBytes: number;
}

/** What GET /apps answers for a variant: the JSON body, and its sha256 as the ETag. */
export interface ServedApps {
  body: string;
  hash: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function invalidManifest(message: string, problems: ManifestProblem[] = []) {
  return registryError(RegistryErrorCode.INVALID_MANIFEST, message, {
    operations: problems.slice(0, MAX_PROBLEMS_LISTED),
    ...(problems.length > MAX_PROBLEMS_LISTED ? { more: problems.length - MAX_PROBLEMS_LISTED } : {}),
  });
}

const label = (operation: { id: string | null; name: string | null }) => operation.name ?? (operation.id ? operation.id.slice(0, 12) : '(no id)');

/**
 * The operations of a manifest in either accepted format, each id checked against the sha256 of
 * its body: @apollo/generate-persisted-query-manifest's `{"format":"apollo-persisted-query-manifest",
 * "version":1,"operations":[{id,name,type,body}]}`, or GraphQL Code Generator's client preset
 * persisted documents `{"<sha256>":"<document>"}`. Every problem is reported at once.
 */
export function parseManifest(text: string, maxBytes: number): AppOperation[] {
  requireText(text, 'manifest');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw invalidManifest(`The manifest is ${bytes} bytes, more than the ${maxBytes} allowed (REGISTRY_MAX_SDL_BYTES).`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidManifest(`The manifest is not JSON: ${(error as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw invalidManifest(NOT_A_FORMAT);
  const record = json as Record<string, unknown>;
  const problems: ManifestProblem[] = [];
  let entries: Array<{ id: unknown; name: unknown; body: unknown }>;
  if ('format' in record) {
    if (record.format !== 'apollo-persisted-query-manifest') throw invalidManifest(`The manifest's format "${String(record.format).slice(0, 60)}" is not apollo-persisted-query-manifest. ${NOT_A_FORMAT}`);
    if (record.version !== 1) throw invalidManifest(`The manifest is apollo-persisted-query-manifest version ${JSON.stringify(record.version)}; only version 1 is known.`);
    if (!Array.isArray(record.operations)) throw invalidManifest('The manifest (apollo-persisted-query-manifest) has no "operations" array.');
    entries = record.operations.map((operation) => {
      const o = (operation && typeof operation === 'object' ? operation : {}) as Record<string, unknown>;
      return { id: o.id, name: o.name ?? null, body: o.body };
    });
  } else {
    entries = Object.entries(record).map(([id, body]) => ({ id, name: null, body }));
    if (entries.some((entry) => typeof entry.body !== 'string')) throw invalidManifest(NOT_A_FORMAT);
  }
  if (entries.length === 0) throw invalidManifest('The manifest holds no operation.');
  if (entries.length > MAX_MANIFEST_OPERATIONS) throw invalidManifest(`The manifest holds ${entries.length} operations, more than the ${MAX_MANIFEST_OPERATIONS} allowed.`);
  const operations = new Map<string, AppOperation>();
  for (const [index, entry] of entries.entries()) {
    const id = typeof entry.id === 'string' ? entry.id : null;
    const name = typeof entry.name === 'string' && entry.name !== '' ? entry.name : null;
    if (typeof entry.body !== 'string' || entry.body.trim() === '') {
      problems.push({ id, name, message: `Operation ${index + 1} (${label({ id, name })}) has no body.` });
      continue;
    }
    if (id === null) {
      problems.push({ id, name, message: `Operation ${index + 1} (${label({ id, name })}) has no id.` });
      continue;
    }
    const actual = sha256(entry.body);
    if (id !== actual) {
      // The client sends the id as its persisted-query hash and the gateway runs the body stored under it: they must be one.
      problems.push({ id, name, message: `Operation ${label({ id, name })}: its id ${id.slice(0, 64)} is not the sha256 of its body (${actual}); generate the manifest with sha256 ids.` });
      continue;
    }
    operations.set(id, { id, name, body: entry.body });
  }
  if (problems.length) throw invalidManifest(`The manifest has ${problems.length} invalid operation${problems.length === 1 ? '' : 's'}.`, problems);
  return [...operations.values()];
}

const NOT_A_FORMAT =
  'The manifest is neither an apollo-persisted-query-manifest ({"format":"apollo-persisted-query-manifest","version":1,"operations":[…]}) nor a client preset persisted-documents file ({"<sha256>":"<document>"}).';

/**
 * An operation's document, parsed: exactly one operation (its fragments beside it), within the
 * token limit. Throws a message saying why not.
 */
function parseOperation(body: string): DocumentNode {
  let document: DocumentNode;
  try {
    document = parse(body, { noLocation: true, maxTokens: MAX_OPERATION_TOKENS });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    throw new Error(`does not parse: ${error.message}`);
  }
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
  if (operations !== 1) throw new Error(`holds ${operations} operations; a persisted document holds exactly one`);
  if (document.definitions.some((definition) => definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION)) {
    throw new Error('holds type definitions; a persisted document holds one operation and its fragments');
  }
  return document;
}

function operationName(document: DocumentNode): string | null {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? (operation.name?.value ?? null) : null;
}

/** Every operation that does not parse or validate against `schema`, with why. */
function validationProblems(schema: GraphQLSchema, operations: AppOperation[], parsed: (operation: AppOperation) => DocumentNode): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const operation of operations) {
    let document: DocumentNode;
    try {
      document = parsed(operation);
    } catch (error) {
      problems.push({ id: operation.id, name: operation.name, message: `${label(operation)} ${(error as Error).message}.` });
      continue;
    }
    const errors = validate(schema, document);
    if (errors.length) problems.push({ id: operation.id, name: operation.name, message: `${label(operation)} does not validate: ${errors.map((e) => e.message).join(' ')}` });
  }
  return problems;
}

interface VersionRecord {
  id: string;
  variant: string;
  app: string;
  version: string;
  status: AppVersionStatus;
  publisher: string;
  operations_hash: string;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

const VERSION_COLUMNS = 'id::text AS id, variant, app, version, status, publisher, operations_hash, created_at, activated_at, retired_at';

function asRow(record: VersionRecord): AppVersionRow {
  return {
    id: record.id,
    variant: record.variant,
    app: record.app,
    version: record.version,
    status: record.status,
    publisher: record.publisher,
    createdAt: record.created_at,
    activatedAt: record.activated_at,
    retiredAt: record.retired_at,
  };
}

export class AppsService {
  /** Parsed documents by operation id (the sha256 of the body): a body is parsed once, however many versions or checks hold it. */
  private readonly documents = new Map<string, DocumentNode>();
  /** API schemas by composition id. */
  private readonly apis = new Map<string, GraphQLSchema>();
  /** GET /apps's answer per variant, for the set of active versions it was built from (operations never change). */
  private readonly served = new Map<string, { key: string; answer: ServedApps }>();

  constructor(
    private readonly db: DataSource,
    private readonly options: AppsServiceOptions,
  ) {}

  /** Stores an app version as PENDING once every operation validates against the variant's API; the same version again with the same operations is a no-op. */
  async publish(input: AppPublishInput, publisher: string): Promise<AppVersionRow> {
    const variant = this.requireVariant(input.variant);
    const app = requireAppName(input.app);
    const version = requireAppVersion(input.version);
    requireText(publisher, 'publisher');
    // A client preset's entries are named by their documents; problems are said by name too.
    const named = parseManifest(input.manifest, this.options.maxManifestBytes).map((operation) => ({ ...operation, name: operation.name ?? this.nameOf(operation) }));
    const api = await this.currentApi(this.db.manager, variant);
    const problems = validationProblems(api, named, (operation) => this.parsed(operation));
    if (problems.length) {
      throw invalidManifest(`${problems.length} of the manifest's ${named.length} operations do not validate against ${variant}'s API: nothing stored.`, problems);
    }
    const operationsHash = sha256(named.map((operation) => operation.id).sort().join('\n'));
    return this.db.transaction(async (tx) => {
      // Two publishes of one app at once: the second sees the first's version.
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, `app:${variant}:${app}`]);
      const existing = await this.find(tx, variant, app, version);
      if (existing) {
        if (existing.operations_hash === operationsHash) return asRow(existing);
        throw invalidManifest(`${app} ${version} is already published to ${variant} with other operations; a version never changes: publish a new version.`);
      }
      const [inserted] = (await tx.query(
        `INSERT INTO registry.app_version (variant, app, version, publisher, operations_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${VERSION_COLUMNS}`,
        [variant, app, version, publisher, operationsHash],
      )) as VersionRecord[];
      await tx.query(
        `INSERT INTO registry.app_operation (app_version_id, id, name, body) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])`,
        [inserted.id, named.map((o) => o.id), named.map((o) => o.name), named.map((o) => o.body)],
      );
      return asRow(inserted);
    });
  }

  /**
   * PENDING to ACTIVE, under the variant's lock (the one publishes hold), after validating its
   * operations again against the API served now: an active version's operations always validate
   * against the current API, so a publish judging app breaks never misses one activated meanwhile.
   */
  async activate(variantName: string, appName: string, versionName: string): Promise<AppVersionRow> {
    const { variant, app, version } = this.requireVersion(variantName, appName, versionName);
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, `variant:${variant}`]);
      const existing = await this.require(tx, variant, app, version, true);
      if (existing.status === 'ACTIVE') return asRow(existing);
      if (existing.status === 'RETIRED') throw transition(existing, 'ACTIVE');
      const operations = await this.operations(existing.id, tx);
      const problems = validationProblems(await this.currentApi(tx, variant), operations, (operation) => this.parsed(operation));
      if (problems.length) {
        throw invalidManifest(`${app} ${version}: ${problems.length} of its ${operations.length} operations no longer validate against ${variant}'s API; it stays PENDING.`, problems);
      }
      // TypeORM answers an UPDATE with [rows, count].
      const [updated] = (await tx.query(`UPDATE registry.app_version SET status = 'ACTIVE', activated_at = now() WHERE id = $1 RETURNING ${VERSION_COLUMNS}`, [existing.id])) as [
        VersionRecord[],
        number,
      ];
      return asRow(updated[0]);
    });
  }

  /** PENDING or ACTIVE to RETIRED, for good: gateways stop accepting its operations at their next poll. */
  async retire(variantName: string, appName: string, versionName: string): Promise<AppVersionRow> {
    const { variant, app, version } = this.requireVersion(variantName, appName, versionName);
    return this.db.transaction(async (tx) => {
      const existing = await this.require(tx, variant, app, version, true);
      if (existing.status === 'RETIRED') return asRow(existing);
      const [updated] = (await tx.query(`UPDATE registry.app_version SET status = 'RETIRED', retired_at = now() WHERE id = $1 RETURNING ${VERSION_COLUMNS}`, [existing.id])) as [
        VersionRecord[],
        number,
      ];
      return asRow(updated[0]);
    });
  }

  /** The variant's app versions, newest first; with `status`, only those. */
  async list(variantName: string, status?: AppVersionStatus | null): Promise<AppVersionRow[]> {
    const variant = this.requireVariant(variantName);
    const rows = (await this.db.query(
      `SELECT ${VERSION_COLUMNS} FROM registry.app_version WHERE variant = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, id DESC`,
      [variant, status ?? null],
    )) as VersionRecord[];
    return rows.map(asRow);
  }

  async get(variantName: string, appName: string, versionName: string): Promise<AppVersionRow | null> {
    const { variant, app, version } = this.requireVersion(variantName, appName, versionName);
    const found = await this.find(this.db.manager, variant, app, version);
    return found ? asRow(found) : null;
  }

  /** A version's operations, by name (unnamed last), then id. */
  async operations(versionId: string, manager: EntityManager = this.db.manager): Promise<AppOperation[]> {
    return manager.query(`SELECT id, name, body FROM registry.app_operation WHERE app_version_id = $1 ORDER BY name NULLS LAST, id`, [versionId]);
  }

  /**
   * GET /apps: the variant's ACTIVE versions with their operations, as JSON, and its sha256. Built
   * again only when the set of active versions changes (operations never do), so a poll costs one
   * small query.
   */
  async active(variantName: string): Promise<ServedApps> {
    const variant = this.requireVariant(variantName);
    const [{ key }] = (await this.db.query(
      `SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') AS key FROM registry.app_version WHERE variant = $1 AND status = 'ACTIVE'`,
      [variant],
    )) as Array<{ key: string }>;
    const known = this.served.get(variant);
    if (known?.key === key) return known.answer;
    const rows = (await this.db.query(
      `SELECT v.app, v.version, o.id, o.body FROM registry.app_version v JOIN registry.app_operation o ON o.app_version_id = v.id
       WHERE v.id = ANY($1::bigint[]) ORDER BY v.app, v.version, o.id`,
      [key ? key.split(',') : []],
    )) as Array<{ app: string; version: string; id: string; body: string }>;
    const apps: Array<{ app: string; version: string; operations: Array<{ id: string; body: string }> }> = [];
    for (const row of rows) {
      let last = apps[apps.length - 1];
      if (!last || last.app !== row.app || last.version !== row.version) apps.push((last = { app: row.app, version: row.version, operations: [] }));
      last.operations.push({ id: row.id, body: row.body });
    }
    const body = JSON.stringify({ apps });
    const answer = { body, hash: sha256(body) };
    this.served.set(variant, { key, answer });
    return answer;
  }

  /**
   * The judgement's app breaks: each operation of the variant's ACTIVE versions that validates
   * against the current API and would not against the proposed one. One that already fails today
   * (after a rollback, which is not judged) is not this change's doing.
   */
  /**
   * The apps' part of a change's judgement (the service's AppJudge): every operation of the
   * variant's active versions that validates against the current API and would not against the
   * proposed one, and every coordinate those operations use, which always counts as used. Read
   * through `manager` (a publish's transaction), never the pool: see AppJudge.
   */
  async judge({ variant, current, proposed, manager }: Parameters<AppJudge>[0]): Promise<{ breaks: AppBreak[]; usedCoordinates: Set<string> }> {
    const rows = (await manager.query(
      `SELECT v.app, v.version, o.id, o.name, o.body FROM registry.app_version v JOIN registry.app_operation o ON o.app_version_id = v.id
       WHERE v.variant = $1 AND v.status = 'ACTIVE' ORDER BY v.app, v.version, o.name NULLS LAST, o.id`,
      [variant],
    )) as Array<{ app: string; version: string } & AppOperation>;
    const usedCoordinates = new Set<string>();
    // Many versions share an operation: each body is judged once.
    const verdicts = new Map<string, string | null>();
    const verdict = (operation: AppOperation): string | null => {
      if (verdicts.has(operation.id)) return verdicts.get(operation.id)!;
      let why: string | null = null;
      try {
        const document = this.parsed(operation);
        if (current) for (const coordinate of operationCoordinates(current, document)) usedCoordinates.add(coordinate);
        const after = validate(proposed, document);
        if (after.length && !(current && validate(current, document).length)) why = after.map((e) => e.message).join(' ');
      } catch {
        // A stored body always parsed; one that no longer does was never this change's doing.
      }
      verdicts.set(operation.id, why);
      return why;
    };
    const breaks: AppBreak[] = [];
    for (const row of rows) {
      const why = verdict(row);
      if (why) {
        breaks.push({ app: row.app, version: row.version, operationId: row.id, operationName: row.name, message: `${label(row)} would no longer validate: ${why}` });
      }
    }
    return { breaks, usedCoordinates };
  }

  private nameOf(operation: AppOperation): string | null {
    try {
      return operationName(this.parsed(operation));
    } catch {
      return null; // reported by the validation
    }
  }

  private parsed(operation: AppOperation): DocumentNode {
    let document = this.documents.get(operation.id);
    if (!document) {
      document = parseOperation(operation.body);
      if (this.documents.size >= 20_000) this.documents.clear();
      this.documents.set(operation.id, document);
    }
    return document;
  }

  /** The variant's API served now; INVALID_MANIFEST before anything is published to it (nothing to validate against). */
  private async currentApi(manager: EntityManager, variant: string): Promise<GraphQLSchema> {
    const [row] = (await manager.query(
      `SELECT c.id::text AS id FROM registry.variant v JOIN registry.composition c ON c.id = v.current_composition_id WHERE v.name = $1`,
      [variant],
    )) as Array<{ id: string }>;
    if (!row) throw invalidManifest(`Nothing is published to ${variant} yet: there is no API to validate the manifest against.`);
    let schema = this.apis.get(row.id);
    if (!schema) {
      const [{ api_sdl }] = (await manager.query(`SELECT api_sdl FROM registry.composition WHERE id = $1`, [row.id])) as Array<{ api_sdl: string }>;
      schema = apiSchema(api_sdl);
      if (this.apis.size > 20) this.apis.clear();
      this.apis.set(row.id, schema);
    }
    return schema;
  }

  private async find(manager: EntityManager, variant: string, app: string, version: string, lock = false): Promise<VersionRecord | undefined> {
    const [row] = (await manager.query(
      `SELECT ${VERSION_COLUMNS} FROM registry.app_version WHERE variant = $1 AND app = $2 AND version = $3${lock ? ' FOR UPDATE' : ''}`,
      [variant, app, version],
    )) as VersionRecord[];
    return row;
  }

  private async require(manager: EntityManager, variant: string, app: string, version: string, lock: boolean): Promise<VersionRecord> {
    const found = await this.find(manager, variant, app, version, lock);
    if (!found) throw registryError(RegistryErrorCode.UNKNOWN_APP, `${variant} has no app version ${app} ${version}.`, { variant, app, version });
    return found;
  }

  private requireVersion(variant: string, app: string, version: string) {
    return { variant: this.requireVariant(variant), app: requireAppName(app), version: requireAppVersion(version) };
  }

  private requireVariant(name: string): string {
    requireVariantName(name);
    if (!this.options.variants.includes(name)) {
      throw registryError(RegistryErrorCode.UNKNOWN_VARIANT, `There is no variant "${name}"; the variants are ${this.options.variants.join(', ')}.`, { variant: name });
    }
    return name;
  }
}

function transition(existing: VersionRecord, to: AppVersionStatus) {
  return registryError(
    RegistryErrorCode.INVALID_TRANSITION,
    `${existing.app} ${existing.version} is ${existing.status}: it cannot become ${to} (a version moves only PENDING → ACTIVE → RETIRED, or PENDING → RETIRED; publish a new version instead).`,
    { app: existing.app, version: existing.version, status: existing.status },
  );
}

export function requireAppName(name: string): string {
  requireText(name, 'app');
  if (!APP_NAME.test(name)) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `"${name.slice(0, 60)}" is not an app name: lower-case letters, digits and -, a letter first, at most 63 characters (e.g. dashboard, annual-report).`, {
      field: 'app',
    });
  }
  return name;
}

export function requireAppVersion(version: string): string {
  requireText(version, 'version');
  if (!APP_VERSION.test(version)) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `"${version.slice(0, 60)}" is not an app version: letters, digits, ., +, _ and -, a letter or digit first, at most 64 characters (e.g. 3.2.0).`, {
      field: 'version',
    });
  }
  return version;
}
