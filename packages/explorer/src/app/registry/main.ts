import {
  type AppVersion,
  type AppVersionStatus,
  type ClientUsage,
  type Composition,
  type CompositionSummary,
  type CoordinateUsage,
  type Deprecation,
  loadApps,
  loadAppVersion,
  loadComposition,
  loadDeprecations,
  loadFieldUsage,
  loadDiff,
  loadHistory,
  loadSdl,
  loadSubgraph,
  loadVariantNames,
  loadVariants,
  type OperationUsage,
  RegistryError,
  registryClient,
  type SchemaChange,
  type SubgraphVersion,
  type UsageRules,
  type Variant,
} from './api';
import { type Child, h, link } from './dom';
import {
  APP_STATUSES,
  bySeverity,
  compositionOfVersion,
  DEFAULT_DEPRECATIONS_SINCE,
  DEFAULT_USAGE_SINCE,
  describeChange,
  describeFailure,
  diffBases,
  formatCount,
  formatTime,
  lastRefusal,
  opensByDefault,
  parseRoute,
  provenance,
  type Route,
  routeHref,
  shortHash,
  shortId,
  summarizeChanges,
  USAGE_SINCE,
  usageBreakView,
  usageTarget,
} from './format';
import './registry.css';

const root = document.getElementById('registry');
if (!root) throw new Error('The registry page has no #registry element to render into.');

/** The pasted token lives for this tab only: it is a credential, so it never reaches localStorage. */
const TOKEN_KEY = 'zigong.registry.token';
const storedToken = (): string => {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
};
const storeToken = (token: string): void => {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the field still holds the token for this page's requests.
  }
};

const tokenInput = h('input', { id: 'reg-token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'JWT with a registry scope (none in local mode)' });
tokenInput.value = storedToken();
const tokenForm = h(
  'form',
  { class: 'reg-token', id: 'reg-token-form' },
  h('label', { for: 'reg-token' }, 'Token'),
  tokenInput,
  h('button', { type: 'submit', id: 'reg-apply' }, 'Apply'),
  h('button', { type: 'button', id: 'reg-forget', class: 'reg-secondary' }, 'Forget'),
);
const nav = h('nav', { class: 'reg-nav', 'aria-label': 'Registry' });
const status = h('p', { id: 'reg-status', class: 'reg-status', role: 'status', 'aria-live': 'polite' });
const view = h('main', { id: 'reg-view' });

root.replaceChildren(
  h('header', { class: 'reg-header' }, h('div', {}, h('h1', {}, link('#/', 'Zigong schema registry')), nav), tokenForm),
  status,
  view,
  h('footer', { class: 'reg-footer' }, 'Read through this registry’s /graphql. Times are UTC.'),
);

const client = registryClient(() => tokenInput.value);

// ---- pieces shared by the views ----

function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `reg-badge reg-badge-${kind}` }, text);
}

function statusBadge(composition: Pick<CompositionSummary, 'status' | 'current'>): HTMLElement {
  if (composition.status === 'REFUSED') return badge('refused', 'refused');
  return composition.current ? badge('served now', 'current') : badge('accepted', 'accepted');
}

