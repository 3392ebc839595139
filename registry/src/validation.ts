import { GraphQLError, parse } from 'graphql';
import { RegistryErrorCode, registryError } from './errors';

/**
 * A subgraph's name: one lower-case word, the kit's DEPARTMENT_NAME (subgraphs/kit/src/department.ts).
 * Copied, not imported: the registry sits on the platform alone (LAYERS in eslint.config.mjs), and
 * a name it accepts must be one a department can have (folder, subgraph, Postgres schema, package).
 */
export const SUBGRAPH_NAME = /^[a-z][a-z0-9]{1,30}$/;
/** A variant's name: the same shape, so it is safe in URLs, metric labels and advisory-lock keys. */
export const VARIANT_NAME = /^[a-z][a-z0-9_-]{0,30}$/;

/** The longest routing URL, commit or branch stored: they are labels, not documents. */
const MAX_LABEL_LENGTH = 2_048;

export function requireSubgraphName(name: string): string {
  requireText(name, 'subgraph');
  if (!SUBGRAPH_NAME.test(name)) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `"${printable(name)}" is not a subgraph name: one lower-case word (a–z, 0–9, 2–31 characters, a letter first), as a department is named.`, {
      field: 'subgraph',
    });
  }
  // Its `<name>:publish` would be `apps:publish`, the scope of app manifests (apps.resolver.ts).
  if (RESERVED_SUBGRAPH_NAMES.includes(name)) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `"${name}" is reserved: ${name}:publish is the scope that publishes app manifests, so no subgraph may be named so.`, { field: 'subgraph' });
  }
  return name;
}

const RESERVED_SUBGRAPH_NAMES = ['apps'];

export function requireVariantName(name: string): string {
  requireText(name, 'variant');
  if (!VARIANT_NAME.test(name)) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `"${printable(name)}" is not a variant name: lower-case letters, digits, - and _, a letter first, at most 31 characters.`, {
      field: 'variant',
    });
  }
  return name;
}

/** An http(s) URL without credentials: gateways send every request of the subgraph there. */
export function requireRoutingUrl(url: string): string {
  requireText(url, 'routingUrl');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw registryError(RegistryErrorCode.INVALID_URL, `routingUrl "${printable(url)}" is not a URL.`, { field: 'routingUrl' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw registryError(RegistryErrorCode.INVALID_URL, `routingUrl must be an http or https URL, got "${parsed.protocol}".`, { field: 'routingUrl' });
  }
  // A password in the routing URL would be served to every gateway and reader of the supergraph.
  if (parsed.username || parsed.password) {
    throw registryError(RegistryErrorCode.INVALID_URL, 'routingUrl must not carry a user name or password: it is served to every gateway.', { field: 'routingUrl' });
  }
  if (url.length > MAX_LABEL_LENGTH) {
    throw registryError(RegistryErrorCode.INVALID_URL, `routingUrl is longer than ${MAX_LABEL_LENGTH} characters.`, { field: 'routingUrl' });
  }
  return url;
}

/** An optional label (commit, branch): text, bounded; blank is none. */
export function optionalLabel(value: string | null | undefined, field: string): string | null {
  if (value == null || value.trim() === '') return null;
  requireText(value, field);
  if (value.length > MAX_LABEL_LENGTH) {
    throw registryError(RegistryErrorCode.INVALID_NAME, `${field} is longer than ${MAX_LABEL_LENGTH} characters.`, { field });
  }
  return value;
}

/**
 * A subgraph's SDL, refused before anything is stored: bytes that were not UTF-8 (the HTTP layer
 * decodes them to U+FFFD), NUL (Postgres refuses it in text), more than `maxBytes`, or text that
 * does not parse (with the location of the first error).
 */
export function requireSdl(sdl: string, maxBytes: number): string {
  requireText(sdl, 'sdl');
  const bytes = Buffer.byteLength(sdl, 'utf8');
  if (bytes > maxBytes) {
    throw registryError(RegistryErrorCode.SDL_TOO_LARGE, `The SDL is ${bytes} bytes, more than the ${maxBytes} allowed (REGISTRY_MAX_SDL_BYTES).`, { bytes, maxBytes });
  }
  if (sdl.trim() === '') throw registryError(RegistryErrorCode.INVALID_SDL, 'The SDL is empty.', { field: 'sdl' });
  try {
    parse(sdl, { noLocation: false });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    throw registryError(RegistryErrorCode.INVALID_SDL, `The SDL does not parse: ${error.message}`, { location: error.locations?.[0] ?? null });
  }
  return sdl;
}

/**
 * Text that can be stored and shown as it was sent: valid UTF-8 (JSON bodies are decoded with
 * replacement, so invalid bytes arrive as U+FFFD), no NUL, no lone surrogate.
 */
export function requireText(value: string, field: string): void {
  if (value.includes('\u0000')) throw registryError(RegistryErrorCode.INVALID_ENCODING, `${field} holds a NUL character (U+0000).`, { field });
  if (value.includes('\uFFFD')) {
    throw registryError(RegistryErrorCode.INVALID_ENCODING, `${field} is not valid UTF-8 (or holds U+FFFD, the mark of bytes that were not).`, { field });
  }
  if (LONE_SURROGATE.test(value)) throw registryError(RegistryErrorCode.INVALID_ENCODING, `${field} holds a lone UTF-16 surrogate, which is no character.`, { field });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A value quoted in a message: bounded, so a refusal never echoes a megabyte back. */
function printable(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}
