import { type Change, CriticalityLevel, diff as inspectorDiff } from '@graphql-inspector/core';
import {
  type BreakingChange,
  buildASTSchema,
  buildSchema,
  type DangerousChange,
  type DocumentNode,
  findBreakingChanges,
  findDangerousChanges,
  GraphQLError,
  GraphQLSchema,
  parse,
  validate,
} from 'graphql';

export type ChangeSeverity = 'BREAKING' | 'DANGEROUS' | 'SAFE';

/** One change between two schemas (SchemaChange in registry.graphql). */
export interface SchemaChange {
  severity: ChangeSeverity;
  /** graphql-js's change type for breaking and dangerous ones (FIELD_REMOVED), graphql-inspector's for safe ones (FIELD_ADDED). */
  type: string;
  /** The schema coordinate concerned when known: `Type`, `Type.field`, `Type.field.arg`, `Enum.VALUE`, `@directive`. */
  coordinate: string | null;
  message: string;
}

/**
 * Where graphql-js says what a change is about: only in its description, whose wording per change
 * type is fixed (graphql/utilities/findBreakingChanges). Each pattern yields the coordinate in
 * graphql-inspector's form, so the two tools' findings about one place can be matched.
 */
const COORDINATES: Record<string, [RegExp, (m: RegExpExecArray) => string]> = {
  TYPE_REMOVED: [/^(\w+) was removed\.$/, (m) => m[1]],
  TYPE_CHANGED_KIND: [/^(\w+) changed from /, (m) => m[1]],
  TYPE_REMOVED_FROM_UNION: [/^\w+ was removed from union type (\w+)\.$/, (m) => m[1]],
  TYPE_ADDED_TO_UNION: [/^\w+ was added to union type (\w+)\.$/, (m) => m[1]],
  VALUE_REMOVED_FROM_ENUM: [/^(\w+) was removed from enum type (\w+)\.$/, (m) => `${m[2]}.${m[1]}`],
  VALUE_ADDED_TO_ENUM: [/^(\w+) was added to enum type (\w+)\.$/, (m) => `${m[2]}.${m[1]}`],
  REQUIRED_INPUT_FIELD_ADDED: [/^A required field (\w+) on input type (\w+) was added\.$/, (m) => `${m[2]}.${m[1]}`],
  OPTIONAL_INPUT_FIELD_ADDED: [/^An optional field (\w+) on input type (\w+) was added\.$/, (m) => `${m[2]}.${m[1]}`],
  FIELD_REMOVED: [/^(\w+\.\w+) was removed\.$/, (m) => m[1]],
  FIELD_CHANGED_KIND: [/^(\w+\.\w+) changed type from /, (m) => m[1]],
  REQUIRED_ARG_ADDED: [/^A required arg (\w+) on (\w+\.\w+) was added\.$/, (m) => `${m[2]}.${m[1]}`],
  OPTIONAL_ARG_ADDED: [/^An optional arg (\w+) on (\w+\.\w+) was added\.$/, (m) => `${m[2]}.${m[1]}`],
  ARG_REMOVED: [/^(\w+\.\w+) arg (\w+) was removed\.$/, (m) => `${m[1]}.${m[2]}`],
  ARG_CHANGED_KIND: [/^(\w+\.\w+) arg (\w+) has changed type from /, (m) => `${m[1]}.${m[2]}`],
  ARG_DEFAULT_VALUE_CHANGE: [/^(\w+\.\w+) arg (\w+) has changed defaultValue/, (m) => `${m[1]}.${m[2]}`],
  INTERFACE_REMOVED_FROM_OBJECT: [/^(\w+) no longer implements interface /, (m) => m[1]],
  IMPLEMENTED_INTERFACE_ADDED: [/^\w+ added to interfaces implemented by (\w+)\.$/, (m) => m[1]],
  DIRECTIVE_REMOVED: [/^(\w+) was removed\.$/, (m) => `@${m[1]}`],
  DIRECTIVE_ARG_REMOVED: [/^(\w+) was removed from (\w+)\.$/, (m) => `@${m[2]}.${m[1]}`],
  REQUIRED_DIRECTIVE_ARG_ADDED: [/^A required arg (\w+) on directive (\w+) was added\.$/, (m) => `@${m[2]}.${m[1]}`],
  DIRECTIVE_REPEATABLE_REMOVED: [/^Repeatable flag was removed from (\w+)\.$/, (m) => `@${m[1]}`],
  DIRECTIVE_LOCATION_REMOVED: [/^\w+ was removed from (\w+)\.$/, (m) => `@${m[1]}`],
};

function coordinateOf(change: BreakingChange | DangerousChange): string | null {
  const rule = COORDINATES[change.type];
  const match = rule?.[0].exec(change.description);
  return match ? rule[1](match) : null;
}

function fromGraphqlJs(severity: 'BREAKING' | 'DANGEROUS', change: BreakingChange | DangerousChange): SchemaChange {
  return { severity, type: change.type, coordinate: coordinateOf(change), message: change.description };
}

/** What graphql-js calls breaking: the rule the CLI's offline check and the contract have always used. */
export function breakingChanges(from: GraphQLSchema, to: GraphQLSchema): SchemaChange[] {
  return findBreakingChanges(from, to).map((change) => fromGraphqlJs('BREAKING', change));
}

export function dangerousChanges(from: GraphQLSchema, to: GraphQLSchema): SchemaChange[] {
  return findDangerousChanges(from, to).map((change) => fromGraphqlJs('DANGEROUS', change));
}

