// The vmfleet dashboard: cost, spread, capacity and lifecycle, operator health. Every panel has an explicit
// gridPos on the 24-column grid (the SDK's auto-layout does not wrap); rows are 1 high.
/* eslint-disable @typescript-eslint/no-deprecated -- the SDK marks the classic (v1) dashboard model deprecated
   in favour of dashboardv2, but classic JSON is what file provisioning and the kube-prometheus-stack sidecar load on
   every Grafana version in use (v2 resources are Grafana 12+ only); Grafana converts it on load. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  DATASOURCE,
  barGaugePanel,
  row,
  statPanel,
  tablePanel,
  thresholds,
  timeseriesPanel,
} from './panels.ts';
import { pruneSdkDefaults } from './grafana-compat.ts';
import { QUERIES as Q, VARIABLE_QUERIES } from './queries.ts';

export const DASHBOARD_UID = 'vmfleet-overview';
export const DASHBOARD_TITLE = 'vmfleet: cost and spread';

/** Zone and fault-domain skew colours: balanced (≤ 1) green, 2 amber, ≥ 3 red. */
const skewThresholds = () => thresholds([null, 'green'], [2, 'orange'], [3, 'red']);

const GROUP_LEGEND = '{{namespace}}/{{name}}';

// No `.definition(query)` (the variable editor's summary): Grafana's published VariableModel has no such
// field, and the editor shows the query itself when it is absent.
function groupVariable(name: keyof typeof VARIABLE_QUERIES, label: string): dashboard.QueryVariableBuilder {
  const { metric, label: labelName } = VARIABLE_QUERIES[name];
  const query = `label_values(${metric}, ${labelName})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function vmfleetDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(DASHBOARD_TITLE)
    // A file-provisioned dashboard has no database id; the uid identifies it.
    .id(null)
    .uid(DASHBOARD_UID)
    .description(
      'Cost, zone and fault-domain spread, fulfilment and controller health of vmfleet ScaleSets and ComputeFleets.',
    )
    .tags(['vmfleet', 'kubernetes', 'cost'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    // Grafana's frontend expects the built-in annotation query (annotations.list) to be present.
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .builtIn(1)
        .name('Annotations & Alerts')
        .type('dashboard')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)'),
    )
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    )
    .withVariable(groupVariable('namespace', 'Namespace'))
    .withVariable(groupVariable('kind', 'Kind'))
    .withVariable(groupVariable('name', 'Group'));

  // Cost ─────────────────────────────────────────────────────────────────────────────────────────────
  builder
    .withRow(row(1, 'Cost', 0))
    .withPanel(
      statPanel({
        id: 2,
        title: 'Cost per hour',
        description: 'USD per hour of the Running instances of the selected groups (vmfleet_hourly_cost).',
        gridPos: { x: 0, y: 1, w: 4, h: 4 },
        query: { expr: Q.costPerHour, legend: 'USD/h' },
        unit: 'currencyUSD',
        decimals: 3,
      }),
    )
    .withPanel(
      statPanel({
        id: 3,
        title: 'Projected per month',
        description: 'Cost per hour × 730 hours, at the current placement.',
        gridPos: { x: 4, y: 1, w: 4, h: 4 },
        query: { expr: Q.costPerMonth, legend: 'USD/month' },
        unit: 'currencyUSD',
        decimals: 0,
      }),
    )
    .withPanel(
      statPanel({
        id: 4,
        title: 'Spot share',
        description: 'Share of the placed instances that are Spot.',
        gridPos: { x: 8, y: 1, w: 4, h: 4 },
        query: { expr: Q.spotShare, legend: 'spot' },
        unit: 'percentunit',
        decimals: 1,
      }),
    )
    .withPanel(
      statPanel({
        id: 5,
        title: 'Spot savings per hour',
        description:
          'What the Running instances would cost at the Regular (pay-as-you-go) price, minus what they cost (USD/h).',
        gridPos: { x: 12, y: 1, w: 4, h: 4 },
        query: { expr: Q.spotSavingsPerHour, legend: 'USD/h saved' },
        unit: 'currencyUSD',
        decimals: 3,
      }),
    )
    .withPanel(
      statPanel({
        id: 6,
        title: 'Spot savings per month',
        description: 'Spot savings per hour × 730.',
        gridPos: { x: 16, y: 1, w: 4, h: 4 },
        query: { expr: Q.spotSavingsPerMonth, legend: 'USD/month saved' },
        unit: 'currencyUSD',
        decimals: 0,
      }),
    )
    .withPanel(
      statPanel({
        id: 7,
        title: 'Savings vs all-Regular',
        description: 'Spot savings as a share of the all-Regular price of the Running instances.',
        gridPos: { x: 20, y: 1, w: 4, h: 4 },
        query: { expr: Q.spotSavingsRatio, legend: 'saved' },
        unit: 'percentunit',
        decimals: 1,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 8,
        title: 'Cost over time by capacity type',
        description: 'USD per hour of the Running instances, stacked: regular and spot.',
        gridPos: { x: 0, y: 5, w: 12, h: 8 },
        queries: [{ expr: Q.costByCapacityType, legend: '{{capacity_type}}' }],
        unit: 'currencyUSD',
        stacked: true,
      }),
    )
    .withPanel(
      barGaugePanel({
        id: 9,
        title: 'Cost by group',
        description: 'USD per hour per ScaleSet / ComputeFleet, most expensive first (top 20).',
        gridPos: { x: 12, y: 5, w: 12, h: 8 },
        query: { expr: Q.costByGroup, legend: '{{namespace}}/{{name}} ({{kind}})' },
        unit: 'currencyUSD',
      }),
    );

  // Spread ───────────────────────────────────────────────────────────────────────────────────────────
  builder
    .withRow(row(10, 'Spread over zones and fault domains', 13))
    .withPanel(
      barGaugePanel({
        id: 11,
        title: 'Instances per zone',
        description: 'Placed instances per group and zone; empty eligible zones show 0.',
        gridPos: { x: 0, y: 14, w: 8, h: 8 },
        query: { expr: Q.instancesPerZone, legend: `${GROUP_LEGEND} zone {{zone}}` },
        unit: 'none',
      }),
    )
    .withPanel(
      barGaugePanel({
        id: 12,
        title: 'Instances per fault domain',
        description:
          'Placed instances per group, zone and fault domain; empty eligible fault domains show 0.',
        gridPos: { x: 8, y: 14, w: 8, h: 8 },
        query: {
          expr: Q.instancesPerFaultDomain,
          legend: `${GROUP_LEGEND} zone {{zone}} FD {{fault_domain}}`,
        },
        unit: 'none',
      }),
    )
    .withPanel(
      statPanel({
        id: 13,
        title: 'Worst zone skew',
        description:
          'Largest (max − min instances over eligible zones) among the selected groups. ≤ 1 is balanced (green), 2 amber, ≥ 3 red.',
        gridPos: { x: 16, y: 14, w: 4, h: 4 },
        query: { expr: Q.worstZoneSkew, legend: 'zone skew' },
        unit: 'none',
        decimals: 0,
        thresholds: skewThresholds(),
      }),
    )
    .withPanel(
      statPanel({
        id: 14,
        title: 'Largest zone share',
        description: 'The biggest share of a group held by one zone: what one zone outage would take down.',
        gridPos: { x: 20, y: 14, w: 4, h: 4 },
        query: { expr: Q.largestZoneShare, legend: 'largest zone' },
        unit: 'percentunit',
        decimals: 0,
      }),
    )
    .withPanel(
      statPanel({
        id: 15,
        title: 'Worst fault-domain skew',
        description: 'Largest max − min over the fault domains of one zone, among the selected groups.',
        gridPos: { x: 16, y: 18, w: 4, h: 4 },
        query: { expr: Q.worstFaultDomainSkew, legend: 'fault-domain skew' },
        unit: 'none',
        decimals: 0,
        thresholds: skewThresholds(),
      }),
    )
    .withPanel(
      statPanel({
        id: 16,
        title: 'Groups out of balance',
        description: 'Selected groups whose zone skew is above 1.',
        gridPos: { x: 20, y: 18, w: 4, h: 4 },
        query: { expr: Q.groupsOutOfBalance, legend: 'groups' },
        unit: 'none',
        decimals: 0,
        thresholds: thresholds([null, 'green'], [1, 'red']),
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 17,
        title: 'Zone skew over time',
        description: 'Per group; evictions and outages raise it, replacements bring it back.',
        gridPos: { x: 0, y: 22, w: 12, h: 7 },
        queries: [{ expr: Q.zoneSkewOverTime, legend: GROUP_LEGEND }],
        unit: 'none',
        min: 0,
        thresholds: skewThresholds(),
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 18,
        title: 'Largest zone share over time',
        description: 'Per group; 1 / number of zones is perfectly even.',
        gridPos: { x: 12, y: 22, w: 12, h: 7 },
        queries: [{ expr: Q.largestZoneShareOverTime, legend: GROUP_LEGEND }],
        unit: 'percentunit',
        min: 0,
        max: 1,
      }),
    );

  // Capacity and lifecycle ───────────────────────────────────────────────────────────────────────────
  builder
    .withRow(row(19, 'Capacity and lifecycle', 29))
    .withPanel(
      timeseriesPanel({
        id: 20,
        title: 'Desired vs actual',
        description:
          'Target instances (spec), placed instances (any phase, not being deleted) and Running instances, per group.',
        gridPos: { x: 0, y: 30, w: 12, h: 8 },
        queries: [
          { expr: Q.desiredInstances, legend: `${GROUP_LEGEND} desired` },
          { expr: Q.placedInstances, legend: `${GROUP_LEGEND} placed` },
          { expr: Q.readyInstances, legend: `${GROUP_LEGEND} running` },
        ],
        unit: 'none',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 21,
        title: 'Terminations by reason',
        description:
          'Instances terminated per interval: scale-in, eviction (Spot), failure, upgrade, repair, rebalance.',
        gridPos: { x: 12, y: 30, w: 6, h: 8 },
        queries: [{ expr: Q.terminationsByReason, legend: '{{reason}}' }],
        unit: 'none',
        bars: true,
        stacked: true,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 22,
        title: 'Allocation failures by Azure code',
        description:
          'Failed allocations per interval, by Azure error code (AllocationFailed, ZonalAllocationFailed, …).',
        gridPos: { x: 18, y: 30, w: 6, h: 8 },
        queries: [{ expr: Q.allocationFailuresByReason, legend: '{{reason}}' }],
        unit: 'none',
        bars: true,
        stacked: true,
      }),
    )
    .withPanel(
      tablePanel({
        id: 23,
        title: 'Unavailable offerings',
        description:
          'Pools skipped after an allocation error, with the Azure code and when they are tried again.',
        gridPos: { x: 0, y: 38, w: 10, h: 8 },
        columns: [
          { query: { expr: Q.unavailableOfferings }, header: 'pools', unit: 'none' },
          { query: { expr: Q.unavailableUntil }, header: 'until', unit: 'dateTimeAsIso' },
        ],
        labels: {
          name: 'region',
          vm_size: 'size',
          zone: 'zone',
          capacity_type: 'capacity type',
          reason: 'code',
        },
        sortBy: 'until',
      }),
    )
    .withPanel(
      tablePanel({
        id: 24,
        title: 'Price catalogue',
        description:
          'Price per hour and free capacity of every offering (size × zone × capacity type) of the Regions.',
        gridPos: { x: 10, y: 38, w: 14, h: 8 },
        columns: [
          { query: { expr: Q.offeringPrice }, header: 'USD/h', unit: 'currencyUSD', decimals: 4 },
          { query: { expr: Q.offeringAvailableCapacity }, header: 'free capacity', unit: 'none' },
        ],
        labels: { name: 'region', vm_size: 'size', zone: 'zone', capacity_type: 'capacity type' },
        sortBy: 'USD/h',
      }),
    );

  // Operator health ──────────────────────────────────────────────────────────────────────────────────
  builder
    .withRow(row(25, 'Operator health', 46))
    .withPanel(
      timeseriesPanel({
        id: 26,
        title: 'Reconciles per second',
        description: 'controller_runtime_reconcile_total rate, by controller and result.',
        gridPos: { x: 0, y: 47, w: 8, h: 8 },
        queries: [{ expr: Q.reconcileRate, legend: '{{controller}} {{result}}' }],
        unit: 'reqps',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 27,
        title: 'Reconcile error ratio',
        description: 'Failed reconciles / all reconciles, by controller.',
        gridPos: { x: 8, y: 47, w: 8, h: 8 },
        queries: [{ expr: Q.reconcileErrorRatio, legend: '{{controller}}' }],
        unit: 'percentunit',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 28,
        title: 'Reconcile time p99',
        description: '99th percentile of controller_runtime_reconcile_time_seconds, by controller.',
        gridPos: { x: 16, y: 47, w: 8, h: 8 },
        queries: [{ expr: Q.reconcileTimeP99, legend: '{{controller}}' }],
        unit: 's',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 29,
        title: 'Work queue depth',
        description: 'Keys waiting for a worker, by controller queue.',
        gridPos: { x: 0, y: 55, w: 8, h: 8 },
        queries: [{ expr: Q.queueDepth, legend: '{{name}}' }],
        unit: 'none',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 30,
        title: 'Queue wait p99',
        description: '99th percentile of the time a key waits in the queue before a worker takes it.',
        gridPos: { x: 8, y: 55, w: 8, h: 8 },
        queries: [{ expr: Q.queueWaitP99, legend: '{{name}}' }],
        unit: 's',
        min: 0,
      }),
    )
    .withPanel(
      timeseriesPanel({
        id: 31,
        title: 'Memory (resident)',
        description: 'Resident set size of the operator process (process_resident_memory_bytes).',
        gridPos: { x: 16, y: 55, w: 8, h: 8 },
        queries: [{ expr: Q.residentMemory, legend: '{{instance}}' }],
        unit: 'bytes',
        min: 0,
      }),
    );

  return pruneSdkDefaults(builder.build());
}
