import { apiSchema, breakingChanges, checkOperations, contractBreaks, dangerousChanges, type SchemaChange } from '@zigong/registry';
import { GraphQLError, parse } from 'graphql';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Composed, composeSdl, CompositionError } from './composition';
import { API_SCHEMA_PATH, CONTRACT_PATH, ROOT, SCHEMA_DIR } from './paths';
import { readRegistry, type RegisteredSubgraph } from './registry';

/** Registered client operations: one `.graphql` file per named operation, checked on every schema change. */
export const OPERATIONS_DIR = resolve(SCHEMA_DIR, 'operations');

/** Stable codes of what a schema check finds. */
export const SchemaCheckCode = {
  /** The department's SDL does not compose with the others' (errors). */
  COMPOSITION_FAILED: 'COMPOSITION_FAILED',
  /** The API clients see loses or changes something they may use (errors). */
  BREAKING_API_CHANGE: 'BREAKING_API_CHANGE',
  /** Something of the public contract that the committed API serves would no longer be served (errors). */
  BREAKING_CONTRACT_CHANGE: 'BREAKING_CONTRACT_CHANGE',
  /** A registered operation that validates today would not validate any more (errors). */
  OPERATION_BROKEN: 'OPERATION_BROKEN',
  /** A change that may surprise existing clients, e.g. a new enum value (warnings). */
  DANGEROUS_CHANGE: 'DANGEROUS_CHANGE',
  /** A registered operation that does not validate against the committed API either (warnings). */
  OPERATION_ALREADY_INVALID: 'OPERATION_ALREADY_INVALID',
} as const;
export type SchemaCheckCode = (typeof SchemaCheckCode)[keyof typeof SchemaCheckCode];

export interface SchemaCheckProblem {
  code: SchemaCheckCode;
  message: string;
  /** The operation file concerned, relative to the repository. */
  file?: string;
}

export interface SchemaCheckReport {
  department: string;
  /** The departments whose committed SDL it was composed with. */
  composedWith: string[];
  /** Whether the department is in the registry yet; if not it was composed as an addition. */
  registered: boolean;
  errors: SchemaCheckProblem[];
  warnings: SchemaCheckProblem[];
  operationsChecked: number;
  /** The API schema the change would give clients; absent when composition failed. */
  apiSdl?: string;
  /** Whether the proposed SDL differs from the department's committed schema file. */
  changed: boolean;
}

export interface SchemaCheckOptions {
  /** Default: supergraph.yaml. */
  registry?: RegisteredSubgraph[];
  /** The API schema clients use now. Default: schema/api.graphql. */
  apiSchemaPath?: string;
  /** Default: schema/contract.graphql. */
  contractPath?: string;
  /** Read when the check runs. Default: schema/operations. */
  operationsDir?: string;
}

/**
 * Would this SDL of one department be safe to deploy? Composes it with the other departments'
 * committed SDL, then compares the resulting API schema with the committed one and with the
 * contract, and validates every registered operation against it. Errors block the change;
 * warnings are for the author to read.
 */