/**
 * Every change from `from` to `to`: breaking and dangerous ones as graphql-js judges them (the
 * rule clients and the contract are held to), then everything else graphql-inspector finds
 * (fields, types, descriptions added or changed) as safe, each with its coordinate. graphql-js
 * alone lists no safe change and names no coordinate, and the changelog needs both. What the
 * inspector judges worse than graphql-js does, at a place graphql-js is silent about, is kept as
 * dangerous: a reader should see it. `from` null (the first composition) lists what was added.
 */
export async function schemaChanges(from: GraphQLSchema | null, to: GraphQLSchema): Promise<SchemaChange[]> {
  const judged = from ? [...breakingChanges(from, to), ...dangerousChanges(from, to)] : [];
  const places = new Set(judged.map((change) => change.coordinate).filter(Boolean));
  const found: Change[] = await inspectorDiff(from, to);
  const rest = found
    .filter((change) => !(change.criticality.level !== CriticalityLevel.NonBreaking && change.path && places.has(change.path)))
    // The first composition's "query type changed from none" says nothing a reader needs.
    .filter((change) => from || !change.type.startsWith('SCHEMA_'))
    .map(
      (change): SchemaChange => ({
        severity: change.criticality.level === CriticalityLevel.NonBreaking ? 'SAFE' : 'DANGEROUS',
        type: change.type,
        coordinate: change.path ?? null,
        message: change.message,
      }),
    );
  return [...judged, ...rest];
}

/** An API schema (a composition's apiSdl, the contract): plain SDL. */
export function apiSchema(sdl: string): GraphQLSchema {
  return buildSchema(sdl);
}

/**
 * A subgraph's SDL as a schema to compare, federation's directives and all: they are not defined
 * in it (the composer knows them), so the SDL is taken as written, not validated.
 */
export function subgraphSchema(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

/** Every change between two subgraph SDLs, for `diff(from, to)`. */
export function subgraphChanges(fromSdl: string, toSdl: string): Promise<SchemaChange[]> {
  return schemaChanges(subgraphSchema(fromSdl), subgraphSchema(toSdl));
}

/**
 * What of the contract `proposed` breaks that `current` did not: the served API may not hold all
 * of the contract yet (departments still landing), so only what a change newly breaks counts
 * against it. A break is not new where the current API already broke the contract at the same
 * place or at a place enclosing it: with no Mutation type served yet, a proposed Mutation lacking
 * one of the contract's fields takes nothing away. Without a current API (a variant's first
 * composition) nothing was held, so nothing can newly break.
 */
export function contractBreaks(contract: GraphQLSchema, current: GraphQLSchema | null, proposed: GraphQLSchema): SchemaChange[] {
  if (!current) return [];
  const known = breakingChanges(contract, current);
  const places = new Set(known.map((change) => change.coordinate).filter((c): c is string => c !== null));
  const messages = new Set(known.map((change) => `${change.type}: ${change.message}`));
  const enclosing = (coordinate: string) => coordinate.split('.').map((_, index, parts) => parts.slice(0, index + 1).join('.'));
  return breakingChanges(contract, proposed).filter((change) =>
    change.coordinate === null ? !messages.has(`${change.type}: ${change.message}`) : !enclosing(change.coordinate).some((place) => places.has(place)),
  );
}

/** A registered operation to validate: its name, where it came from, and its text. */
export interface RegisteredOperation {
  name: string;
  /** The file it was read from, for messages. */
  file?: string;
  text: string;
}

export interface OperationFinding {
  name: string;
  file?: string;
  message: string;
}

export interface OperationsReport {
  checked: number;
  /** Validated against the current API and would not against the proposed one. */
  broken: OperationFinding[];
  /** Do not parse, or do not validate against the current API either: not this change's doing. */
  alreadyInvalid: OperationFinding[];
}

/**
 * Validates every registered operation against the current and the proposed API: one that
 * validates now and would not afterwards is broken by the change; `currentName` says in messages
 * which API the current one is (the served one, or schema/api.graphql for the offline check). Without a current API, every
 * operation that does not validate against the proposed one is counted as already invalid.
 */
export function checkOperations(
  operations: RegisteredOperation[],
  current: GraphQLSchema | null,
  proposed: GraphQLSchema,
  { currentName = 'served' }: { currentName?: string } = {},
): OperationsReport {
  const report: OperationsReport = { checked: 0, broken: [], alreadyInvalid: [] };
  for (const operation of operations) {
    report.checked++;
    const where = operation.file ?? operation.name;
    let document: DocumentNode;
    try {
      document = parse(operation.text);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      report.alreadyInvalid.push({ name: operation.name, file: operation.file, message: `${where} cannot be parsed: ${error.message}` });
      continue;
    }
    const name = document.definitions.find((d) => d.kind === 'OperationDefinition')?.name?.value ?? operation.name;
    const before = current ? validate(current, document) : [];
    const after = validate(proposed, document);
    const label = operation.file ? `${name} (${operation.file})` : name;
    if (before.length || (!current && after.length)) {
      report.alreadyInvalid.push({
        name,
        file: operation.file,
        message: current
          ? `${label} does not validate against the ${currentName} API either: ${before.map((e) => e.message).join(' ')}`
          : `${label} does not validate, and no API was served before: ${after.map((e) => e.message).join(' ')}`,
      });
    } else if (after.length) {
      report.broken.push({ name, file: operation.file, message: `${label} would no longer validate: ${after.map((e) => e.message).join(' ')}` });
    }
  }
  return report;
}
