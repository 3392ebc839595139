import { CodedError } from '@zigong/platform';

/** Stable codes for what can go wrong building or serving the explorer page (saved questions: SavedOperationError). */
export type ExplorerErrorCode = 'EXPLORER_NOT_BUILT' | 'EXPLORER_BUILD_INVALID';

export class ExplorerError extends CodedError<ExplorerErrorCode> {}