function field(label: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function time(iso: string): HTMLElement {
  return h('time', { datetime: iso, title: iso }, formatTime(iso));
}

function hashText(hash: string | null): HTMLElement {
  return h('code', { class: 'reg-hash', ...(hash ? { title: hash } : {}) }, shortHash(hash));
}

function compositionLink(id: string): HTMLAnchorElement {
  return link(routeHref({ page: 'composition', id }), shortId(id), { class: 'reg-id', title: id });
}

const SEVERITY_LABEL = { BREAKING: 'Breaking', DANGEROUS: 'Dangerous', SAFE: 'Safe' } as const;

/** A coordinate, linked to who uses it in the variant when a change to it breaks (API changes only). */
function coordinateOf(change: SchemaChange, usageVariant: string | undefined): Child {
  if (!change.coordinate) return null;
  const target = usageVariant && change.severity === 'BREAKING' ? usageTarget(change) : null;
  if (!target) return h('code', { class: 'reg-coordinate' }, change.coordinate);
  return link(routeHref({ page: 'usage', variant: usageVariant!, coordinate: target, since: DEFAULT_USAGE_SINCE }), change.coordinate, {
    class: 'reg-coordinate reg-usage-link',
    title: `Who uses ${target} in ${usageVariant}`,
  });
}

/**
 * Changes listed breaking first, each with its severity as a word and a colour, never a colour
 * alone. With `usageVariant` (a list of API changes), a breaking change's coordinate links to its usage.
 */
function changeList(changes: readonly SchemaChange[], empty: string, usageVariant?: string): HTMLElement {
  if (changes.length === 0) return h('p', { class: 'reg-note reg-no-changes' }, empty);
  return h(
    'ul',
    { class: 'reg-changes' },
    bySeverity(changes).map((change) =>
      h(
        'li',
        { class: `reg-change reg-change-${change.severity.toLowerCase()}`, 'data-severity': change.severity },
        h('span', { class: 'reg-severity' }, SEVERITY_LABEL[change.severity]),
        coordinateOf(change, usageVariant),
        h('span', { class: 'reg-message' }, change.message),
        h('span', { class: 'reg-change-type' }, change.type),
      ),
    ),
  );
}

/** A list of changes under a summary line that says how many of each severity; folded when long and all safe. */
function changeBlock(heading: string, changes: readonly SchemaChange[], empty: string, className: string, usageVariant?: string): HTMLElement {
  return h(
    'details',
    { class: `reg-change-block ${className}`, ...(opensByDefault(changes) ? { open: '' } : {}) },
    h('summary', {}, `${heading}: ${summarizeChanges(changes)}`),
    changeList(changes, empty, usageVariant),
  );
}

function errorList(errors: readonly string[], title: string): HTMLElement {
  return h('div', { class: 'reg-errors', role: 'group', 'aria-label': title }, h('h4', {}, title), h('ul', {}, errors.map((error) => h('li', {}, h('pre', {}, error)))));
}

function table(caption: string, headers: string[], rows: Child[][], attributes: Record<string, string> = {}): HTMLTableElement {
  return h(
    'table',
    { class: 'reg-table', ...attributes },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell))))),
  );
}

function versionsTable(variant: string, versions: readonly SubgraphVersion[], caption = `Subgraphs composed in ${variant}`): HTMLElement {
  if (versions.length === 0) return h('p', { class: 'reg-note' }, 'No subgraph is composed in this variant yet.');
  return table(
    caption,
    ['Subgraph', 'Version', 'Routing URL', 'Publisher', 'Commit', 'Published'],
    versions.map((version) => [
      link(routeHref({ page: 'subgraph', variant, subgraph: version.subgraph }), version.subgraph, { class: 'reg-subgraph-link' }),
      h('code', { title: version.id }, shortId(version.id)),
      h('code', {}, version.routingUrl),
      version.publisher,
      provenance(version),
      time(version.createdAt),
    ]),
    { 'data-variant': variant, class: 'reg-table reg-subgraphs' },
  );
}

/** The latest refused attempt, loud while nothing has been accepted since, quieter once superseded. */
function refusalBox(found: { refusal: CompositionSummary; superseded: boolean }): HTMLElement {
  const { refusal, superseded } = found;
  return h(
    'section',
    { class: `reg-refusal${superseded ? ' reg-refusal-superseded' : ''}`, 'data-composition': refusal.id },
    h('h3', {}, superseded ? 'Last refused attempt (an accepted change came after it)' : 'Last attempt was refused: gateways still get the composition above'),
    h('p', {}, `${describeChange(refusal)} by ${refusal.publisher}, `, time(refusal.createdAt), ' · ', compositionLink(refusal.id)),
    errorList(refusal.errors, 'Why it was refused'),
  );
}

// ---- the views ----

async function overview(): Promise<Child[]> {
  const variants = await loadVariants(client);
  const histories = await Promise.all(variants.map((variant) => loadHistory(client, variant.name, 20)));
  renderNav(variants.map((variant) => variant.name));
  return [
    h('h2', { class: 'reg-title' }, 'Variants and their subgraphs'),
    ...variants.map((variant, i) => variantCard(variant, histories[i])),
  ];
}

