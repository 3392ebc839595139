import { composeRegistry, API_SCHEMA_PATH, CONTRACT_PATH, readRegistry, SUPERGRAPH_PATH } from '@zigong/cli';
import { buildSchema, findBreakingChanges } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (path: string) => readFileSync(path, 'utf8');

describe('the committed schema', () => {
  let composed: Awaited<ReturnType<typeof composeRegistry>>;
  beforeAll(async () => {
    composed = await composeRegistry(readRegistry());
  });

  it('is what `npm run compose` produces from the code (run it and commit when this fails)', () => {
    for (const subgraph of composed.subgraphs) expect(read(subgraph.schemaFile)).toBe(subgraph.sdl);
    expect(read(SUPERGRAPH_PATH)).toBe(composed.supergraphSdl);
    expect(read(API_SCHEMA_PATH)).toBe(composed.apiSdl);
  });

  it('keeps schema/contract.graphql identical to the shared contract', () => {
    const shared = join(__dirname, '../../../shared/contract/unified-graph.graphql');
    let sharedText: string | undefined;
    try {
      sharedText = read(shared);
    } catch {
      return; // a clone without shared/ beside it has only its own copy to go by
    }
    expect(read(CONTRACT_PATH)).toBe(sharedText);
  });

  it('serves every type, field, argument and enum value of the contract (findBreakingChanges reports nothing)', () => {
    const contract = buildSchema(read(CONTRACT_PATH));
    const api = buildSchema(composed.apiSdl);
    const breaking = findBreakingChanges(contract, api).map((c) => `${c.type}: ${c.description}`);
    expect(breaking).toEqual([]);
  });
});

