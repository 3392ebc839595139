import { signRequest } from '@zigong/kit';
import { readFile } from 'node:fs/promises';
import { toTextTable } from './query.format';
import { type RegistryClient, RegistryError, type RegistryProblem } from './registry-client';
import { type AppBreak, appBreakLines, isAppBreak, isUsageBreak, OPERATION_USAGE_FIELDS, type UsageBreak, usageBreakLines } from './usage-verbs';

export type { AppBreak, UsageBreak };

/**
 * What the registry verbs do, apart from their command line (registry.cli.ts): each asks the
 * registry through RegistryClient and returns its answer; the format* functions say it as people
 * read it. `zigong dev` publishes each department through publishSubgraph, as a department's CI
 * does through `zigong subgraph publish`.
 */

/** Exit codes the verbs end with, for CI (documented in `zigong subgraph --help`). */
export const EXIT = {
  /** Done: published, unchanged, the check would be accepted, listed… */
  OK: 0,
  /** The registry refused the schema (or the check says publish would): composition, contract, operations, usage, apps, SDL. */
  REFUSED: 1,
  /** A wrong invocation, found before or by the registry: arguments, input file, unknown variant/subgraph/composition. */
  USAGE: 2,
  /** The registry (or the `--from` subgraph) unreachable, the token missing or refused, or the registry failed. */
  UNAVAILABLE: 3,
} as const;

// A refusal (exit 1), or a wrong invocation (exit 2), by the registry's code.
const REFUSED_CODES = new Set(['COMPOSITION_FAILED', 'CONTRACT_BROKEN', 'OPERATION_BROKEN', 'USAGE_BROKEN', 'APP_BROKEN', 'INVALID_MANIFEST', 'INVALID_TRANSITION', 'INVALID_SDL', 'INVALID_ENCODING', 'SDL_TOO_LARGE', 'NO_COMPOSITION']);
const USAGE_CODES = new Set(['USAGE', 'UNKNOWN_VARIANT', 'UNKNOWN_SUBGRAPH', 'UNKNOWN_COMPOSITION', 'UNKNOWN_APP', 'INVALID_NAME', 'INVALID_URL', 'INVALID_INPUT', 'BAD_USER_INPUT']);

/** The exit code for a failure; anything unforeseen counts as the registry failing (3), never as success. */
export function exitCodeFor(error: RegistryError): number {
  if (REFUSED_CODES.has(error.code)) return EXIT.REFUSED;
  if (USAGE_CODES.has(error.code)) return EXIT.USAGE;
  return EXIT.UNAVAILABLE;
}

const usage = (message: string) => new RegistryError('USAGE', message);

// ---- The registry's answers (registry/src/registry.graphql), as far as the verbs read them ----

export interface SubgraphVersion {
  id: string;
  variant: string;
  subgraph: string;
  routingUrl: string;
  publisher: string;
  commit: string | null;
  branch: string | null;
  createdAt: string;
  accepted: boolean;
}

export interface SchemaChange {
  severity: 'BREAKING' | 'DANGEROUS' | 'SAFE';
  type: string;
  coordinate: string | null;
  message: string;
}

export interface Composition {
  id: string;
  variant: string;
  status: 'ACCEPTED' | 'REFUSED';
  kind: 'PUBLISH' | 'DELETE' | 'ROLLBACK';
  subgraph: string | null;
  restoredFrom: string | null;
  hash: string | null;
  errors: string[];
  changes: SchemaChange[];
  publisher: string;
  createdAt: string;
  current: boolean;
}

export interface CheckResult {
  ok: boolean;
  unchanged: boolean;
  compositionErrors: string[];
  contractBreaks: SchemaChange[];
  changes: SchemaChange[];
  brokenOperations: Array<{ name: string; message: string }>;
  operationsChecked: number;
  usageBreaks: UsageBreak[];
  unusedBreakingChanges: SchemaChange[];
  appBreaks: AppBreak[];
}

