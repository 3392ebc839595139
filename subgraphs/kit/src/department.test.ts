import 'reflect-metadata';
import { defineDepartment, type Department } from './department';

const base = { name: 'probe', resolvers: [class Probe {}], entities: [], migrations: [], createLoaders: () => ({}) } as unknown as Department;

describe('a department’s declared writes, spliced into GRANT by migrate', () => {
  it('takes whole-row and per-column privileges on plain table names', () => {
    expect(() => defineDepartment({ ...base, writes: { fund: ['INSERT'], income: ['INSERT', 'UPDATE (amount, recorded_at)'], log: ['DELETE', 'UPDATE'] } })).not.toThrow();
  });

  it.each([
    ['a table name carrying SQL', { 'fund TO PUBLIC; --': ['INSERT'] }],
    ['a quoted table name', { '"Fund"': ['INSERT'] }],
    ['a privilege that is no write', { fund: ['TRUNCATE'] }],
    ['every privilege at once', { fund: ['ALL'] }],
    ['SQL after a column list', { fund: ['UPDATE (total_amount) ON finance.fund TO PUBLIC; --'] }],
  ])('refuses %s', (_, writes) => {
    expect(() => defineDepartment({ ...base, writes: writes as Department['writes'] })).toThrow(/probe: writes\..* must name a table of lower-case letters/);
  });
});
