import { answerType } from './media-type';

describe('answerType: the media type Apollo Server chooses for a single result', () => {
  it.each([
    [undefined, 'application/json; charset=utf-8'],
    ['', 'application/json; charset=utf-8'],
    ['*/*', 'application/json; charset=utf-8'],
    ['application/*', 'application/json; charset=utf-8'],
    ['application/json', 'application/json; charset=utf-8'],
    ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
    ['application/graphql-response+json, application/json, multipart/mixed', 'application/graphql-response+json; charset=utf-8'],
    ['application/graphql-response+json;q=0.9, application/json', 'application/json; charset=utf-8'],
    ['text/html', undefined],
    ['multipart/mixed', undefined],
    ['application/json; callbackSpec=1.0', undefined],
  ])('Accept: %p', (accept, type) => {
    expect(answerType(accept)).toBe(type);
  });
});
