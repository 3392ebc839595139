import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { RegistryError } from './registry-client';
import { CHECK_DOCUMENT, type CheckResult, EXIT, exitCodeFor, formatCheck, formatFailure, formatPublish, PUBLISH_DOCUMENT, type PublishResult } from './registry-verbs';
import { rulesChange } from './usage.cli';
import {
  type CoordinateUsage,
  DEPRECATIONS_QUERY,
  FIELD_USAGE_QUERY,
  formatDeprecations,
  formatFieldUsage,
  formatUsageRules,
  type OperationUsage,
  parseClientWindow,
  SET_USAGE_RULES_MUTATION,
  USAGE_RULES_QUERY,
  usageTime,
} from './usage-verbs';

/** The registry's API contract: every document the verbs send must validate against it. */
const CONTRACT = buildSchema(readFileSync(join(__dirname, '../../../registry/src/registry.graphql'), 'utf8'));

describe('the documents the verbs send', () => {
  it.each([
    ['field usage', FIELD_USAGE_QUERY],
    ['deprecations', DEPRECATIONS_QUERY],
    ['usage rules', USAGE_RULES_QUERY],
    ['set usage rules', SET_USAGE_RULES_MUTATION],
    ['check (usage and app breaks included)', CHECK_DOCUMENT],
    ['publish (usage and app breaks included)', PUBLISH_DOCUMENT],
  ])('%s validates against registry/src/registry.graphql', (_, document) => {
    expect(validate(CONTRACT, parse(document)).map((error) => error.message)).toEqual([]);
  });
});

const operation = (client: string, clientVersion: string, count: number, errors = 0, name: string | null = 'VillageReport'): OperationUsage => ({
  client,
  clientVersion,
  operationHash: '3f2a9c1d0e4b' + '0'.repeat(52),
  operationName: name,
  signature: 'query VillageReport{village(id:""){generated}}',
  count,
  errors,
  firstSeen: '2026-12-01T08:00:00.000Z',
  lastSeen: '2026-12-07T04:31:00.000Z',
});

describe('zigong usage field, printed', () => {
  const usage: CoordinateUsage = {
    coordinate: 'Village.generated',
    since: '2026-11-07T04:31:10.000Z',
    total: 17,
    lastSeen: '2026-12-07T04:31:00.000Z',
    clients: [
      { client: 'annual-report', clientVersion: '2026.1', count: 12, lastSeen: '2026-12-07T04:31:00.000Z' },
      { client: 'dashboard', clientVersion: '', count: 5, lastSeen: '2026-12-06T22:05:00.000Z' },
    ],
    operations: [operation('annual-report', '2026.1', 12, 1), operation('dashboard', '', 5, 0, null)],
  };

  it('gives the total and the last use, then each client version and each operation', () => {
    expect(formatFieldUsage('production', '30d', usage)).toBe(
      [
        'Village.generated in production, since 2026-11-07 04:31 UTC (30d): 17 requests, last seen 2026-12-07 04:31 UTC.',
        '',
        'Client versions (2):',
        'client         version  requests  last seen',
        '-------------  -------  --------  --------------------',
        'annual-report  2026.1         12  2026-12-07 04:31 UTC',
        'dashboard      -               5  2026-12-06 22:05 UTC',
        '',
        'Operations (2):',
        'operation      hash          client         version  requests  errors  last seen',
        '-------------  ------------  -------------  -------  --------  ------  --------------------',
        'VillageReport  3f2a9c1d0e4b  annual-report  2026.1         12       1  2026-12-07 04:31 UTC',
        '(anonymous)    3f2a9c1d0e4b  dashboard      -               5       0  2026-12-07 04:31 UTC',
        '',
      ].join('\n'),
    );
  });

  it('says unused when nothing touched it', () => {
    expect(formatFieldUsage('staging', '7d', { ...usage, total: 0, lastSeen: null, clients: [], operations: [] })).toBe(
      'Village.generated in staging: unused since 2026-11-07 04:31 UTC (7d): no client request touched it.\n',
    );
  });

  it('writes times to the minute in UTC', () => {
    expect([usageTime('2026-12-07T12:31:59.999+08:00'), usageTime(null), usageTime('soon')]).toEqual(['2026-12-07 04:31 UTC', '-', 'soon']);
  });
});

