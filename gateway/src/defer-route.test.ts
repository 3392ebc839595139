import { parse } from 'graphql';
import { acceptsDeferSpec, usesDefer } from './defer-route';

describe('which requests the @defer route streams', () => {
  it('streams to clients that accept multipart/mixed in the 2022-08-24 format, or name no format', () => {
    // Apollo Client 3.7+ (and 4 with its Defer20220824Handler), Apollo Router's tests, curl users.
    expect(acceptsDeferSpec('multipart/mixed;deferSpec=20220824,application/json')).toBe(true);
    expect(acceptsDeferSpec('multipart/mixed; deferSpec=20220824; q=1.1, application/graphql-response+json; q=1.0')).toBe(true);
    expect(acceptsDeferSpec('multipart/mixed')).toBe(true);
    expect(acceptsDeferSpec('Multipart/Mixed; DeferSpec="20220824"')).toBe(true);
  });

  it('answers in one JSON where multipart is not accepted, or only in a format it does not write', () => {
    expect(acceptsDeferSpec(undefined)).toBe(false);
    expect(acceptsDeferSpec('application/json')).toBe(false);
    expect(acceptsDeferSpec('*/*')).toBe(false);
    expect(acceptsDeferSpec('multipart/mixed;incrementalSpec=v0.2')).toBe(false);
    expect(acceptsDeferSpec('multipart/mixed;deferSpec=20220824;q=0, application/json')).toBe(false);
  });

  it('takes only documents that use @defer, by their parsed form', () => {
    const query = '{ village(id: "1") { name ... @defer { id } } }';
    expect(usesDefer(query, parse(query))).toBe(true);
    // The word in a string or a comment is not the directive.
    const quoted = '{ village(id: "@defer") { name } } # @defer';
    expect(usesDefer(quoted, parse(quoted))).toBe(false);
    expect(usesDefer('{ a }', parse('{ a }'))).toBe(false);
  });
});
