import { buildSchema, parse, validate } from 'graphql';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GATEWAY_MAX_COST, withinCost, withoutGuardedFields } from './shape-cost';
import { generateShapes } from './shapes';

const api = buildSchema(readFileSync(resolve(__dirname, '../../schema/api.graphql'), 'utf8'));

describe('generateShapes', () => {
  const shapes = generateShapes(api, 320, 42);

  it('gives distinct operation texts, every one valid against the API schema', () => {
    expect(new Set(shapes.map((s) => s.query)).size).toBe(320);
    for (const shape of shapes) expect(validate(api, parse(shape.query)).map((e) => `${e.message}\n${shape.query}`)).toEqual([]);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(generateShapes(api, 320, 42).map((s) => s.query)).toEqual(shapes.map((s) => s.query));
    expect(generateShapes(api, 320, 43).map((s) => s.query)).not.toEqual(shapes.map((s) => s.query));
  });

  it('starts from every root and declares $year exactly where a field asks for it', () => {
    expect(new Set(shapes.map((s) => s.root.field)).size).toBe(4);
    for (const shape of shapes) expect(shape.query.includes('$year: Int!')).toBe(shape.query.includes('(year: $year)'));
    expect(shapes.some((s) => s.year)).toBe(true);
  });
});

describe('the shapes are what a client of ours may send', () => {
  it('with the gateway’s cost rule, every shape is within its default limit at the largest page the traffic asks for', () => {
    const within = withinCost(readFileSync(resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8'), api, GATEWAY_MAX_COST);
    const shapes = generateShapes(api, 320, 42, within);
    expect(new Set(shapes.map((s) => s.query)).size).toBe(320);
    expect(shapes.every((s) => within(s.query))).toBe(true);
    // Without the rule some shapes would be refused (QUERY_TOO_COSTLY): the rule is doing something.
    expect(generateShapes(api, 320, 42).some((s) => !within(s.query))).toBe(true);
  });
});

describe('withoutGuardedFields', () => {
  const unguarded = withoutGuardedFields(readFileSync(resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8'), api);

  it('refuses a shape asking for a field the supergraph guards, wherever it sits', () => {
    expect(unguarded('query A($id: ID!) { village(id: $id) { fundAllocations { amount allocatedBy } } }')).toBe(false);
    expect(unguarded('query A($id: ID!) { village(id: $id) { fundAllocations { amount purpose } } }')).toBe(true);
  });

  it('leaves the generated shapes free of guarded fields when used as the rule', () => {
    const shapes = generateShapes(api, 320, 42, unguarded);
    expect(shapes.every((s) => !/\ballocatedBy\b/.test(s.query))).toBe(true);
    expect(generateShapes(api, 320, 42).some((s) => /\ballocatedBy\b/.test(s.query))).toBe(true);
  });
});