function variantCard(variant: Variant, history: CompositionSummary[]): HTMLElement {
  const current = variant.current;
  const refusal = lastRefusal(history);
  return h(
    'section',
    { class: 'reg-card reg-variant', 'data-variant': variant.name },
    h(
      'h2',
      {},
      variant.name,
      variant.contract ? badge('contract', 'contract') : null,
      h(
        'span',
        { class: 'reg-aside reg-variant-links' },
        link(routeHref({ page: 'changelog', variant: variant.name }), 'changelog →', { class: 'reg-changelog-link' }),
        ' ',
        link(routeHref({ page: 'usage', variant: variant.name, coordinate: null, since: DEFAULT_USAGE_SINCE }), 'usage →', { class: 'reg-usage-page-link' }),
        ' ',
        link(routeHref({ page: 'deprecations', variant: variant.name, since: DEFAULT_DEPRECATIONS_SINCE }), 'deprecations →', { class: 'reg-deprecations-link' }),
        ' ',
        link(routeHref({ page: 'apps', variant: variant.name, status: null }), 'apps →', { class: 'reg-apps-link' }),
      ),
    ),
    current
      ? h(
          'dl',
          { class: 'reg-facts reg-current' },
          field('Current composition', compositionLink(current.id)),
          field('Supergraph hash', hashText(current.hash)),
          field('Composed', time(current.createdAt)),
          field('By', current.publisher),
          field('Change', describeChange(current)),
        )
      : h('p', { class: 'reg-note' }, 'Nothing composed yet: the first accepted publish composes this variant.'),
    current && current.errors.length ? errorList(current.errors, 'Errors of the current composition') : null,
    refusal ? refusalBox(refusal) : null,
    versionsTable(variant.name, variant.subgraphs),
  );
}

async function subgraphView(variant: string, subgraph: string): Promise<Child[]> {
  const { served, versions, compositions } = await loadSubgraph(client, variant, subgraph);
  const bases = diffBases(versions);
  // Each version against the one it replaced; the registry computes the diff, the page only lists it.
  const diffs = await Promise.all(versions.map((version) => {
    const base = bases.get(version.id);
    return base ? loadDiff(client, base, version.id) : Promise.resolve(null);
  }));
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant),
    h('h2', { class: 'reg-title' }, `${subgraph} in ${variant}`, link(routeHref({ page: 'changelog', variant }), 'changelog →', { class: 'reg-aside' })),
    versions.length === 0
      ? h('p', { class: 'reg-note' }, `No version of ${subgraph} has been published to ${variant}.`)
      : h('ol', { class: 'reg-versions' }, versions.map((version, i) => versionItem(version, served.has(version.id), bases.get(version.id) ?? null, diffs[i], compositionOfVersion(version.id, compositions)))),
  ];
}

function versionItem(version: SubgraphVersion, served: boolean, base: string | null, diff: SchemaChange[] | null, composition: CompositionSummary | undefined): HTMLElement {
  const sdl = h('details', { class: 'reg-sdl' }, h('summary', {}, 'SDL'));
  sdl.addEventListener(
    'toggle',
    () => {
      if (!sdl.open || sdl.dataset.loaded) return;
      sdl.dataset.loaded = 'loading';
      loadSdl(client, version.id).then(
        (text) => {
          sdl.dataset.loaded = 'yes';
          sdl.append(h('pre', { class: 'reg-code' }, text ?? '(the registry no longer has this version)'));
        },
        (error: unknown) => {
          delete sdl.dataset.loaded;
          sdl.append(h('p', { class: 'reg-error-inline' }, failureText(error)));
        },
      );
    },
  );
  return h(
    'li',
    { class: `reg-card reg-version${version.accepted ? '' : ' reg-version-refused'}`, 'data-version': version.id, 'data-accepted': String(version.accepted) },
    h(
      'h3',
      {},
      `Version ${shortId(version.id)}`,
      version.accepted ? (served ? badge('served now', 'current') : badge('accepted', 'accepted')) : badge('refused', 'refused'),
    ),
    h(
      'dl',
      { class: 'reg-facts' },
      field('Published', time(version.createdAt)),
      field('By', version.publisher),
      field('Source', provenance(version)),
      field('Routing URL', h('code', {}, version.routingUrl)),
      composition ? field('Its publish', compositionLink(composition.id)) : [],
    ),
    composition && composition.status === 'REFUSED' ? errorList(composition.errors, 'Why it was refused') : null,
    h(
      'section',
      { class: 'reg-diff', 'data-diff-base': base ?? '' },
      base && diff
        ? changeBlock(`Subgraph schema diff against version ${shortId(base)}`, diff, 'Same schema as that version (only the routing URL, or nothing, changed).', 'reg-diff-changes')
        : h('p', { class: 'reg-note' }, 'First version: nothing to diff against.'),
    ),
    composition && composition.status === 'ACCEPTED'
      ? h('section', { class: 'reg-api-changes' }, changeBlock('What its publish did to the API schema', composition.changes, 'The API schema did not change.', 'reg-api-change-list', version.variant))
      : null,
    sdl,
  );
}

