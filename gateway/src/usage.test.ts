import { clientOf } from './usage';

describe('the client a request is counted for', () => {
  const alice = { sub: 'alice', scopes: [], azp: 'annual-report' };

  it('is the apollographql-client-* headers, else the token’s azp (no version), else unknown', () => {
    const headers = { 'apollographql-client-name': 'dashboard', 'apollographql-client-version': '3.2.0' };
    expect(clientOf(headers, alice)).toEqual({ client: 'dashboard', clientVersion: '3.2.0' });
    expect(clientOf({}, alice)).toEqual({ client: 'annual-report', clientVersion: '' });
    expect(clientOf({ 'apollographql-client-name': '  ' }, alice)).toEqual({ client: 'annual-report', clientVersion: '' });
    expect(clientOf({}, { sub: 'bob', scopes: [] })).toEqual({ client: 'unknown', clientVersion: '' });
    expect(clientOf({ 'apollographql-client-version': '1.0' }, null)).toEqual({ client: 'unknown', clientVersion: '1.0' });
  });

  it('is printable and at most 100 characters, whatever a header or a claim holds (the registry refuses a whole report for one bad row)', () => {
    expect(clientOf({ 'apollographql-client-name': 'dash\tboard\u0085', 'apollographql-client-version': ' 3.2.0\u007f ' }, null)).toEqual({ client: 'dashboard', clientVersion: '3.2.0' });
    expect(clientOf({}, { sub: 'x', scopes: [], azp: 'app\ud800\uFFFD' }).client).toBe('app');
    expect(clientOf({ 'apollographql-client-name': 'x'.repeat(500) }, null).client).toHaveLength(100);
    expect(clientOf({ 'apollographql-client-name': '\u0001\u0002' }, null).client).toBe('unknown');
  });
});