describe('zigong deprecations, printed', () => {
  it('lists each deprecated coordinate with its reason and who still uses it, "unused" when nobody does', () => {
    const since = '2025-11-02T04:31:00.000Z';
    const text = formatDeprecations('production', '400d', [
      {
        coordinate: 'Village.oldCode',
        reason: 'Use code.',
        usage: { coordinate: 'Village.oldCode', since, total: 42, lastSeen: '2026-12-07T04:31:00.000Z', clients: [{ client: 'dashboard', clientVersion: '3.1.0', count: 42, lastSeen: '2026-12-07T04:31:00.000Z' }], operations: [] },
      },
      { coordinate: 'Query.towns.legacy', reason: null, usage: { coordinate: 'Query.towns.legacy', since, total: 0, lastSeen: null, clients: [], operations: [] } },
    ]);
    expect(text).toBe(
      [
        'Deprecated in production\'s API schema: 2 coordinates, 1 still used (since 2025-11-02 04:31 UTC, 400d).',
        '',
        'Village.oldCode: "Use code.": 42 requests, last seen 2026-12-07 04:31 UTC, by:',
        '  client     version  requests  last seen',
        '  ---------  -------  --------  --------------------',
        '  dashboard  3.1.0          42  2026-12-07 04:31 UTC',
        '',
        'Query.towns.legacy: (no reason given): unused.',
        '',
      ].join('\n'),
    );
    expect(formatDeprecations('staging', '400d', [])).toBe("staging's API schema has nothing deprecated.\n");
  });
});

describe('zigong usage rules', () => {
  it('shows the rules, and says when they were just set', () => {
    const rules = { variant: 'production', window: '30d', clientWindows: [{ client: 'annual-report', window: '400d' }], excludedClients: ['load-test'], minCount: 3 };
    expect(formatUsageRules(rules, true)).toBe(
      [
        'Usage rules of production set:',
        '  window:            30d (a breaking change to a coordinate used within it refuses a publish)',
        '  client windows:    annual-report=400d',
        '  excluded clients:  load-test',
        '  minimum count:     3 (fewer requests in the window count as unused)',
        '',
      ].join('\n'),
    );
    expect(formatUsageRules({ ...rules, clientWindows: [], excludedClients: [] }, false)).toMatch(/^Usage rules of production:\n.*\n {2}client windows: {4}none\n {2}excluded clients: {2}none\n/);
  });

  it('sends only what was given; no option only shows them; the clear options send empty lists', () => {
    expect(rulesChange({})).toBeNull();
    expect(rulesChange({ window: '60d' })).toEqual({ window: '60d' });
    expect(rulesChange({ clientWindow: [{ client: 'annual-report', window: '400d' }], exclude: ['load-test'], minCount: 2 })).toEqual({
      clientWindows: [{ client: 'annual-report', window: '400d' }],
      excludedClients: ['load-test'],
      minCount: 2,
    });
    expect(rulesChange({ clearClientWindows: true, clearExclusions: true })).toEqual({ clientWindows: [], excludedClients: [] });
  });

  it('reads <client>=<duration>, a client name holding dots or @ included', () => {
    expect(parseClientWindow('annual-report=400d')).toEqual({ client: 'annual-report', window: '400d' });
    expect(parseClientWindow('app@zigong.gov.cn=12h')).toEqual({ client: 'app@zigong.gov.cn', window: '12h' });
    expect(['annual-report', '=30d', 'a=30', 'a=0d', 'a b=30d', 'a=30y'].map(parseClientWindow)).toEqual([null, null, null, null, null, null]);
  });
});

const change = { severity: 'BREAKING' as const, type: 'FIELD_REMOVED', coordinate: 'Village.generated', message: "Field 'generated' was removed from object type 'Village'" };
const check = (extra: Partial<CheckResult>): CheckResult => ({
  ok: true,
  unchanged: false,
  compositionErrors: [],
  contractBreaks: [],
  changes: [change],
  brokenOperations: [],
  operationsChecked: 4,
  usageBreaks: [],
  unusedBreakingChanges: [],
  appBreaks: [],
  ...extra,
});

