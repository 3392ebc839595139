import { costModelOf } from '@zigong/gateway';
import { listSizeDirective } from '@zigong/kit';
import { buildSchema, getNamedType, getNullableType, GraphQLList, isCompositeType, isObjectType } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (file: string) => readFileSync(join(__dirname, '../../schema', file), 'utf8');

describe('list sizes in the committed supergraph', () => {
  it('declares a @listSize on every list of objects a client can ask for, so none is costed by a guess', () => {
    const model = costModelOf(read('supergraph.graphql'));
    const api = buildSchema(read('api.graphql'));
    const undeclared: string[] = [];
    for (const type of Object.values(api.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        const listOfObjects = getNullableType(field.type) instanceof GraphQLList && isCompositeType(getNamedType(field.type));
        // A connection's edges are sized by the field that returns the connection.
        const sizedByParent = [...model.listSizes.values()].some((rule) => rule.sizedFields?.includes(field.name));
        if (listOfObjects && !model.listSizes.has(key) && !sizedByParent) undeclared.push(key);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('declares the ledger lists paged by `first`, at the default page the server answers with', () => {
    const model = costModelOf(read('supergraph.graphql'));
    for (const key of ['Fund.allocations', 'Village.fundAllocations']) {
      expect(model.listSizes.get(key)).toEqual({ assumedSize: 20, slicingArguments: ['first'], requireOneSlicingArgument: false });
    }
  });
});

describe("the kit's ListSize", () => {
  it('prints Apollo’s @listSize, optional slicing by default', () => {
    expect(listSizeDirective({ slicingArguments: ['first'], assumedSize: 20, sizedFields: ['edges'] })).toBe(
      '@listSize(assumedSize: 20, slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)',
    );
    expect(listSizeDirective({ assumedSize: 3 })).toBe('@listSize(assumedSize: 3)');
  });

  it('refuses a list without a bound, and a size that is no whole number', () => {
    expect(() => listSizeDirective({ sizedFields: ['edges'] })).toThrow(/needs an assumedSize or slicingArguments/);
    expect(() => listSizeDirective({ assumedSize: 2.5 })).toThrow(/whole number/);
  });
});
