/** Stable codes for what can go wrong building or serving the explorer page. */
export type ExplorerErrorCode = 'EXPLORER_NOT_BUILT' | 'EXPLORER_BUILD_INVALID' | 'SAVED_OPERATION_INVALID' | 'SAVED_OPERATIONS_MISSING';

export class ExplorerError extends Error {
  constructor(
    readonly code: ExplorerErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ExplorerError';
  }
}