describe('a check with usage, printed', () => {
  it('names the operations, clients, versions, counts and last use of each usage break, and each app break', () => {
    const text = formatCheck(
      'organization',
      'production',
      check({
        ok: false,
        usageBreaks: [{ change, operations: [operation('annual-report', '2026.1', 12), operation('dashboard', '3.2.0', 1)] }],
        appBreaks: [{ app: 'dashboard', version: '3.2.0', operationId: 'b'.repeat(64), operationName: 'VillagePage', message: 'Cannot query field "generated" on type "Village".' }],
      }),
    );
    expect(text).toBe(
      [
        'Check of organization against production: refused: publish would refuse it.',
        'Breaking changes (1):',
        "  - FIELD_REMOVED Village.generated: Field 'generated' was removed from object type 'Village'",
        'Registered operations: 4 checked, 0 would stop validating.',
        'Usage breaks: breaking changes to what clients used in the window; publish refuses them (1):',
        "  - FIELD_REMOVED Village.generated: Field 'generated' was removed from object type 'Village'",
        '    used 13 times by annual-report, dashboard:',
        '    operation      hash          client         version  requests  errors  last seen',
        '    -------------  ------------  -------------  -------  --------  ------  --------------------',
        '    VillageReport  3f2a9c1d0e4b  annual-report  2026.1         12       0  2026-12-07 04:31 UTC',
        '    VillageReport  3f2a9c1d0e4b  dashboard      3.2.0           1       0  2026-12-07 04:31 UTC',
        'App breaks: operations of active app versions that would stop validating; publish refuses them (1):',
        '  - dashboard 3.2.0: VillagePage (bbbbbbbbbbbb): Cannot query field "generated" on type "Village".',
        '',
      ].join('\n'),
    );
  });

  it('warns of breaking changes nobody used, in check and publish alike', () => {
    const unused = check({ unusedBreakingChanges: [change] });
    const warning = [
      'Warning: breaking changes no client used in the window (nor a registered operation or an active app); publish accepts them (1):',
      "  - FIELD_REMOVED Village.generated: Field 'generated' was removed from object type 'Village'",
    ].join('\n');
    expect(formatCheck('organization', 'production', unused)).toContain(`Check of organization against production: ok: publish would accept it.`);
    expect(formatCheck('organization', 'production', unused)).toContain(warning);
    const published: PublishResult = {
      outcome: 'PUBLISHED',
      version: { id: '9', variant: 'production', subgraph: 'organization', routingUrl: 'http://x/graphql', publisher: 'ci', commit: null, branch: null, createdAt: '2026-12-07T04:31:00Z', accepted: true },
      composition: { id: '12', variant: 'production', status: 'ACCEPTED', kind: 'PUBLISH', subgraph: 'organization', restoredFrom: null, hash: 'c'.repeat(64), errors: [], changes: [change], publisher: 'ci', createdAt: '2026-12-07T04:31:00Z', current: true },
      check: unused,
    };
    expect(formatPublish('organization', 'production', published)).toContain(warning);
  });
});

describe('a publish refused for its usage, printed', () => {
  const refusal = new RegistryError('USAGE_BROKEN', 'production: 1 breaking change clients used.', [
    {
      message: 'production: 1 breaking change clients used.',
      code: 'USAGE_BROKEN',
      extensions: { code: 'USAGE_BROKEN', usage: [{ change, operations: [operation('annual-report', '2026.1', 12)] }] },
    },
    {
      message: 'an app breaks',
      code: 'APP_BROKEN',
      extensions: { code: 'APP_BROKEN', apps: [{ app: 'dashboard', version: '3.2.0', operationId: 'b'.repeat(64), operationName: null, message: 'Cannot query field "generated".' }] },
    },
  ]);

  it('names the operations and clients of each break, and exits 1', () => {
    expect(formatFailure(refusal)).toBe(
      [
        'error [USAGE_BROKEN]: production: 1 breaking change clients used.',
        "  - FIELD_REMOVED Village.generated: Field 'generated' was removed from object type 'Village'",
        '    used 12 times by annual-report:',
        '    operation      hash          client         version  requests  errors  last seen',
        '    -------------  ------------  -------------  -------  --------  ------  --------------------',
        '    VillageReport  3f2a9c1d0e4b  annual-report  2026.1         12       0  2026-12-07 04:31 UTC',
        'error [APP_BROKEN]: an app breaks',
        '  - dashboard 3.2.0: (anonymous) (bbbbbbbbbbbb): Cannot query field "generated".',
        '',
      ].join('\n'),
    );
    expect(exitCodeFor(refusal)).toBe(EXIT.REFUSED);
    expect(exitCodeFor(new RegistryError('APP_BROKEN', 'x'))).toBe(EXIT.REFUSED);
    expect(exitCodeFor(new RegistryError('INVALID_INPUT', 'window'))).toBe(EXIT.USAGE);
  });
});