async function changelog(variant: string): Promise<Child[]> {
  const history = await loadHistory(client, variant);
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant),
    h('h2', { class: 'reg-title' }, `Changelog of ${variant}`, variantLinks(variant, 'changelog')),
    h('p', { class: 'reg-note' }, 'Newest first: publishes, deletes and rollbacks, refused attempts included. A refused attempt changed nothing gateways are served.'),
    history.length === 0
      ? h('p', { class: 'reg-note' }, 'Nothing has been published to this variant yet.')
      : h('ol', { class: 'reg-changelog' }, history.map(changelogEntry)),
  ];
}

function changelogEntry(composition: CompositionSummary): HTMLElement {
  const refused = composition.status === 'REFUSED';
  return h(
    'li',
    { class: `reg-card reg-entry${refused ? ' reg-entry-refused' : ''}`, 'data-composition': composition.id, 'data-status': composition.status, 'data-kind': composition.kind },
    h(
      'h3',
      {},
      time(composition.createdAt),
      ' ',
      h('span', { class: 'reg-entry-what' }, describeChange(composition)),
      statusBadge(composition),
      h('span', { class: 'reg-aside' }, 'by ', composition.publisher, ' · ', compositionLink(composition.id), ' · ', hashText(composition.hash)),
    ),
    refused
      ? [errorList(composition.errors, 'Why it was refused'), usageBreaksBox(composition)]
      : changeBlock('API schema', composition.changes, 'The API schema did not change.', 'reg-entry-changes', composition.variant),
  );
}

async function compositionView(id: string): Promise<Child[]> {
  const composition: Composition | null = await loadComposition(client, id);
  if (!composition) return [h('h2', { class: 'reg-title' }, 'No such composition'), h('p', { class: 'reg-note' }, `The registry has no composition ${id}.`)];
  const refused = composition.status === 'REFUSED';
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', link(routeHref({ page: 'changelog', variant: composition.variant }), composition.variant), ' / composition'),
    h('h2', { class: 'reg-title' }, `Composition ${shortId(composition.id)}`, statusBadge(composition)),
    h(
      'dl',
      { class: 'reg-facts reg-card' },
      field('Id', h('code', {}, composition.id)),
      field('Change', describeChange(composition)),
      composition.restoredFrom ? field('Restored from', compositionLink(composition.restoredFrom)) : [],
      field('Supergraph hash', hashText(composition.hash)),
      field('Composed', time(composition.createdAt)),
      field('By', composition.publisher),
    ),
    composition.errors.length ? h('section', { class: 'reg-refusal' }, errorList(composition.errors, refused ? 'Why it was refused' : 'Errors')) : null,
    usageBreaksBox(composition),
    // A refused composition was never served, so it changed nothing to read here.
    refused ? null : h('section', { class: 'reg-card' }, changeBlock('API schema changes', composition.changes, 'The API schema did not change.', 'reg-composition-changes', composition.variant)),
    h(
      'section',
      { class: 'reg-card' },
      h('h3', {}, refused ? 'Subgraph versions it proposed (never served)' : 'Subgraph versions it was built from'),
      versionsTable(composition.variant, composition.subgraphs, `${refused ? 'Proposed for' : 'Composed in'} ${composition.variant}`),
    ),
  ];
}

// ---- usage ----

/** The variant's other pages, beside a view's title. */
function variantLinks(variant: string, here: 'changelog' | 'usage' | 'deprecations' | 'apps' | null): HTMLElement {
  const pages: Array<[typeof here, string, string]> = [
    ['changelog', routeHref({ page: 'changelog', variant }), 'changelog'],
    ['usage', routeHref({ page: 'usage', variant, coordinate: null, since: DEFAULT_USAGE_SINCE }), 'usage'],
    ['deprecations', routeHref({ page: 'deprecations', variant, since: DEFAULT_DEPRECATIONS_SINCE }), 'deprecations'],
    ['apps', routeHref({ page: 'apps', variant, status: null }), 'apps'],
  ];
  const others = pages.filter(([page]) => page !== here);
  return h('span', { class: 'reg-aside reg-variant-links' }, others.flatMap(([, href, text], i) => [i ? ' ' : '', link(href, `${text} →`)]));
}