export function checkDepartmentSchema(department: string, proposedSdl: string, options: SchemaCheckOptions = {}): SchemaCheckReport {
  const registry = options.registry ?? readRegistry();
  const own = registry.find((entry) => entry.name === department);
  const others = registry.filter((entry) => entry.name !== department);
  const report: SchemaCheckReport = {
    department,
    composedWith: others.map((entry) => entry.name),
    registered: Boolean(own),
    errors: [],
    warnings: [],
    operationsChecked: 0,
    changed: !own || !existsSync(own.schemaFile) || readFileSync(own.schemaFile, 'utf8') !== proposedSdl,
  };
  const fail = (message: string) => {
    report.errors.push({ code: SchemaCheckCode.COMPOSITION_FAILED, message });
    return report;
  };

  const subgraphs: Array<RegisteredSubgraph & { sdl: string }> = [];
  for (const entry of others) {
    if (!existsSync(entry.schemaFile)) return fail(`${relative(ROOT, entry.schemaFile)} of ${entry.name} is missing: run \`npm run compose\` and commit it.`);
    subgraphs.push({ ...entry, sdl: readFileSync(entry.schemaFile, 'utf8') });
  }
  const routingUrl = own?.routingUrl ?? `http://127.0.0.1/${department}`;
  subgraphs.push({ name: department, routingUrl, schemaFile: own?.schemaFile ?? '', sdl: proposedSdl });
  for (const subgraph of subgraphs) {
    try {
      parse(subgraph.sdl);
    } catch (error) {
      if (error instanceof GraphQLError) return fail(`[${subgraph.name}] ${error.message}`);
      throw error;
    }
  }
  let composed: Composed;
  try {
    composed = composeSdl(subgraphs);
  } catch (error) {
    if (!(error instanceof CompositionError)) throw error;
    for (const message of error.messages) fail(message);
    return report;
  }
  report.apiSdl = composed.apiSdl;
  // The comparisons are the registry's (@zigong/registry checks.ts), which judges every publish
  // with them; here the current API is the committed one and no variant is involved.
  const proposed = apiSchema(composed.apiSdl);
  const current = apiSchema(readFileSync(options.apiSchemaPath ?? API_SCHEMA_PATH, 'utf8'));
  for (const change of breakingChanges(current, proposed)) {
    report.errors.push({ code: SchemaCheckCode.BREAKING_API_CHANGE, message: describe(change) });
  }
  const contract = apiSchema(readFileSync(options.contractPath ?? CONTRACT_PATH, 'utf8'));
  for (const change of contractBreaks(contract, current, proposed)) {
    report.errors.push({ code: SchemaCheckCode.BREAKING_CONTRACT_CHANGE, message: describe(change) });
  }
  for (const change of dangerousChanges(current, proposed)) {
    report.warnings.push({ code: SchemaCheckCode.DANGEROUS_CHANGE, message: describe(change) });
  }
  const files = operationFiles(options.operationsDir ?? OPERATIONS_DIR);
  const operations = checkOperations(
    files.map((path) => ({ name: relative(ROOT, path), file: relative(ROOT, path), text: readFileSync(path, 'utf8') })),
    current,
    proposed,
    { currentName: 'committed' },
  );
  report.operationsChecked = operations.checked;
  for (const { file, message } of operations.alreadyInvalid) report.warnings.push({ code: SchemaCheckCode.OPERATION_ALREADY_INVALID, file, message });
  for (const { file, message } of operations.broken) report.errors.push({ code: SchemaCheckCode.OPERATION_BROKEN, file, message });
  return report;
}

/** Every `*.graphql` below dir, in a stable order; none when the folder does not exist. */
export function operationFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return operationFiles(path);
      return entry.isFile() && entry.name.endsWith('.graphql') ? [path] : [];
    })
    .sort();
}

function describe(change: SchemaChange): string {
  return `${change.type}: ${change.message}`;
}

const LABELS: Record<SchemaCheckCode, string> = {
  COMPOSITION_FAILED: 'does not compose',
  BREAKING_API_CHANGE: 'breaks schema/api.graphql',
  BREAKING_CONTRACT_CHANGE: 'breaks schema/contract.graphql',
  OPERATION_BROKEN: 'breaks a registered operation',
  DANGEROUS_CHANGE: 'may surprise clients',
  OPERATION_ALREADY_INVALID: 'registered operation invalid already',
};

/** The report as people read it: errors, then warnings, then one summary line. */
export function formatSchemaCheckReport(report: SchemaCheckReport): string {
  const lines = [
    `Schema check of ${report.department}${report.registered ? '' : ' (not registered yet)'}, composed with the committed SDL of ${report.composedWith.join(', ') || 'no other department'}:`,
  ];
  for (const problem of report.errors) lines.push(`  error    [${problem.code}] ${LABELS[problem.code]}: ${problem.message}`);
  for (const problem of report.warnings) lines.push(`  warning  [${problem.code}] ${LABELS[problem.code]}: ${problem.message}`);
  const operations = `${report.operationsChecked} registered operation${report.operationsChecked === 1 ? '' : 's'}`;
  const warnings = report.warnings.length ? `; ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}` : '';
  if (report.errors.length) {
    lines.push(`FAILED: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}${warnings}.`);
  } else {
    lines.push(`ok: it composes, breaks neither the API nor the contract, and ${operations} still validate${warnings}.`);
    if (report.changed) lines.push(`Its SDL differs from the committed one: run \`npm run compose\` and commit schema/.`);
  }
  return lines.join('\n');
}