export interface PublishResult {
  outcome: 'PUBLISHED' | 'UNCHANGED';
  version: SubgraphVersion | null;
  composition: Composition;
  check: CheckResult;
}

const FRAGMENTS = `
fragment VersionFields on SubgraphVersion { id variant subgraph routingUrl publisher commit branch createdAt accepted }
fragment ChangeFields on SchemaChange { severity type coordinate message }
fragment CompositionFields on Composition {
  id variant status kind subgraph restoredFrom hash errors publisher createdAt current
  changes { ...ChangeFields }
}
fragment OperationUsageFields on OperationUsage { ${OPERATION_USAGE_FIELDS} }
fragment CheckFields on CheckResult {
  ok unchanged compositionErrors operationsChecked
  contractBreaks { ...ChangeFields }
  changes { ...ChangeFields }
  brokenOperations { name message }
  usageBreaks { change { ...ChangeFields } operations { ...OperationUsageFields } }
  unusedBreakingChanges { ...ChangeFields }
  appBreaks { app version operationId operationName message }
}`;

/** Only the fragments a document spreads: GraphQL refuses a document with an unused fragment. */
function documentWith(operation: string): string {
  const used = new Set<string>();
  const wanted = (text: string) => [...text.matchAll(/\.\.\.(\w+)/g)].map((m) => m[1]);
  const definitions = new Map(FRAGMENTS.split(/\n(?=fragment )/).filter((d) => d.trim()).map((d) => [/fragment (\w+)/.exec(d)![1], d.trim()]));
  const queue = wanted(operation);
  while (queue.length) {
    const name = queue.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    queue.push(...wanted(definitions.get(name)!));
  }
  return [operation, ...[...used].map((name) => definitions.get(name)!)].join('\n');
}

/** What publish and check send: every field of the check, usage and app breaks included (the unit test validates them against the contract). */
export const PUBLISH_DOCUMENT = documentWith(
  'mutation Publish($input: PublishInput!) { publish(input: $input) { outcome version { ...VersionFields } composition { ...CompositionFields } check { ...CheckFields } } }',
);
export const CHECK_DOCUMENT = documentWith('mutation Check($input: CheckInput!) { check(input: $input) { ...CheckFields } }');

// ---- Where an SDL comes from ----

/**
 * A schema file's text. Refused here, before anything is sent, when it is not UTF-8 (the line is
 * named: a department's file saved as GBK is the case seen) or holds a NUL.
 */
export async function sdlFromFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usage(code === 'ENOENT' ? `--schema ${path}: no such file.` : `--schema ${path}: cannot read it (${code ?? (error as Error).message}).`);
  }
  // Line by line: a line feed byte is never part of a multi-byte UTF-8 sequence.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
    try {
      decoder.decode(slice);
    } catch {
      throw usage(`--schema ${path} is not UTF-8 (line ${line}): save it as UTF-8; the registry takes UTF-8 only.`);
    }
    if (slice.includes(0)) throw usage(`--schema ${path} holds a NUL byte (line ${line}): it is not a schema file.`);
    if (end === -1) break;
    start = end + 1;
  }
  const sdl = new TextDecoder('utf-8').decode(bytes);
  if (!sdl.trim()) throw usage(`--schema ${path} is empty.`);
  return sdl;
}

/**
 * The SDL a running subgraph serves (`{ _service { sdl } }`), as the gateway would fetch it. A
 * subgraph holding the gateway's signing secret answers only signed requests: with the secret
 * (GATEWAY_SIGNING_SECRET, or the one `zigong dev` made) the request is signed as the gateway's.
 */