const versionText = (version: string) => version || '—';

function clientsTable(clients: readonly ClientUsage[], caption: string): HTMLElement {
  return table(
    caption,
    ['Client', 'Version', 'Requests', 'Last seen'],
    clients.map((c) => [h('span', { class: 'reg-client' }, c.client), versionText(c.clientVersion), h('span', { class: 'reg-count' }, formatCount(c.count)), time(c.lastSeen)]),
    { class: 'reg-table reg-usage-clients' },
  );
}

function operationsTable(operations: readonly OperationUsage[], caption: string): HTMLElement {
  return table(
    caption,
    ['Operation', 'Hash', 'Client', 'Version', 'Requests', 'Errors', 'First seen', 'Last seen'],
    operations.map((o) => [
      h('span', { class: 'reg-operation', title: o.signature }, o.operationName ?? '(anonymous)'),
      hashText(o.operationHash),
      h('span', { class: 'reg-client' }, o.client),
      versionText(o.clientVersion),
      h('span', { class: 'reg-count' }, formatCount(o.count)),
      h('span', { class: 'reg-count' }, formatCount(o.errors)),
      time(o.firstSeen),
      time(o.lastSeen),
    ]),
    { class: 'reg-table reg-usage-operations' },
  );
}

function rulesText(rules: UsageRules): string {
  const own = rules.clientWindows.map((entry) => `${entry.client} ${entry.window}`);
  const excluded = rules.excludedClients.length ? `; excluded: ${rules.excludedClients.join(', ')}` : '';
  const minimum = rules.minCount > 1 ? `; at least ${formatCount(rules.minCount)} requests` : '';
  return `window ${rules.window}${own.length ? ` (${own.join(', ')})` : ''}${excluded}${minimum}`;
}

/** A refused change's usage breaks, as the registry judged them when it refused: the clients and operations named. */
function usageBreaksBox(composition: CompositionSummary): HTMLElement | null {
  const refusal = composition.refusal;
  if (!refusal?.usageBreaks.length || !refusal.usageRules) return null;
  const rules = refusal.usageRules;
  const breaks = refusal.usageBreaks.map(usageBreakView);
  return h(
    'section',
    { class: 'reg-usage-breaks', role: 'group', 'aria-label': 'Usage breaks' },
    h('h4', {}, `Clients that used what it would break (${breaks.length} breaking change${breaks.length === 1 ? '' : 's'})`),
    h('p', { class: 'reg-note' }, `As judged when it was refused, ${formatTime(composition.createdAt)}, under ${composition.variant}'s usage rules then (${rulesText(rules)}). Today's use is on each coordinate's page.`),
    breaks.map((b) =>
      h(
        'div',
        { class: 'reg-usage-break', 'data-coordinate': b.target },
        h(
          'p',
          {},
          link(routeHref({ page: 'usage', variant: composition.variant, coordinate: b.target, since: rules.window }), b.target, { class: 'reg-coordinate reg-usage-link' }),
          ' ',
          h('span', { class: 'reg-message' }, b.change.message),
          ' ',
          h('strong', { class: 'reg-usage-clients-named' }, `used ${formatCount(b.total)} time${b.total === 1 ? '' : 's'} by ${b.clients.join(', ')}`),
        ),
        operationsTable(b.operations, `Operations ${b.change.type} ${b.target} would break`),
      ),
    ),
  );
}

/** The since selector: the usual windows, and the one in the link when it is another. */
function sinceSelect(id: string, since: string): HTMLSelectElement {
  const choices: string[] = USAGE_SINCE.includes(since as (typeof USAGE_SINCE)[number]) ? [...USAGE_SINCE] : [...USAGE_SINCE, since];
  const select = h('select', { id, name: 'since' }, choices.map((choice) => h('option', { value: choice, ...(choice === since ? { selected: '' } : {}) }, `last ${choice}`)));
  select.value = since;
  return select;
}

function usageSummary(usage: CoordinateUsage, variant: string, since: string): HTMLElement {
  if (!usage.total) {
    return h('p', { class: 'reg-usage-summary reg-usage-unused', 'data-total': '0' }, h('code', {}, usage.coordinate), ` is unused in ${variant} since `, time(usage.since), ` (${since}): no client request touched it.`);
  }
  return h(
    'p',
    { class: 'reg-usage-summary', 'data-total': String(usage.total) },
    h('code', {}, usage.coordinate),
    ': ',
    h('strong', { class: 'reg-usage-total' }, `${formatCount(usage.total)} request${usage.total === 1 ? '' : 's'}`),
    ` in ${variant} since `,
    time(usage.since),
    ` (${since}), last seen `,
    usage.lastSeen ? time(usage.lastSeen) : '—',
    '.',
  );
}

