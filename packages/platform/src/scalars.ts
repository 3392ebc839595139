import { GraphQLScalarType, type GraphQLSchema, isScalarType, Kind, print, type ValueNode } from 'graphql';
import { ErrorCode, userError } from './errors';

/** Yuan with at most 2 decimal places and at most 16 integer digits: what numeric(18,2) holds. */
const DECIMAL = /^-?\d{1,16}(\.\d{1,2})?$/;

/**
 * Exact money. Values travel as strings end to end (Postgres `numeric` → string → client), so no
 * floating point ever touches an amount.
 */
export function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value.trim())) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : String(value);
    throw userError(
      ErrorCode.INVALID_DECIMAL,
      `${shown} is not a decimal amount: write a string such as "1250.50", with at most 2 decimal places.`,
    );
  }
  return normalizeDecimal(value.trim());
}

/** Canonical text: no leading zeros, exactly two decimals ("7" → "7.00", "-0.5" → "-0.50"). */
export function normalizeDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = whole.replace(/^0+(?=\d)/, '');
  const cents = (fraction + '00').slice(0, 2);
  const isZero = /^0+$/.test(digits) && cents === '00';
  return `${negative && !isZero ? '-' : ''}${digits}.${cents}`;
}

/** Amount in cents as a bigint, for exact comparisons and sums in code. */
export function decimalToCents(text: string): bigint {
  const normal = normalizeDecimal(text);
  const negative = normal.startsWith('-');
  const cents = BigInt(normal.replace('-', '').replace('.', ''));
  return negative ? -cents : cents;
}

export function centsToDecimal(cents: bigint): string {
  const negative = cents < 0n;
  const digits = (negative ? -cents : cents).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal amount in yuan, serialized as a string such as "154000000.00".',
  serialize: (value) => normalizeDecimal(String(value)),
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : literalText(ast)),
});

/** A non-string literal as the client wrote it, for the error message (`1e400`, not `undefined`). */
function literalText(ast: ValueNode): string {
  return `${print(ast).slice(0, 40)} (not a string)`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDate(value: unknown): string {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  const date = match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])) : null;
  if (!match || !date || date.getUTCMonth() !== +match[2] - 1 || date.getUTCDate() !== +match[3]) {
    throw userError(ErrorCode.INVALID_DATE, `${JSON.stringify(value)?.slice(0, 40)} is not a calendar date (YYYY-MM-DD).`);
  }
  return value as string;
}

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, serialized as YYYY-MM-DD.',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : literalText(ast)),
});

/** The codes the kit's scalars refuse values with. */
export const SCALAR_ERROR_CODES: ReadonlySet<string> = new Set(['INVALID_DECIMAL', 'INVALID_DATE']);

/**
 * Gives a schema that only names the kit's scalars (the gateway's, built from the supergraph)
 * their parsing, so bad values are refused at the gateway with the scalar's code and message,
 * before planning, instead of as a subgraph's HTTP 400.
 */
export function installKitScalars(schema: GraphQLSchema): void {
  for (const scalar of [DecimalScalar, DateScalar]) {
    const type = schema.getType(scalar.name);
    if (!isScalarType(type)) continue;
    type.parseValue = scalar.parseValue;
    type.parseLiteral = scalar.parseLiteral;
  }
}