export async function sdlFromSubgraph(url: string, signingSecret?: string): Promise<string> {
  const body = JSON.stringify({ query: '{ _service { sdl } }' });
  const target = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (signingSecret) Object.assign(headers, signRequest(signingSecret, { method: 'POST', target: target.pathname + target.search, body }));
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    throw new RegistryError('SUBGRAPH_UNREACHABLE', `--from ${url}: the subgraph did not answer (${cause?.code ?? cause?.message ?? (error as Error).message}). Is it running?`);
  }
  const text = await response.text();
  let answer: { data?: { _service?: { sdl?: unknown } }; errors?: Array<{ message?: string }> } | undefined;
  try {
    answer = JSON.parse(text);
  } catch {
    // reported below
  }
  const sdl = answer?.data?._service?.sdl;
  if (typeof sdl === 'string' && sdl.trim()) return sdl;
  const why = answer?.errors?.[0]?.message ?? `${response.status} ${response.statusText}: ${text.slice(0, 200).trim() || '(empty body)'}`;
  const hint = response.status === 401 ? ' (it takes only signed requests: set GATEWAY_SIGNING_SECRET to its secret)' : '';
  throw new RegistryError('SUBGRAPH_UNREACHABLE', `--from ${url}: no SDL from { _service { sdl } }: ${why}${hint}`);
}

// ---- The verbs ----

export interface PublishRequest {
  variant: string;
  subgraph: string;
  sdl: string;
  /** Without one, the variant's current routing URL for the subgraph (a new subgraph needs one). */
  routingUrl?: string;
  commit?: string;
  branch?: string;
}

/** The variant's current versions, one per subgraph it serves. */
export async function currentSubgraphs(client: RegistryClient, variant: string): Promise<{ contract: boolean; current: Composition | null; subgraphs: SubgraphVersion[] }> {
  const data = await client.request<{ variant: { contract: boolean; current: Composition | null; subgraphs: SubgraphVersion[] } | null }>(
    documentWith('query Subgraphs($variant: String!) { variant(name: $variant) { contract current { ...CompositionFields } subgraphs { ...VersionFields } } }'),
    { variant },
  );
  if (!data.variant) throw new RegistryError('UNKNOWN_VARIANT', `the registry has no variant "${variant}".`);
  return data.variant;
}

export async function publishSubgraph(client: RegistryClient, request: PublishRequest): Promise<PublishResult> {
  let routingUrl = request.routingUrl;
  if (!routingUrl) {
    const { subgraphs } = await currentSubgraphs(client, request.variant);
    routingUrl = subgraphs.find((version) => version.subgraph === request.subgraph)?.routingUrl;
    if (!routingUrl) throw usage(`${request.subgraph} is new to ${request.variant}: give its --routing-url (or publish --from its running server).`);
  }
  const data = await client.request<{ publish: PublishResult }>(
    PUBLISH_DOCUMENT,
    { input: { variant: request.variant, subgraph: request.subgraph, sdl: request.sdl, routingUrl, commit: request.commit ?? null, branch: request.branch ?? null } },
  );
  return data.publish;
}

export async function checkSubgraph(client: RegistryClient, input: { variant: string; subgraph: string; sdl: string; routingUrl?: string }): Promise<CheckResult> {
  const data = await client.request<{ check: CheckResult }>(CHECK_DOCUMENT, {
    input: { ...input, routingUrl: input.routingUrl ?? null },
  });
  return data.check;
}

export async function deleteSubgraph(client: RegistryClient, variant: string, subgraph: string): Promise<Composition> {
  const data = await client.request<{ deleteSubgraph: Composition }>(
    documentWith('mutation Delete($variant: String!, $subgraph: String!) { deleteSubgraph(variant: $variant, subgraph: $subgraph) { ...CompositionFields } }'),
    { variant, subgraph },
  );
  return data.deleteSubgraph;
}

export async function compositionHistory(client: RegistryClient, variant: string, subgraph: string | undefined, first: number): Promise<Composition[]> {
  const data = await client.request<{ history: Composition[] }>(
    documentWith('query History($variant: String!, $subgraph: String, $first: Int) { history(variant: $variant, subgraph: $subgraph, first: $first) { ...CompositionFields } }'),
    { variant, subgraph: subgraph ?? null, first },
  );
  return data.history;
}

