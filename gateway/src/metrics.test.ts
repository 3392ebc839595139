import { clientLabels, OTHER_CLIENT, OTHER_OPERATION, operationLabels } from './metrics';

describe('operation labels', () => {
  it('are the registered names, then the first names that succeeded for signed-in callers, then other', () => {
    const labels = operationLabels(['CityIncomeSummary'], 2);
    expect(labels.of('CityIncomeSummary')).toBe('CityIncomeSummary');
    expect(labels.of(undefined)).toBe('anonymous');
    // Not learned from an anonymous or failed request: only `learn` (a signed-in success) adds a name.
    expect(labels.of('Mine')).toBe(OTHER_OPERATION);
    expect(labels.of('Mine', { learn: true })).toBe('Mine');
    expect(labels.of('Mine')).toBe('Mine');
    expect(labels.of('Yours', { learn: true })).toBe('Yours');
    expect(labels.of('Third', { learn: true })).toBe(OTHER_OPERATION);
    expect(labels.mayLearn('Fourth')).toBe(false);
  });

  it('never take a refused request’s name unless it is registered, and never a name that is not a GraphQL name', () => {
    const labels = operationLabels(['CityIncomeSummary'], 10);
    expect(labels.of('Mine', { learn: true })).toBe('Mine');
    expect(labels.of('Mine', { refused: true })).toBe(OTHER_OPERATION);
    expect(labels.of('CityIncomeSummary', { refused: true })).toBe('CityIncomeSummary');
    expect(labels.of('drop table"} 1\n', { learn: true })).toBe(OTHER_OPERATION);
    expect(labels.of('A'.repeat(61), { learn: true })).toBe(OTHER_OPERATION);
    expect(labels.known('Unseen')).toBe(OTHER_OPERATION);
  });

  it('hold at most the registered names, the learnable ones, other and anonymous, whatever 10,000 names are sent', () => {
    const labels = operationLabels(['CityIncomeSummary'], 100);
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      seen.add(labels.of(`Probe${i}`, { refused: i % 3 === 0, learn: i % 3 === 1 }));
      seen.add(labels.known(`Other${i}`));
    }
    expect(seen.size).toBe(101);
    expect(seen.has(OTHER_OPERATION)).toBe(true);
  });
});

describe('client labels', () => {
  it('are the known names, then the first names whose requests succeeded for signed-in callers, then other; versions likewise, a few per client', () => {
    const labels = clientLabels(['unknown'], 2, 2);
    expect(labels.of('unknown', '')).toEqual({ client: 'unknown', client_version: '' });
    // Not learned from an anonymous or failed request.
    expect(labels.of('dashboard', '3.2.0')).toEqual({ client: OTHER_CLIENT, client_version: OTHER_CLIENT });
    expect(labels.of('dashboard', '3.2.0', { learn: true })).toEqual({ client: 'dashboard', client_version: '3.2.0' });
    expect(labels.of('dashboard', '3.2.0')).toEqual({ client: 'dashboard', client_version: '3.2.0' });
    expect(labels.of('dashboard', '3.3.0')).toEqual({ client: 'dashboard', client_version: OTHER_CLIENT });
    expect(labels.of('dashboard', '3.3.0', { learn: true })).toEqual({ client: 'dashboard', client_version: '3.3.0' });
    expect(labels.of('dashboard', '3.4.0', { learn: true })).toEqual({ client: 'dashboard', client_version: OTHER_CLIENT });
    expect(labels.of('annual-report', '2026.1', { learn: true })).toEqual({ client: 'annual-report', client_version: '2026.1' });
    expect(labels.of('third', '1', { learn: true })).toEqual({ client: OTHER_CLIENT, client_version: OTHER_CLIENT });
  });

  it('never take a name or version that could not be a label value', () => {
    const labels = clientLabels([], 10);
    expect(labels.of('x"} 1\n', '1', { learn: true }).client).toBe(OTHER_CLIENT);
    expect(labels.of('a'.repeat(61), '1', { learn: true }).client).toBe(OTHER_CLIENT);
    expect(labels.of('app', '1.0 beta', { learn: true })).toEqual({ client: 'app', client_version: OTHER_CLIENT });
  });

  it('hold at most the known names, the learnable ones and other, and a few versions each, whatever 10,000 clients are sent', () => {
    const labels = clientLabels(['unknown'], 50, 5);
    const names = new Set<string>();
    const versions = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const label = labels.of(`client-${i % 500}`, `v${i}`, { learn: i % 2 === 0 });
      names.add(label.client);
      versions.add(`${label.client}@${label.client_version}`);
    }
    expect(names.size).toBe(51);
    // 50 clients × (5 versions + other), and other@other.
    expect(versions.size).toBe(50 * 6 + 1);
  });
});
