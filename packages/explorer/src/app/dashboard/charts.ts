import { drawable, percent, tenThousands } from './decimal';
import type { RegionIncome, Trend } from './graph';
import type { RankedVillage } from './rank';

/**
 * ECharts options for the three charts, as plain data so they can be tested without a canvas.
 * Each data item carries its exact Decimal string next to the float the chart draws, and every
 * tooltip and label shows the string. Tooltips are HTML made only of classes (dashboard.css): the
 * page's Content-Security-Policy refuses inline style attributes, which ECharts' default
 * tooltip markup and series markers use.
 */

/** Series colours; dashboard.css gives the tooltip markers the same ones (.dash-marker-N). */
export const COLOURS = ['#b7312c', '#2f6fb0', '#d99a2b'] as const;
export const FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';

export interface ExactItem {
  value: number;
  /** What a person reads: the Decimal string as the graph sent it, or a percentage. */
  exact: string;
}

/** What ECharts hands an axis tooltip's formatter, as far as these charts use it. */
type TooltipParam = { dataIndex: number };

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function tooltipHtml(title: string, rows: Array<{ colour: number; label: string; value: string }>, note?: string): string {
  const lines = rows
    .map(
      (row) =>
        `<div class="dash-tip-row"><span class="dash-marker dash-marker-${row.colour}"></span>` +
        `<span class="dash-tip-label">${escapeHtml(row.label)}</span><span class="dash-tip-value">${escapeHtml(row.value)}</span></div>`,
    )
    .join('');
  return `<div class="dash-tip-title">${escapeHtml(title)}</div>${lines}${note ? `<div class="dash-tip-note">${escapeHtml(note)}</div>` : ''}`;
}

const item = (value: string): ExactItem => ({ value: drawable(value), exact: value });
const yuan = (exact: string) => `${exact} 元`;

const base = {
  animation: false,
  color: [...COLOURS],
  textStyle: { fontFamily: FONT },
  grid: { left: 16, right: 16, top: 56, bottom: 8, containLabel: true },
  legend: { top: 8 },
};

const axisTooltip = {
  trigger: 'axis',
  axisPointer: { type: 'shadow' },
  className: 'dash-tooltip',
  confine: true,
};

/** Bars of each district's and county's total (left axis) and average per village (right axis). */
export function districtIncomeOption(regions: RegionIncome[], year: number) {
  return {
    ...base,
    tooltip: {
      ...axisTooltip,
      formatter: (params: TooltipParam[]) => {
        const region = regions[params[0].dataIndex];
        const summary = region.collectiveIncomeSummary;
        return tooltipHtml(
          `${region.name}（${year}年）`,
          [
            { colour: 0, label: '收入总额', value: yuan(summary.total) },
            { colour: 1, label: '村均收入', value: yuan(summary.averagePerVillage) },
          ],
          `${summary.villageCount} 个村 · 村均同比 ${percent(summary.growthRate)}`,
        );
      },
    },
    xAxis: { type: 'category', data: regions.map((region) => region.name), axisTick: { alignWithLabel: true } },
    yAxis: [
      { type: 'value', name: '收入总额（元）', axisLabel: { formatter: tenThousands } },
      { type: 'value', name: '村均收入（元）', axisLabel: { formatter: tenThousands }, splitLine: { show: false } },
    ],
    series: [
      { name: '收入总额', type: 'bar', yAxisIndex: 0, data: regions.map((region) => item(region.collectiveIncomeSummary.total)) },
      { name: '村均收入', type: 'bar', yAxisIndex: 1, data: regions.map((region) => item(region.collectiveIncomeSummary.averagePerVillage)) },
    ],
  };
}

/** A district's total per year as bars (left axis), its average per village and the city's as lines (right axis). */
export function trendOption(trend: Trend) {
  const region = trend.region!;
  const years = region.years.map((entry) => `${entry.year}年`);
  const cityYears = trend.city?.years ?? [];
  return {
    ...base,
    tooltip: {
      ...axisTooltip,
      formatter: (params: TooltipParam[]) => {
        const index = params[0].dataIndex;
        const entry = region.years[index];
        const city = cityYears[index];
        return tooltipHtml(
          `${region.name} ${entry.year}年`,
          [
            { colour: 0, label: '收入总额', value: yuan(entry.total) },
            { colour: 1, label: '村均收入', value: yuan(entry.averagePerVillage) },
            ...(city ? [{ colour: 2, label: `${trend.city!.name}村均收入`, value: yuan(city.averagePerVillage) }] : []),
          ],
          `${entry.villageCount} 个村 · 村均同比 ${percent(entry.growthRate)}`,
        );
      },
    },
    xAxis: { type: 'category', data: years },
    yAxis: [
      { type: 'value', name: '收入总额（元）', axisLabel: { formatter: tenThousands } },
      { type: 'value', name: '村均收入（元）', axisLabel: { formatter: tenThousands }, splitLine: { show: false } },
    ],
    series: [
      {
        name: '收入总额',
        type: 'bar',
        yAxisIndex: 0,
        barMaxWidth: 112,
        label: { show: true, position: 'insideTop', color: '#fff', formatter: (p: { data: ExactItem }) => p.data.exact },
        data: region.years.map((entry) => item(entry.total)),
      },
      {
        name: '村均收入',
        type: 'line',
        yAxisIndex: 1,
        symbolSize: 9,
        label: { show: true, position: 'top', formatter: (p: { data: ExactItem }) => p.data.exact },
        data: region.years.map((entry) => item(entry.averagePerVillage)),
      },
      ...(trend.city
        ? [{ name: `${trend.city.name}村均收入`, type: 'line', yAxisIndex: 1, symbolSize: 7, lineStyle: { type: 'dashed' }, data: cityYears.map((entry) => item(entry.averagePerVillage)) }]
        : []),
    ],
  };
}

/** The top villages as horizontal bars, the first at the top, each labelled with its exact amount. */
export function rankingOption(villages: RankedVillage[], year: number) {
  const shown = [...villages].reverse();
  return {
    ...base,
    legend: { show: false },
    grid: { ...base.grid, top: 8, right: 96 },
    tooltip: {
      ...axisTooltip,
      formatter: (params: TooltipParam[]) => {
        const village = shown[params[0].dataIndex];
        return tooltipHtml(`第 ${village.rank} 名 ${village.name}`, [{ colour: 0, label: `${year}年收入`, value: yuan(village.amount) }], `${village.town} · 村编码 ${village.id}`);
      },
    },
    xAxis: { type: 'value', axisLabel: { formatter: tenThousands } },
    yAxis: { type: 'category', data: shown.map((village) => `${village.rank}. ${village.name}（${village.town}）`), axisTick: { show: false } },
    series: [
      {
        name: `${year}年收入`,
        type: 'bar',
        barMaxWidth: 18,
        label: { show: true, position: 'right', formatter: (p: { data: ExactItem }) => p.data.exact },
        data: shown.map((village) => item(village.amount)),
      },
    ],
  };
}