export async function rollbackVariant(client: RegistryClient, variant: string, to: string): Promise<Composition> {
  const data = await client.request<{ rollback: Composition }>(
    documentWith('mutation Rollback($variant: String!, $to: ID!) { rollback(variant: $variant, to: $to) { ...CompositionFields } }'),
    { variant, to },
  );
  return data.rollback;
}

// ---- As people read them ----

const short = (hash: string | null) => (hash ? `sha256 ${hash.slice(0, 12)}` : 'no supergraph');

function changeLine(change: SchemaChange): string {
  return `  - ${change.type}${change.coordinate ? ` ${change.coordinate}` : ''}: ${change.message}`;
}

function section(title: string, lines: string[]): string[] {
  return lines.length ? [`${title} (${lines.length}):`, ...lines] : [];
}

function changesBySeverity(changes: SchemaChange[]): string[] {
  return (['BREAKING', 'DANGEROUS', 'SAFE'] as const).flatMap((severity) =>
    section(`${severity[0]}${severity.slice(1).toLowerCase()} changes`, changes.filter((c) => c.severity === severity).map(changeLine)),
  );
}

function countChanges(changes: SchemaChange[]): string {
  const n = (severity: SchemaChange['severity']) => changes.filter((c) => c.severity === severity).length;
  return changes.length ? `${n('BREAKING')} breaking, ${n('DANGEROUS')} dangerous, ${n('SAFE')} safe` : 'no API change';
}

export function formatPublish(subgraph: string, variant: string, result: PublishResult): string {
  if (result.outcome === 'UNCHANGED') {
    return `${subgraph} in ${variant} is unchanged (same SDL and routing URL as its current version${result.version ? ` ${result.version.id}` : ''}): nothing published.\n`;
  }
  const lines = [
    `Published ${subgraph} to ${variant}: version ${result.version?.id ?? '?'}, composition ${result.composition.id} (${short(result.composition.hash)}), served now.`,
    `API changes: ${countChanges(result.composition.changes)}.`,
    ...changesBySeverity(result.composition.changes),
    ...unusedBreakingLines(result.check.unusedBreakingChanges),
  ];
  return `${lines.join('\n')}\n`;
}

/** What of a check or publish refuses because clients use it: usage breaks and app breaks. */
function usageLines(check: Pick<CheckResult, 'usageBreaks' | 'appBreaks'>): string[] {
  // Counted by break: a usage break takes several lines (its operations' table).
  const usage = check.usageBreaks.length ? [`Usage breaks: breaking changes to what clients used in the window; publish refuses them (${check.usageBreaks.length}):`, ...usageBreakLines(check.usageBreaks)] : [];
  return [...usage, ...section('App breaks: operations of active app versions that would stop validating; publish refuses them', appBreakLines(check.appBreaks))];
}

/** Breaking changes no client used in the window: they pass, and say so, so nobody is surprised later. */
function unusedBreakingLines(changes: readonly SchemaChange[]): string[] {
  return section('Warning: breaking changes no client used in the window (nor a registered operation or an active app); publish accepts them', changes.map(changeLine));
}

export function formatCheck(subgraph: string, variant: string, check: CheckResult): string {
  const verdict = check.unchanged
    ? 'unchanged: the same SDL and routing URL as the current version, publish would do nothing'
    : check.ok
      ? 'ok: publish would accept it'
      : 'refused: publish would refuse it';
  const lines = [
    `Check of ${subgraph} against ${variant}: ${verdict}.`,
    ...section('Composition errors', check.compositionErrors.map((error) => `  - ${error}`)),
    ...section('Contract breaks (schema/contract.graphql)', check.contractBreaks.map(changeLine)),
    ...changesBySeverity(check.changes),
    `Registered operations: ${check.operationsChecked} checked, ${check.brokenOperations.length} would stop validating.`,
    ...check.brokenOperations.map((operation) => `  - ${operation.name}: ${operation.message}`),
    ...usageLines(check),
    ...unusedBreakingLines(check.unusedBreakingChanges),
  ];
  if (!check.changes.length && !check.compositionErrors.length && !check.contractBreaks.length) lines.splice(1, 0, 'No change to the API schema.');
  return `${lines.join('\n')}\n`;
}

