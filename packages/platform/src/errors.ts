import { GraphQLError } from 'graphql';

/** A failure outside GraphQL (start-up, files, builds) with a stable code that leads its message. */
export class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
  }
}

/**
 * Stable `extensions.code` values. Clients branch on these, so they never change meaning;
 * add new ones rather than reuse.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INVALID_DIVISION_CODE: 'INVALID_DIVISION_CODE',
  INVALID_CURSOR: 'INVALID_CURSOR',
  PAGE_SIZE_TOO_LARGE: 'PAGE_SIZE_TOO_LARGE',
  INVALID_DECIMAL: 'INVALID_DECIMAL',
  INVALID_DATE: 'INVALID_DATE',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error the client caused and can fix; its message is safe to show. */
export function userError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export function notFound(what: string, id: string): GraphQLError {
  return userError(ErrorCode.NOT_FOUND, `${what} "${id}" does not exist.`, { id });
}

/** Required non-blank text, trimmed; `field` names the argument in the message. */
export function requireText(value: string, field: string, maxLength = 200): string {
  const text = value.trim();
  if (!text) throw userError(ErrorCode.BAD_USER_INPUT, `${field} must not be empty.`, { field });
  if (text.length > maxLength) {
    throw userError(ErrorCode.BAD_USER_INPUT, `${field} is longer than ${maxLength} characters.`, { field });
  }
  return text;
}