async function usageView(variant: string, coordinate: string | null, since: string): Promise<Child[]> {
  const input = h('input', {
    id: 'reg-usage-coordinate',
    name: 'coordinate',
    type: 'text',
    required: '',
    spellcheck: 'false',
    autocomplete: 'off',
    pattern: '[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*){0,2}',
    title: 'A schema coordinate: Type, Type.field, Type.field.argument, Input.field or Enum.VALUE',
    placeholder: 'Village.name',
  });
  input.value = coordinate ?? '';
  const select = sinceSelect('reg-usage-since', since);
  const form = h(
    'form',
    { class: 'reg-usage-form reg-card', id: 'reg-usage-form' },
    h('label', { for: 'reg-usage-coordinate' }, 'Coordinate'),
    input,
    h('label', { for: 'reg-usage-since' }, 'Since'),
    select,
    h('button', { type: 'submit', id: 'reg-usage-show' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = routeHref({ page: 'usage', variant, coordinate: input.value.trim(), since: select.value });
    // The same question again asks the registry again (the hash, unchanged, fires no hashchange).
    if (location.hash === next) void show();
    else location.hash = next;
  });
  const head = [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant, ' / usage'),
    h('h2', { class: 'reg-title' }, `Usage in ${variant}`, variantLinks(variant, 'usage')),
    form,
  ];
  if (!coordinate) {
    return [...head, h('p', { class: 'reg-note' }, 'Who used a type, field, argument, input field or enum value, as the gateways report it: each client version and each operation. Type a coordinate, e.g. Village.name.')];
  }
  const usage = await loadFieldUsage(client, variant, coordinate, since);
  return [
    ...head,
    h(
      'section',
      { class: 'reg-card reg-usage', 'data-coordinate': usage.coordinate },
      usageSummary(usage, variant, since),
      usage.total ? [clientsTable(usage.clients, `Client versions that used ${usage.coordinate}`), operationsTable(usage.operations, `Operations that used ${usage.coordinate}`)] : null,
    ),
  ];
}

async function deprecationsView(variant: string, since: string): Promise<Child[]> {
  const select = sinceSelect('reg-deprecations-since', since);
  select.addEventListener('change', () => (location.hash = routeHref({ page: 'deprecations', variant, since: select.value })));
  const list: Deprecation[] = await loadDeprecations(client, variant, since);
  const used = list.filter((deprecation) => deprecation.usage.total > 0).length;
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant, ' / deprecations'),
    h('h2', { class: 'reg-title' }, `Deprecations in ${variant}`, variantLinks(variant, 'deprecations')),
    h('form', { class: 'reg-usage-form reg-card', id: 'reg-deprecations-form' }, h('label', { for: 'reg-deprecations-since' }, 'Use since'), select),
    list.length === 0
      ? h('p', { class: 'reg-note reg-no-deprecations' }, `Nothing is deprecated in ${variant}'s API schema.`)
      : h('p', { class: 'reg-note reg-deprecations-summary' }, `${list.length} deprecated coordinate${list.length === 1 ? '' : 's'}; ${used} still used in the last ${since}. A deprecated coordinate nobody uses can be removed without breaking a client.`),
    list.length ? h('ol', { class: 'reg-deprecations' }, list.map((deprecation) => deprecationItem(variant, since, deprecation))) : null,
  ];
}

function deprecationItem(variant: string, since: string, deprecation: Deprecation): HTMLElement {
  const { usage } = deprecation;
  return h(
    'li',
    { class: 'reg-card reg-deprecation', 'data-coordinate': deprecation.coordinate, 'data-total': String(usage.total) },
    h(
      'h3',
      {},
      link(routeHref({ page: 'usage', variant, coordinate: deprecation.coordinate, since }), deprecation.coordinate, { class: 'reg-coordinate reg-usage-link' }),
      usage.total ? badge(`${formatCount(usage.total)} request${usage.total === 1 ? '' : 's'}`, 'used') : badge('unused', 'unused'),
    ),
    h('p', { class: 'reg-deprecation-reason' }, deprecation.reason ? `Reason: ${deprecation.reason}` : 'No reason given.'),
    usage.total
      ? [h('p', { class: 'reg-note' }, 'Last seen ', usage.lastSeen ? time(usage.lastSeen) : '—', '. Still used by:'), clientsTable(usage.clients, `Client versions still using ${deprecation.coordinate}`)]
      : h('p', { class: 'reg-note' }, `No client used it in the last ${since}.`),
  );
}

