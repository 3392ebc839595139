import { Kind, type OperationDefinitionNode, parse, valueFromASTUntyped } from 'graphql';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_URL, describeErrors, GatewayError, type GraphQLAnswer, postOperation } from './query.client';
import { FORMATS, formatData, type Format } from './query.format';

/**
 * `npm run query -- <file.graphql> [--variables '<json>'] [--format json|csv|table] [--bom]
 * [--token <jwt>] [--url <gateway>]`: runs a saved question (or any operation file) against a
 * gateway and prints its answer for a terminal, a spreadsheet or a script. This file is the
 * command line (arguments, the operation file, exit codes); query.client.ts talks to the gateway,
 * query.flatten.ts turns a result into rows, query.format.ts prints them.
 *
 * Exit codes: 0 the answer has no errors; 1 the gateway answered with GraphQL errors (printed on
 * stderr; partial data is still printed), could not be reached, or did not answer JSON; 2 a wrong
 * invocation or an unreadable operation file.
 */

export const USAGE = `Usage: npm run query -- <file.graphql> [options]
       node packages/cli/dist/query.js <file.graphql> [options]

Runs the one operation of <file.graphql> (e.g. schema/operations/CityIncomeSummary.graphql)
against the gateway and prints its data.

Options:
  --variables '<json>'   a JSON object overriding the file's default variables
  --format json|csv|table
                         json (default): the data, pretty-printed; csv: RFC 4180 rows with
                         dotted column names, UTF-8, a cell that would start a spreadsheet
                         formula (=, +, -, @, tab, CR; not a plain number) gets a leading
                         single quote, so it shows as text;
                         table: the same rows aligned for a terminal
  --bom                  with --format csv: begin with a UTF-8 byte order mark (BOM), so Excel
                         opens the file as UTF-8 and shows Chinese correctly; leave it out for
                         scripts that read the CSV
  --token <jwt>          sent as "Authorization: Bearer <jwt>" (production gateways need one)
  --url <gateway>        the GraphQL endpoint (default ${DEFAULT_URL})
  -h, --help             this text

Exit codes: 0 answered without errors; 1 GraphQL errors (on stderr; partial data still printed),
gateway unreachable or not answering JSON; 2 a wrong invocation or an unreadable file.

npm prints its own "> …" lines on stdout: to save the output in a file, use \`npm run -s query -- …\`
or node directly, e.g. node packages/cli/dist/query.js q.graphql --format csv > q.csv`;

/** A wrong invocation or an operation file that cannot be sent: exit 2 with its message. */
export class UsageError extends Error {
  readonly code = 'QUERY_USAGE';
}

export interface QueryOptions {
  file: string;
  variables: Record<string, unknown>;
  format: Format;
  /** CSV only: a UTF-8 byte order mark first, for Excel. */
  bom: boolean;
  token?: string;
  url: string;
}

/** The command line, validated; throws UsageError (or returns 'help'). */
export function parseQueryArguments(argv: string[]): QueryOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        variables: { type: 'string' },
        format: { type: 'string', default: 'json' },
        bom: { type: 'boolean', default: false },
        token: { type: 'string' },
        url: { type: 'string', default: DEFAULT_URL },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'name the operation file to run.' : `one operation file at a time; got ${positionals.join(', ')}.`);
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${values.format}".`);
  const bom = values.bom === true;
  if (bom && format !== 'csv') throw new UsageError(`--bom goes with --format csv (a byte order mark is for spreadsheets); the format is ${format}.`);
  let variables: Record<string, unknown> = {};
  if (values.variables !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(values.variables);
    } catch (error) {
      throw new UsageError(`--variables is not valid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--variables must be a JSON object, e.g. \'{"year": 2023}\'.');
    variables = value as Record<string, unknown>;
  }
  let url: URL;
  try {
    url = new URL(values.url!);
  } catch {
    throw new UsageError(`--url is not a URL: "${values.url}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http(s); got "${values.url}".`);
  const token = values.token?.replace(/^Bearer\s+/i, '').trim();
  if (values.token !== undefined && !token) throw new UsageError('--token is empty.');
  return { file: positionals[0], variables, format, bom, token, url: url.toString() };
}

export interface OperationFile {
  text: string;
  operationName?: string;
  /** Each declared variable with its default (undefined without one). */
  variables: Record<string, unknown>;
}

/** Reads and checks an operation file: it must parse and hold exactly one operation. */
export function readOperationFile(file: string, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): OperationFile {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  let document;
  try {
    document = parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not a GraphQL document: ${(error as Error).message}`);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new UsageError(`${file} holds ${operations.length} operations; the command runs a file with exactly one.`);
  const [operation] = operations;
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    variables[definition.variable.name.value] = definition.defaultValue ? valueFromASTUntyped(definition.defaultValue) : undefined;
  }
  return { text, operationName: operation.name?.value, variables };
}

/** The variables to send: only the overrides (the gateway applies the file's defaults), checked against the declared ones. */
export function variablesFor(operation: OperationFile, overrides: Record<string, unknown>, file: string): Record<string, unknown> {
  const declared = Object.keys(operation.variables);
  const unknown = Object.keys(overrides).filter((name) => !declared.includes(name));
  if (unknown.length) {
    const takes = declared.length ? `it takes ${declared.map((name) => `$${name}`).join(', ')}` : 'it takes none';
    throw new UsageError(`${file} declares no variable ${unknown.map((name) => `$${name}`).join(', ')}; ${takes}.`);
  }
  return overrides;
}

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The whole command; resolves to the exit code. */
export async function runQuery(argv: string[], io: Output = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  let options: QueryOptions | 'help';
  try {
    options = parseQueryArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`query: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let operation: OperationFile;
  let variables: Record<string, unknown>;
  try {
    operation = readOperationFile(options.file);
    variables = variablesFor(operation, options.variables, options.file);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`query: ${error.message}\n`);
    return 2;
  }
  let answer: GraphQLAnswer;
  try {
    answer = await postOperation(options.url, { query: operation.text, operationName: operation.operationName, variables }, options.token);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    io.err(`query: ${error.message}\n`);
    return 1;
  }
  if (answer.data !== undefined && answer.data !== null) io.out(formatData(answer.data, options.format, { bom: options.bom }));
  if (answer.errors?.length) {
    io.err(describeErrors(answer.errors));
    return 1;
  }
  return 0;
}

/** Runs the command on this process's arguments and sets its exit code (query.ts calls it). */
export function main(): void {
  runQuery(process.argv.slice(2)).then(
    (code) => {
      // exitCode rather than exit(), so a large answer piped to another program is written out in full.
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('query: unexpected failure:', error);
      process.exitCode = 1;
    },
  );
}
