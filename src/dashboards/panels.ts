// Small constructors over the Grafana foundation SDK's panel builders, with the conventions every vmfleet
// panel follows: the `${datasource}` variable as datasource, an explicit gridPos, an id, a description.
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Query {
  expr: string;
  legend?: string;
}

interface PanelBase {
  id: number;
  title: string;
  description: string;
  gridPos: GridPos;
}

type Builder = { build(): dashboard.Panel };

function target(
  query: Query,
  index: number,
  kind: 'range' | 'instant' | 'table',
): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto');
  if (kind === 'range') return builder.range();
  const instant = builder.instant();
  return kind === 'table' ? instant.format(prometheus.PromQueryFormat.Table) : instant;
}

const lastValue = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** Absolute thresholds, `steps` as [value, colour] with the first value being the base (null). */
export function thresholds(...steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

const fixedColor = (color: string) =>
  new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor(color);

export function row(id: number, title: string, y: number): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title).id(id).gridPos({ x: 0, y, w: 24, h: 1 });
}

export function statPanel(
  base: PanelBase & {
    query: Query;
    unit: string;
    decimals?: number;
    thresholds?: dashboard.ThresholdsConfigBuilder;
  },
): Builder {
  const panel = new stat.PanelBuilder()
    .id(base.id)
    .title(base.title)
    .description(base.description)
    .datasource(DATASOURCE)
    .gridPos(base.gridPos)
    .withTarget(target(base.query, 0, 'range'))
    .unit(base.unit)
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value);
  if (base.decimals !== undefined) panel.decimals(base.decimals);
  return base.thresholds === undefined
    ? panel.colorScheme(fixedColor('blue'))
    : panel
        .thresholds(base.thresholds)
        .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds));
}

export function timeseriesPanel(
  base: PanelBase & {
    queries: Query[];
    unit: string;
    stacked?: boolean;
    bars?: boolean;
    min?: number;
    max?: number;
    thresholds?: dashboard.ThresholdsConfigBuilder;
  },
): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .id(base.id)
    .title(base.title)
    .description(base.description)
    .datasource(DATASOURCE)
    .gridPos(base.gridPos)
    .targets(base.queries.map((query, index) => target(query, index, 'range')))
    .unit(base.unit)
    .lineWidth(1)
    .fillOpacity(base.stacked === true || base.bars === true ? 60 : 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    );
  if (base.bars === true) panel.drawStyle(common.GraphDrawStyle.Bars);
  if (base.stacked === true) {
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'));
  }
  if (base.min !== undefined) panel.min(base.min);
  if (base.max !== undefined) panel.max(base.max);
  if (base.thresholds !== undefined) {
    panel
      .thresholds(base.thresholds)
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
      );
  }
  return panel;
}

export function barGaugePanel(base: PanelBase & { query: Query; unit: string }): Builder {
  return new bargauge.PanelBuilder()
    .id(base.id)
    .title(base.title)
    .description(base.description)
    .datasource(DATASOURCE)
    .gridPos(base.gridPos)
    .withTarget(target(base.query, 0, 'instant'))
    .unit(base.unit)
    .min(0)
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .valueMode(common.BarGaugeValueMode.Text)
    .colorScheme(fixedColor('blue'));
}

/** A column of a table: the query's value, renamed, with its unit. */
export interface TableColumn {
  query: Query;
  header: string;
  unit: string;
  decimals?: number;
}

/**
 * A table of instant queries joined on their labels (Grafana's "merge"), one value column per query;
 * `labels` renames the label columns to keep (others and the timestamp are hidden).
 */
export function tablePanel(
  base: PanelBase & { columns: TableColumn[]; labels: Record<string, string>; sortBy: string },
): Builder {
  const valueField = (index: number) => `Value #${String.fromCharCode(65 + index)}`;
  const renameByName: Record<string, string> = { ...base.labels };
  const indexByName: Record<string, number> = {};
  Object.keys(base.labels).forEach((label, index) => (indexByName[label] = index));
  base.columns.forEach((column, index) => {
    renameByName[valueField(index)] = column.header;
    indexByName[valueField(index)] = Object.keys(base.labels).length + index;
  });
  const panel = new table.PanelBuilder()
    .id(base.id)
    .title(base.title)
    .description(base.description)
    .datasource(DATASOURCE)
    .gridPos(base.gridPos)
    .targets(base.columns.map((column, index) => target(column.query, index, 'table')))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: { excludeByName: { Time: true, kind: true }, indexByName, renameByName, includeByName: {} },
    })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(base.sortBy)]);
  // Overrides match the display name, which `organize` has already changed to the header.
  for (const column of base.columns) {
    const properties: dashboard.DynamicConfigValue[] = [{ id: 'unit', value: column.unit }];
    if (column.decimals !== undefined) properties.push({ id: 'decimals', value: column.decimals });
    panel.overrideByName(column.header, properties);
  }
  return panel;
}