// ---- app manifests ----

const APP_STATUS_LABEL: Record<AppVersionStatus, string> = { PENDING: 'pending', ACTIVE: 'active', RETIRED: 'retired' };

/** An app version's status as a word and a colour, never a colour alone. */
function appStatusBadge(status: AppVersionStatus): HTMLElement {
  return h('span', { class: `reg-badge reg-app-status reg-app-status-${status.toLowerCase()}`, 'data-status': status }, APP_STATUS_LABEL[status]);
}

const maybeTime = (iso: string | null): Child => (iso ? time(iso) : '—');

async function appsView(variant: string, status: AppVersionStatus | null): Promise<Child[]> {
  const select = h(
    'select',
    { id: 'reg-apps-status', name: 'status' },
    h('option', { value: '', ...(status ? {} : { selected: '' }) }, 'every status'),
    APP_STATUSES.map((choice) => h('option', { value: choice, ...(choice === status ? { selected: '' } : {}) }, APP_STATUS_LABEL[choice])),
  );
  select.value = status ?? '';
  select.addEventListener('change', () => (location.hash = routeHref({ page: 'apps', variant, status: (select.value || null) as AppVersionStatus | null })));
  const apps = await loadApps(client, variant, status);
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant, ' / apps'),
    h('h2', { class: 'reg-title' }, `Apps in ${variant}`, variantLinks(variant, 'apps')),
    h('form', { class: 'reg-usage-form reg-card', id: 'reg-apps-form' }, h('label', { for: 'reg-apps-status' }, 'Status'), select),
    h(
      'p',
      { class: 'reg-note' },
      'The persisted operations of each release of a front-end, newest first. Gateways that enforce trusted documents accept the operations of active versions only; a pending version waits to be activated, a retired one is never active again.',
    ),
    apps.length === 0
      ? h('p', { class: 'reg-note reg-no-apps' }, status ? `No app version of ${variant} is ${APP_STATUS_LABEL[status]}.` : `No app manifest has been published to ${variant} yet.`)
      : table(
          status ? `${APP_STATUS_LABEL[status][0].toUpperCase()}${APP_STATUS_LABEL[status].slice(1)} app versions of ${variant}` : `App versions of ${variant}`,
          ['App', 'Version', 'Status', 'Publisher', 'Published', 'Activated', 'Retired', 'Operations'],
          apps.map((app) => [
            h('span', { class: 'reg-app' }, app.app),
            link(routeHref({ page: 'app-version', variant, app: app.app, version: app.version }), app.version, { class: 'reg-app-version-link', title: `The operations of ${app.app} ${app.version}` }),
            appStatusBadge(app.status),
            app.publisher,
            time(app.createdAt),
            maybeTime(app.activatedAt),
            maybeTime(app.retiredAt),
            h('span', { class: 'reg-count' }, formatCount(app.operations.length)),
          ]),
          { class: 'reg-table reg-apps', 'data-variant': variant },
        ),
  ];
}

async function appVersionView(variant: string, app: string, version: string): Promise<Child[]> {
  const found: AppVersion | null = await loadAppVersion(client, variant, app, version);
  const head = [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant, ' / ', link(routeHref({ page: 'apps', variant, status: null }), 'apps'), ' / ', app),
    h('h2', { class: 'reg-title' }, `${app} ${version} in ${variant}`, found ? appStatusBadge(found.status) : null, variantLinks(variant, null)),
  ];
  if (!found) return [...head, h('p', { class: 'reg-note reg-no-apps' }, `${variant} has no version ${version} of ${app}.`)];
  const count = found.operations.length;
  return [
    ...head,
    h(
      'section',
      { class: 'reg-card reg-app-version', 'data-app': found.app, 'data-version': found.version, 'data-status': found.status },
      h(
        'dl',
        { class: 'reg-facts' },
        field('Status', appStatusBadge(found.status)),
        field('Publisher', found.publisher),
        field('Published', time(found.createdAt)),
        field('Activated', maybeTime(found.activatedAt)),
        field('Retired', maybeTime(found.retiredAt)),
        field('Operations', formatCount(count)),
      ),
    ),
    count === 0
      ? h('p', { class: 'reg-note' }, 'This version has no operations.')
      : h(
          'ol',
          { class: 'reg-app-operations' },
          found.operations.map((operation) =>
            h(
              'li',
              { class: 'reg-card reg-app-operation', 'data-operation': operation.id },
              h('h3', {}, h('code', { class: 'reg-hash', title: operation.id }, shortHash(operation.id)), ' ', h('span', { class: 'reg-operation' }, operation.name ?? '(anonymous)')),
              h('details', { class: 'reg-app-body' }, h('summary', {}, 'Body'), h('pre', { class: 'reg-code' }, operation.body)),
            ),
          ),
        ),
  ];
}

