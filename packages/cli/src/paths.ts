import { resolve } from 'node:path';

/** The repository's root, from this package's compiled location (packages/cli/dist). */
export const ROOT = resolve(__dirname, '../../..');
export const SCHEMA_DIR = resolve(ROOT, 'schema');
export const REGISTRY_PATH = resolve(ROOT, 'supergraph.yaml');
export const SUPERGRAPH_PATH = resolve(SCHEMA_DIR, 'supergraph.graphql');
export const API_SCHEMA_PATH = resolve(SCHEMA_DIR, 'api.graphql');
export const CONTRACT_PATH = resolve(SCHEMA_DIR, 'contract.graphql');
