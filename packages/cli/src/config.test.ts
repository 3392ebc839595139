import { loadLocalConfig } from './config';

describe('the local runner configuration', () => {
  it('moves a department with SUBGRAPH_<NAME>_URL, as the gateway reads it, and refuses one that is no http URL', () => {
    expect(loadLocalConfig({ SUBGRAPH_FINANCE_URL: 'http://127.0.0.1:5003/graphql' }).subgraphUrls).toEqual({ finance: 'http://127.0.0.1:5003/graphql' });
    expect(loadLocalConfig({}).subgraphUrls).toEqual({});
    expect(() => loadLocalConfig({ SUBGRAPH_FINANCE_URL: 'ftp://127.0.0.1/x' })).toThrow(/SUBGRAPH_FINANCE_URL/);
  });
});
