import { PanelBuilder as BarGaugeBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  BigValueGraphMode,
  type DataSourceRef,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugeBuilder } from '@grafana/grafana-foundation-sdk/gauge';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { prometheus } from './datasources.js';

/** A PromQL expression and the legend of its series. */
export interface Expr {
  expr: string;
  legend?: string;
}

/** Where a panel goes: its width in grid columns (of 24) and height in rows. */
export interface Size {
  w: number;
  h: number;
}

/** A panel's queries: one expression alone, or several each with its legend. */
export type Exprs = string | Expr[];

const refIds = 'ABCDEFGHIJ';

/**
 * One query per expression: `range` for graphs (one point per step), `instant` for
 * stats, gauges and bars (one value per series at the range's end), `table` the same
 * as rows for tables.
 */
function queries(exprs: Exprs, kind: 'range' | 'instant' | 'table'): DataqueryBuilder[] {
  const list = typeof exprs === 'string' ? [{ expr: exprs }] : exprs;
  return list.map((e, i) => {
    const q = new DataqueryBuilder()
      .datasource(prometheus)
      .refId(refIds[i]!)
      .expr(e.expr)
      .legendFormat(e.legend ?? '__auto');
    if (kind === 'range') return q.range();
    return q
      .format(kind === 'table' ? PromQueryFormat.Table : PromQueryFormat.TimeSeries)
      .instant();
  });
}

const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

const green = (): Threshold => ({ value: null, color: 'green' });

function thresholds(steps: Threshold[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** The builder calls every Prometheus panel kind shares. */
interface PromPanelBuilder {
  title(title: string): this;
  description(description: string): this;
  datasource(ref: DataSourceRef): this;
  targets(targets: DataqueryBuilder[]): this;
  unit(unit: string): this;
  span(w: number): this;
  height(h: number): this;
}

/** What every Prometheus panel is given, whatever its kind. */
interface PromPanel {
  title: string;
  description: string;
  exprs: Exprs;
  unit: string;
  size: Size;
}

/**
 * A panel of any kind over Prometheus: the shared fields are set around `kind`, which
 * sets what only that kind has (the order of the calls is the order of the JSON's keys).
 */
function promPanel<B extends PromPanelBuilder>(
  builder: B,
  p: PromPanel,
  query: 'range' | 'instant' | 'table',
  kind: (b: B) => B,
): B {
  const head = builder
    .title(p.title)
    .description(p.description)
    .datasource(prometheus)
    .targets(queries(p.exprs, query))
    .unit(p.unit);
  return kind(head).span(p.size.w).height(p.size.h);
}

/** A single number: the sum of the range, a ratio, a count. */
export function stat(
  title: string,
  description: string,
  exprs: Exprs,
  unit: string,
  size: Size = { w: 6, h: 4 },
): StatBuilder {
  return promPanel(new StatBuilder(), { title, description, exprs, unit, size }, 'instant', (b) =>
    b
      .decimals(unit === 'currencyUSD' ? 2 : 0)
      .graphMode(BigValueGraphMode.None)
      .reduceOptions(lastValue())
      .thresholds(thresholds([green()])),
  );
}

/** Lines over time, stacked when the parts add up to a whole (spend by model). */
export function timeseries(
  title: string,
  description: string,
  exprs: Exprs,
  unit: string,
  opts: { stacked?: boolean; size?: Size } = {},
): TimeseriesBuilder {
  const size = opts.size ?? { w: 12, h: 8 };
  return promPanel(
    new TimeseriesBuilder(),
    { title, description, exprs, unit, size },
    'range',
    (b) =>
      b
        .min(0)
        .fillOpacity(opts.stacked ? 30 : 10)
        .stacking(
          new StackingConfigBuilder().mode(opts.stacked ? StackingMode.Normal : StackingMode.None),
        )
        .legend(
          new VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(LegendDisplayMode.Table)
            .placement(LegendPlacement.Right)
            .calcs(['lastNotNull', 'max']),
        )
        .tooltip(
          new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending),
        ),
  );
}

/** Horizontal bars, one per series, largest first: the range's total by model or project. */
export function bars(
  title: string,
  description: string,
  exprs: Exprs,
  unit: string,
  size: Size = { w: 8, h: 8 },
): BarGaugeBuilder {
  return promPanel(
    new BarGaugeBuilder(),
    { title, description, exprs, unit, size },
    'instant',
    (b) =>
      b
        .min(0)
        .displayMode(BarGaugeDisplayMode.Gradient)
        .orientation(VizOrientation.Horizontal)
        .showUnfilled(true)
        .reduceOptions(lastValue())
        .thresholds(thresholds([{ value: null, color: 'blue' }])),
  );
}

/** A dial from 0 to 100 percent, yellow from `warn`, red from 100. */
export function percentGauge(
  title: string,
  description: string,
  exprs: Exprs,
  warn: number,
  size: Size = { w: 6, h: 7 },
): GaugeBuilder {
  return promPanel(
    new GaugeBuilder(),
    { title, description, exprs, unit: 'percent', size },
    'instant',
    (b) =>
      b
        .min(0)
        .max(100)
        .decimals(1)
        .reduceOptions(lastValue())
        .showThresholdMarkers(true)
        .thresholds(
          thresholds([green(), { value: warn, color: 'yellow' }, { value: 100, color: 'red' }]),
        ),
  );
}

/**
 * Prometheus series as table rows, one column per query: each query's value column
 * is renamed to `columns[i]` and the rows are joined on their labels.
 */
export function promTable(
  title: string,
  description: string,
  exprs: Expr[],
  columns: string[],
  unit: string,
  size: Size = { w: 12, h: 8 },
): TableBuilder {
  const rename: Record<string, string> = {};
  exprs.forEach((_, i) => {
    rename[`Value #${refIds[i]}`] = columns[i]!;
  });
  return promPanel(new TableBuilder(), { title, description, exprs, unit, size }, 'table', (b) =>
    b.withTransformation({ id: 'merge', options: {} }).withTransformation({
      id: 'organize',
      options: { excludeByName: { Time: true }, renameByName: rename },
    }),
  );
}