export function formatSubgraphs(variant: string, subgraphs: SubgraphVersion[], current: Composition | null): string {
  if (!subgraphs.length) return `${variant} has no subgraph yet: publish one with \`zigong subgraph publish <name>\`.\n`;
  const table = {
    columns: ['subgraph', 'version', 'routing URL', 'publisher', 'published', 'commit'],
    rows: subgraphs.map((v) => [v.subgraph, v.id, v.routingUrl, v.publisher, v.createdAt, v.commit ?? '']),
  };
  return `${variant}: composition ${current?.id ?? '-'} (${short(current?.hash ?? null)})\n${toTextTable(table)}`;
}

export function formatHistory(variant: string, compositions: Composition[]): string {
  if (!compositions.length) return `${variant} has no history yet.\n`;
  const table = {
    columns: ['', 'composition', 'when', 'change', 'status', 'publisher', 'API changes / errors'],
    rows: compositions.map((c) => [
      c.current ? '*' : '',
      c.id,
      c.createdAt,
      c.kind === 'ROLLBACK' ? `rollback to ${c.restoredFrom ?? '?'}` : `${c.kind.toLowerCase()} ${c.subgraph ?? ''}`.trim(),
      c.status.toLowerCase(),
      c.publisher,
      c.status === 'REFUSED' ? `${c.errors.length} error${c.errors.length === 1 ? '' : 's'}: ${c.errors[0] ?? ''}` : countChanges(c.changes),
    ]),
  };
  return `${toTextTable(table)}(* served now)\n`;
}

export function formatComposition(what: string, composition: Composition): string {
  return `${what}: composition ${composition.id} (${short(composition.hash)}) is served to ${composition.variant} now; API changes: ${countChanges(composition.changes)}.\n${changesBySeverity(composition.changes).join('\n')}${composition.changes.length ? '\n' : ''}`;
}

/** Every error of a refusal, with each list its extensions carry (composition errors, contract breaks, operations, usage and app breaks). */
export function formatFailure(error: RegistryError): string {
  const lines: string[] = [];
  for (const problem of error.problems) {
    lines.push(`error${problem.code ? ` [${problem.code}]` : ''}: ${problem.message}`);
    lines.push(...detailLines(problem));
  }
  return `${lines.join('\n')}\n`;
}

function detailLines(problem: RegistryProblem): string[] {
  const lines: string[] = [];
  for (const key of ['errors', 'changes', 'operations', 'usage', 'apps'] as const) {
    const list = problem.extensions[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (isUsageBreak(item)) lines.push(...usageBreakLines([item]));
      else if (isAppBreak(item)) lines.push(...appBreakLines([item]));
      else lines.push(`  - ${describeItem(item)}`);
    }
  }
  if (typeof problem.extensions.requiredScope === 'string') lines.push(`  needs the scope "${problem.extensions.requiredScope}"`);
  return lines;
}

function describeItem(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    const head = [record.severity, record.type, record.coordinate ?? record.name].filter((part) => typeof part === 'string' && part).join(' ');
    const message = typeof record.message === 'string' ? record.message : JSON.stringify(item);
    return head ? `${head}: ${message}` : message;
  }
  return String(item);
}

/** A failure as `--json` prints it: the registry's errors as they came, so CI can read the codes. */
export function failureJson(error: RegistryError): string {
  return `${JSON.stringify({ errors: error.problems.map((p) => ({ message: p.message, extensions: { ...p.extensions, code: p.code ?? error.code } })) }, null, 2)}\n`;
}
