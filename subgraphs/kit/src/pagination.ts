import { ErrorCode, userError } from '@zigong/platform';

export interface PageOptions {
  defaultSize: number;
  maxSize: number;
}

/** Validated page size for a `first` argument. */
export function pageSize(first: number | null | undefined, { defaultSize, maxSize }: PageOptions): number {
  if (first === null || first === undefined) return defaultSize;
  if (first < 0) throw userError(ErrorCode.BAD_USER_INPUT, '`first` must not be negative.', { argument: 'first' });
  if (first > maxSize) {
    throw userError(ErrorCode.PAGE_SIZE_TOO_LARGE, `\`first\` is ${first}; at most ${maxSize} items fit in one page.`, {
      argument: 'first',
      maxSize,
    });
  }
  return first;
}

/** Cursors are opaque to clients: the sort key of the last row, base64url-encoded JSON. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== arity || !key.every((part) => typeof part === 'string')) {
    throw userError(ErrorCode.INVALID_CURSOR, 'The `after` cursor is not one this API issued; use a `pageInfo.endCursor`.', {
      argument: 'after',
    });
  }
  return key as string[];
}