// ---- routing and state ----

function failureText(error: unknown): string {
  if (error instanceof RegistryError) return describeFailure(error);
  return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
}

function render(route: Route): Promise<Child[]> {
  switch (route.page) {
    case 'overview':
      return overview();
    case 'subgraph':
      return subgraphView(route.variant, route.subgraph);
    case 'changelog':
      return changelog(route.variant);
    case 'composition':
      return compositionView(route.id);
    case 'usage':
      return usageView(route.variant, route.coordinate, route.since);
    case 'deprecations':
      return deprecationsView(route.variant, route.since);
    case 'apps':
      return appsView(route.variant, route.status);
    case 'app-version':
      return appVersionView(route.variant, route.app, route.version);
    case 'not-found':
      return Promise.resolve([h('h2', { class: 'reg-title' }, 'No such page'), h('p', {}, `Nothing is at ${route.hash}. `, link('#/', 'Back to the variants.'))]);
  }
}

const TITLES: Record<Route['page'], string> = {
  overview: 'variants',
  subgraph: 'subgraph',
  changelog: 'changelog',
  composition: 'composition',
  usage: 'usage',
  deprecations: 'deprecations',
  apps: 'apps',
  'app-version': 'app version',
  'not-found': 'not found',
};

function pageTitle(route: Route): string {
  switch (route.page) {
    case 'subgraph':
      return route.subgraph;
    case 'changelog':
      return `${route.variant} changelog`;
    case 'usage':
      return route.coordinate ? `usage of ${route.coordinate}` : `${route.variant} usage`;
    case 'deprecations':
      return `${route.variant} deprecations`;
    case 'apps':
      return `${route.variant} apps`;
    case 'app-version':
      return `${route.app} ${route.version}`;
    default:
      return TITLES[route.page];
  }
}

let shown = 0;

/** Draws the route in the hash; a later navigation wins over a slower earlier one. */
async function show(): Promise<void> {
  const request = ++shown;
  const hash = location.hash;
  const route = parseRoute(hash);
  document.title = `Schema registry: ${pageTitle(route)}`;
  document.body.dataset.state = 'loading';
  status.classList.remove('reg-error');
  status.textContent = 'Loading…';
  try {
    const content = await render(route);
    if (request !== shown) return;
    view.replaceChildren(...content.filter((child): child is Node | string => Boolean(child)));
    // Which address the state speaks of: a reader (or a test) that just navigated waits for its own.
    document.body.dataset.shown = hash;
    document.body.dataset.state = 'ready';
    status.textContent = `Updated ${formatTime(new Date().toISOString())}`;
  } catch (error) {
    if (request !== shown) return;
    document.body.dataset.shown = hash;
    document.body.dataset.state = 'error';
    status.classList.add('reg-error');
    status.textContent = failureText(error);
  }
}

/** The variants' changelogs, once the overview has said which variants this registry has (REGISTRY_VARIANTS). */
function renderNav(variants: readonly string[]): void {
  nav.replaceChildren(link('#/', 'Variants'), ...variants.flatMap((variant) => [' · ', link(routeHref({ page: 'changelog', variant }), `${variant} changelog`)]));
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  storeToken(tokenInput.value.trim());
  void show();
});
tokenForm.querySelector('#reg-forget')!.addEventListener('click', () => {
  tokenInput.value = '';
  storeToken('');
  void show();
});
window.addEventListener('hashchange', () => void show());

renderNav([]);
void show();
// Any other first page still links every variant's changelog; if this fails, the view says why.
if (parseRoute(location.hash).page !== 'overview') loadVariantNames(client).then(renderNav, () => undefined);
