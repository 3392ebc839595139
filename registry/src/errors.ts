import { GraphQLError } from 'graphql';

/**
 * The registry's stable error codes (enum ErrorCode of registry.graphql): the CLI and a
 * department's CI branch on them, so they never change meaning.
 */
export const RegistryErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  UNKNOWN_VARIANT: 'UNKNOWN_VARIANT',
  UNKNOWN_SUBGRAPH: 'UNKNOWN_SUBGRAPH',
  UNKNOWN_COMPOSITION: 'UNKNOWN_COMPOSITION',
  INVALID_NAME: 'INVALID_NAME',
  INVALID_URL: 'INVALID_URL',
  INVALID_SDL: 'INVALID_SDL',
  INVALID_ENCODING: 'INVALID_ENCODING',
  SDL_TOO_LARGE: 'SDL_TOO_LARGE',
  COMPOSITION_FAILED: 'COMPOSITION_FAILED',
  CONTRACT_BROKEN: 'CONTRACT_BROKEN',
  OPERATION_BROKEN: 'OPERATION_BROKEN',
  USAGE_BROKEN: 'USAGE_BROKEN',
  APP_BROKEN: 'APP_BROKEN',
  INVALID_USAGE_REPORT: 'INVALID_USAGE_REPORT',
  INVALID_INPUT: 'INVALID_INPUT',
} as const;
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** A refusal with its stable code; `http.status` is the status Apollo answers it with. */
export function registryError(code: RegistryErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = code === 'UNAUTHENTICATED' ? 401 : code === 'FORBIDDEN' ? 403 : undefined;
  return new GraphQLError(message, { extensions: { ...extensions, code, ...(status ? { http: { status } } : {}) } });
}
