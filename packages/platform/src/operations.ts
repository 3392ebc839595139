import { GraphQLError, Kind, type OperationDefinitionNode, parse, valueFromASTUntyped } from 'graphql';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CodedError } from './errors';

/**
 * A registered operation (an analyst's saved question or a front-end's query): one named operation
 * from `schema/operations/<Name>.graphql`. The explorer shows them; the gateway trusts them.
 */
export interface SavedOperation {
  /** The operation's name, which is also the file's name. */
  name: string;
  /** The file's leading `#` comment lines, joined with spaces. */
  description: string;
  /** The whole file, comment included, as the analyst opens it in the editor. */
  text: string;
  /** Each variable's default value (null without one), to fill the variables editor. */
  variables: Record<string, unknown>;
}

const EXTENSION = '.graphql';

/** Stable codes for a registered operation that cannot be used. */
export type SavedOperationErrorCode = 'SAVED_OPERATION_INVALID' | 'SAVED_OPERATIONS_MISSING';

export class SavedOperationError extends CodedError<SavedOperationErrorCode> {}

function invalid(file: string, problem: string): SavedOperationError {
  return new SavedOperationError('SAVED_OPERATION_INVALID', `${file}: ${problem}`);
}

/** The leading run of `#` comment lines, without the `#`; blank lines before it are skipped. */
export function leadingComment(text: string): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const comment: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) comment.push(trimmed.replace(/^#+\s?/, '').trim());
    else if (trimmed === '' && comment.length === 0) continue;
    else break;
  }
  return comment.filter(Boolean).join(' ');
}

/** Parses one saved question; the file must hold exactly one operation, named like the file. */
export function parseSavedOperation(file: string, text: string): SavedOperation {
  let document;
  try {
    document = parse(text);
  } catch (error) {
    throw invalid(file, error instanceof GraphQLError ? error.message : String(error));
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw invalid(file, `holds ${operations.length} operations; a saved question holds exactly one.`);
  const [operation] = operations;
  const expected = basename(file, EXTENSION);
  if (!operation.name) throw invalid(file, `the operation has no name; name it ${expected}.`);
  if (operation.name.value !== expected) {
    throw invalid(file, `the operation is named ${operation.name.value} but the file says ${expected}; the two must match.`);
  }
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    variables[definition.variable.name.value] = definition.defaultValue ? valueFromASTUntyped(definition.defaultValue) : null;
  }
  return { name: expected, description: leadingComment(text), text, variables };
}

/** Every `*.graphql` file of `dir` as a saved question, ordered by name. */
export function loadSavedOperations(dir: string): SavedOperation[] {
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    files = readdirSync(dir).filter((name) => name.endsWith(EXTENSION));
  } catch (error) {
    throw new SavedOperationError('SAVED_OPERATIONS_MISSING', `cannot read the saved questions in ${dir}: ${(error as Error).message}`);
  }
  return files
    .sort((a, b) => a.localeCompare(b, 'en'))
    .map((name) => parseSavedOperation(name, readFileSync(join(dir, name), 'utf8')));
}
