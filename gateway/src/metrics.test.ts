import { OTHER_OPERATION, operationLabels } from './metrics';

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
