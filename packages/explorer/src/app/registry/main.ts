import {
  type Composition,
  type CompositionSummary,
  loadComposition,
  loadDiff,
  loadHistory,
  loadSdl,
  loadSubgraph,
  loadVariantNames,
  loadVariants,
  RegistryError,
  registryClient,
  type SchemaChange,
  type SubgraphVersion,
  type Variant,
} from './api';
import { type Child, h, link } from './dom';
import {
  bySeverity,
  compositionOfVersion,
  describeChange,
  describeFailure,
  diffBases,
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

/** Changes listed breaking first, each with its severity as a word and a colour, never a colour alone. */
function changeList(changes: readonly SchemaChange[], empty: string): HTMLElement {
  if (changes.length === 0) return h('p', { class: 'reg-note reg-no-changes' }, empty);
  return h(
    'ul',
    { class: 'reg-changes' },
    bySeverity(changes).map((change) =>
      h(
        'li',
        { class: `reg-change reg-change-${change.severity.toLowerCase()}`, 'data-severity': change.severity },
        h('span', { class: 'reg-severity' }, SEVERITY_LABEL[change.severity]),
        change.coordinate ? h('code', { class: 'reg-coordinate' }, change.coordinate) : null,
        h('span', { class: 'reg-message' }, change.message),
        h('span', { class: 'reg-change-type' }, change.type),
      ),
    ),
  );
}

/** A list of changes under a summary line that says how many of each severity; folded when long and all safe. */
function changeBlock(heading: string, changes: readonly SchemaChange[], empty: string, className: string): HTMLElement {
  return h(
    'details',
    { class: `reg-change-block ${className}`, ...(opensByDefault(changes) ? { open: '' } : {}) },
    h('summary', {}, `${heading}: ${summarizeChanges(changes)}`),
    changeList(changes, empty),
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
      link(routeHref({ page: 'changelog', variant: variant.name }), 'changelog →', { class: 'reg-aside' }),
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
      ? h('section', { class: 'reg-api-changes' }, changeBlock('What its publish did to the API schema', composition.changes, 'The API schema did not change.', 'reg-api-change-list'))
      : null,
    sdl,
  );
}

async function changelog(variant: string): Promise<Child[]> {
  const history = await loadHistory(client, variant);
  return [
    h('p', { class: 'reg-crumbs' }, link('#/', 'Variants'), ' / ', variant),
    h('h2', { class: 'reg-title' }, `Changelog of ${variant}`),
    h('p', { class: 'reg-note' }, 'Newest first: publishes, deletes and rollbacks, refused attempts included. A refused attempt changed nothing gateways are served.'),
    history.length === 0 ? h('p', { class: 'reg-note' }, 'Nothing has been published to this variant yet.') : h('ol', { class: 'reg-changelog' }, history.map(changelogEntry)),
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
      ? errorList(composition.errors, 'Why it was refused')
      : changeBlock('API schema', composition.changes, 'The API schema did not change.', 'reg-entry-changes'),
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
    // A refused composition was never served, so it changed nothing to read here.
    refused ? null : h('section', { class: 'reg-card' }, changeBlock('API schema changes', composition.changes, 'The API schema did not change.', 'reg-composition-changes')),
    h(
      'section',
      { class: 'reg-card' },
      h('h3', {}, refused ? 'Subgraph versions it proposed (never served)' : 'Subgraph versions it was built from'),
      versionsTable(composition.variant, composition.subgraphs, `${refused ? 'Proposed for' : 'Composed in'} ${composition.variant}`),
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
    case 'not-found':
      return Promise.resolve([h('h2', { class: 'reg-title' }, 'No such page'), h('p', {}, `Nothing is at ${route.hash}. `, link('#/', 'Back to the variants.'))]);
  }
}

const TITLES: Record<Route['page'], string> = {
  overview: 'variants',
  subgraph: 'subgraph',
  changelog: 'changelog',
  composition: 'composition',
  'not-found': 'not found',
};

let shown = 0;

/** Draws the route in the hash; a later navigation wins over a slower earlier one. */
async function show(): Promise<void> {
  const request = ++shown;
  const route = parseRoute(location.hash);
  document.title = `Schema registry: ${route.page === 'subgraph' ? route.subgraph : route.page === 'changelog' ? `${route.variant} changelog` : TITLES[route.page]}`;
  document.body.dataset.state = 'loading';
  status.classList.remove('reg-error');
  status.textContent = 'Loading…';
  try {
    const content = await render(route);
    if (request !== shown) return;
    view.replaceChildren(...content.filter((child): child is Node | string => Boolean(child)));
    document.body.dataset.state = 'ready';
    status.textContent = `Updated ${formatTime(new Date().toISOString())}`;
  } catch (error) {
    if (request !== shown) return;
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
