import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { type ECharts, type EChartsCoreOption, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { districtIncomeOption, rankingOption, trendOption } from './charts';
import './dashboard.css';
import { percent } from './decimal';
import { GraphError, graphClient, LATEST_YEAR, loadOverview, loadTrend, loadVillages, type Overview, type RegionIncome, TOP_VILLAGES, TREND_YEARS } from './graph';
import { topVillages } from './rank';

// Only what the three charts draw, on canvas: no SVG renderer, no other chart types.
use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Child = Node | string | null | undefined | false;

/** Builds an element with attributes and text or element children; never parses HTML. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

function table(caption: string, headers: string[], rows: string[][], numeric: boolean[]): HTMLTableElement {
  return h(
    'table',
    { class: 'dash-table' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headers.map((header, i) => h('th', { scope: 'col', class: numeric[i] ? 'num' : '' }, header)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell, i) => h('td', { class: numeric[i] ? 'num' : '' }, cell))))),
  );
}

const root = document.getElementById('dashboard');
if (!root) throw new Error('The dashboard page has no #dashboard element to render into.');

const tokenInput = h('input', { id: 'dash-token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: '生产环境网关需要：粘贴 JWT' });
const status = h('p', { id: 'dash-status', class: 'dash-status', role: 'status', 'aria-live': 'polite' });
const kpis = h('section', { class: 'dash-kpis', 'aria-label': '全市概况' });
const districtSelect = h('select', { id: 'dash-district' });
const charts = {
  districts: h('div', { id: 'districts-chart', class: 'dash-chart', role: 'img', 'aria-label': `自贡市各区县${LATEST_YEAR}年集体经济收入柱状图` }),
  trend: h('div', { id: 'trend-chart', class: 'dash-chart dash-chart-tall', role: 'img', 'aria-label': '所选区县历年集体经济收入折线图' }),
  ranking: h('div', { id: 'ranking-chart', class: 'dash-chart dash-chart-tall', role: 'img', 'aria-label': `所选区县村集体经济收入前${TOP_VILLAGES}名条形图` }),
};
const tables = {
  districts: h('details', { class: 'dash-details' }, h('summary', {}, '数据表（精确金额）')),
  trend: h('details', { class: 'dash-details' }, h('summary', {}, '数据表（精确金额）')),
  ranking: h('details', { class: 'dash-details' }, h('summary', {}, '数据表（精确金额）')),
};
const trendTitle = h('h2', { id: 'trend-title' }, '区县集体经济收入变化');
const rankingTitle = h('h2', { id: 'ranking-title' }, `村集体经济收入前${TOP_VILLAGES}名`);
const rankingNote = h('p', { class: 'dash-note', id: 'ranking-note' });
const trendNote = h('p', { class: 'dash-note', id: 'trend-note' });

const form = h(
  'form',
  { class: 'dash-token', id: 'dash-token-form' },
  h('label', { for: 'dash-token' }, '访问令牌（可选）'),
  tokenInput,
  h('button', { type: 'submit', id: 'dash-refresh' }, '刷新'),
);

root.replaceChildren(
  h(
    'header',
    { class: 'dash-header' },
    h('div', {}, h('h1', {}, '自贡市村级集体经济收入看板'), h('p', { class: 'dash-lede' }, '数据经网关实时查询统一数据图谱；金额单位为元，提示框与数据表中为精确金额。')),
    form,
  ),
  status,
  kpis,
  h('section', { class: 'dash-card', id: 'districts' }, h('h2', {}, `自贡市各区县集体经济收入（${LATEST_YEAR}年）`), charts.districts, tables.districts),
  h('div', { class: 'dash-toolbar' }, h('label', { class: 'dash-select', for: 'dash-district' }, '选择区县', districtSelect), h('span', { class: 'dash-note' }, '下方两图随所选区县更新')),
  h(
    'div',
    { class: 'dash-row' },
    h(
      'section',
      { class: 'dash-card', id: 'trend' },
      trendTitle,
      trendNote,
      charts.trend,
      tables.trend,
    ),
    h('section', { class: 'dash-card', id: 'ranking' }, rankingTitle, rankingNote, charts.ranking, tables.ranking),
  ),
  h('footer', { class: 'dash-footer' }, '自贡市新型农村集体经济发展专班 · 数据来源：组织部、农业农村局、财政局、文旅局'),
);

const client = graphClient(() => tokenInput.value);
const instances = new Map<HTMLElement, ECharts>();

function draw(container: HTMLElement, option: EChartsCoreOption): void {
  let chart = instances.get(container);
  if (!chart) {
    chart = init(container, undefined, { renderer: 'canvas' });
    instances.set(container, chart);
  }
  chart.setOption(option, { notMerge: true });
  container.dataset.state = 'drawn';
}

function setDetails(details: HTMLDetailsElement, content: HTMLTableElement): void {
  details.replaceChildren(details.querySelector('summary')!, content);
}

function kpi(name: string, label: string, value: string, unit: string): HTMLElement {
  return h('div', { class: 'dash-kpi', 'data-kpi': name }, h('span', { class: 'dash-kpi-label' }, label), h('span', { class: 'dash-kpi-value' }, value), h('span', { class: 'dash-kpi-unit' }, unit));
}

function showOverview(overview: Overview): void {
  const city = overview.city;
  if (city) {
    const summary = city.collectiveIncomeSummary;
    kpis.replaceChildren(
      kpi('total', `${city.name}${LATEST_YEAR}年收入总额`, summary.total, '元'),
      kpi('average', '村均收入', summary.averagePerVillage, '元'),
      kpi('growth', '村均收入同比增长', percent(summary.growthRate), ''),
      kpi('villages', '统计村数', String(summary.villageCount), '个'),
    );
  }
  draw(charts.districts, districtIncomeOption(overview.regions, LATEST_YEAR));
  setDetails(
    tables.districts,
    table(
      `自贡市各区县集体经济收入（${LATEST_YEAR}年）`,
      ['区县', '村数', '收入总额（元）', '村均收入（元）', '村均同比'],
      overview.regions.map((region) => {
        const summary = region.collectiveIncomeSummary;
        return [region.name, String(summary.villageCount), summary.total, summary.averagePerVillage, percent(summary.growthRate)];
      }),
      [false, true, true, true, true],
    ),
  );
  const chosen = districtSelect.value;
  const group = (label: string, regions: RegionIncome[]) =>
    regions.length ? h('optgroup', { label }, ...regions.map((region) => h('option', { value: region.id }, region.name))) : null;
  districtSelect.replaceChildren(
    ...[group('区', overview.regions.filter((r) => r.level === 'DISTRICT')), group('县', overview.regions.filter((r) => r.level === 'COUNTY'))].filter(
      (node): node is HTMLOptGroupElement => node !== null,
    ),
  );
  if (overview.regions.some((region) => region.id === chosen)) districtSelect.value = chosen;
}

let districtRequest = 0;

/** Draws the trend and the ranking of one district; a later choice wins over a slower earlier one. */
async function showDistrict(regionId: string): Promise<void> {
  const request = ++districtRequest;
  for (const chart of [charts.trend, charts.ranking]) chart.dataset.state = 'loading';
  const [trend, villages] = await Promise.all([loadTrend(client, regionId), loadVillages(client, regionId, LATEST_YEAR)]);
  if (request !== districtRequest) return;
  if (!trend.region) throw new GraphError(`没有编码为 ${regionId} 的区县`, 'NOT_FOUND');
  const name = trend.region.name;
  trendTitle.textContent = `${name}集体经济收入变化（${TREND_YEARS[0]}—${TREND_YEARS[TREND_YEARS.length - 1]}年）`;
  const latest = trend.region.years[trend.region.years.length - 1];
  trendNote.textContent = `${latest.year}年：${latest.villageCount} 个村，收入总额 ${latest.total} 元，村均 ${latest.averagePerVillage} 元，村均同比 ${percent(latest.growthRate)}。`;
  draw(charts.trend, trendOption(trend));
  setDetails(
    tables.trend,
    table(
      `${name}历年集体经济收入`,
      ['年份', '村数', '收入总额（元）', '村均收入（元）', '村均同比', `${trend.city?.name ?? '全市'}村均收入（元）`],
      trend.region.years.map((entry, i) => [String(entry.year), String(entry.villageCount), entry.total, entry.averagePerVillage, percent(entry.growthRate), trend.city?.years[i]?.averagePerVillage ?? '—']),
      [false, true, true, true, true, true],
    ),
  );
  const top = topVillages(villages, TOP_VILLAGES);
  rankingTitle.textContent = `${name}村集体经济收入前${TOP_VILLAGES}名（${LATEST_YEAR}年）`;
  const unrecorded = villages.filter((village) => village.amount === null).length;
  rankingNote.textContent = `全${name.endsWith('县') ? '县' : '区'}共 ${villages.length} 个村，按${LATEST_YEAR}年收入从高到低排列${unrecorded ? `（${unrecorded} 个村无记录，未参与排名）` : ''}。`;
  draw(charts.ranking, rankingOption(top, LATEST_YEAR));
  setDetails(
    tables.ranking,
    table(`${name}村集体经济收入前${TOP_VILLAGES}名（${LATEST_YEAR}年）`, ['名次', '村', '镇', '村编码', '收入（元）'], top.map((v) => [String(v.rank), v.name, v.town, v.id, v.amount]), [true, false, false, false, true]),
  );
}

function describe(error: unknown): string {
  if (error instanceof GraphError) {
    if (error.code === 'UNAUTHENTICATED') return `需要有效的访问令牌：请在页面顶部的“访问令牌”中填写后点击“刷新”。（${error.message}）`;
    if (error.code === 'FORBIDDEN') return `该令牌无权读取这些数据。（${error.message}）`;
    return `加载失败：${error.message}${error.code ? `（${error.code}）` : ''}`;
  }
  return `加载失败：${error instanceof Error ? error.message : String(error)}`;
}

function settle(work: Promise<void>): Promise<void> {
  document.body.dataset.state = 'loading';
  status.classList.remove('dash-error');
  status.textContent = '正在加载…';
  return work.then(
    () => {
      document.body.dataset.state = 'ready';
      status.textContent = `已更新：${new Date().toLocaleTimeString('zh-CN', { hour12: false })}`;
    },
    (error: unknown) => {
      document.body.dataset.state = 'error';
      status.classList.add('dash-error');
      status.textContent = describe(error);
    },
  );
}

async function refresh(): Promise<void> {
  showOverview(await loadOverview(client, LATEST_YEAR));
  if (districtSelect.value) await showDistrict(districtSelect.value);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void settle(refresh());
});
districtSelect.addEventListener('change', () => void settle(showDistrict(districtSelect.value)));
window.addEventListener('resize', () => instances.forEach((chart) => chart.resize()));

void settle(refresh());
