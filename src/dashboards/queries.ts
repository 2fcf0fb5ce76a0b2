// The dashboard's PromQL, in one place. Group panels filter on the `namespace`, `kind` and `name`
// variables; operator-health panels keep only series from targets that expose vmfleet_build_info, so a
// Prometheus that also scrapes other controller-runtime operators shows vmfleet's alone.

/** The variables' filter on group series (multi-value variables expand to a regex, All to `.*`). */
export const GROUP_FILTER = 'namespace=~"$namespace", kind=~"$kind", name=~"$name"';

function group(metric: string, extra = ''): string {
  return `${metric}{${GROUP_FILTER}${extra === '' ? '' : `, ${extra}`}}`;
}

/** Restricts `expr` to vmfleet's own scrape targets. */
function vmfleetTargets(expr: string): string {
  return `${expr} and on (job, instance) vmfleet_build_info`;
}

const cost = group('vmfleet_hourly_cost');
const regularEquivalent = group('vmfleet_regular_equivalent_hourly_cost');
/** 730 hours: the month OpenCost and Azure's pricing calculator use. */
const HOURS_PER_MONTH = 730;

export const QUERIES = {
  costPerHour: `sum(${cost})`,
  costPerMonth: `sum(${cost}) * ${HOURS_PER_MONTH}`,
  // `or vector(0)`: a selection without Spot has no spot series at all, and its share is 0, not "no data".
  spotShare: `(sum(${group('vmfleet_instances', 'capacity_type="spot"')}) or vector(0)) / clamp_min(sum(${group('vmfleet_instances')}), 1)`,
  spotSavingsPerHour: `sum(${regularEquivalent}) - sum(${cost})`,
  spotSavingsPerMonth: `(sum(${regularEquivalent}) - sum(${cost})) * ${HOURS_PER_MONTH}`,
  spotSavingsRatio: `(sum(${regularEquivalent}) - sum(${cost})) / clamp_min(sum(${regularEquivalent}), 1e-9)`,
  costByCapacityType: `sum by (capacity_type) (${cost})`,
  costByGroup: `topk(20, sum by (namespace, kind, name) (${cost}))`,

  instancesPerZone: `sum by (namespace, kind, name, zone) (${group('vmfleet_instances')})`,
  instancesPerFaultDomain: `sum by (namespace, kind, name, zone, fault_domain) (${group('vmfleet_instances')})`,
  worstZoneSkew: `max(${group('vmfleet_zone_skew')})`,
  worstFaultDomainSkew: `max(${group('vmfleet_fault_domain_skew')})`,
  largestZoneShare: `max(${group('vmfleet_largest_zone_share')})`,
  groupsOutOfBalance: `count(${group('vmfleet_zone_skew')} > 1) or vector(0)`,
  zoneSkewOverTime: `max by (namespace, kind, name) (${group('vmfleet_zone_skew')})`,
  largestZoneShareOverTime: `max by (namespace, kind, name) (${group('vmfleet_largest_zone_share')})`,

  desiredInstances: `sum by (namespace, kind, name) (${group('vmfleet_desired_instances')})`,
  placedInstances: `sum by (namespace, kind, name) (${group('vmfleet_instances')})`,
  readyInstances: `sum by (namespace, kind, name) (${group('vmfleet_ready_instances')})`,
  terminationsByReason: `sum by (reason) (increase(${group('vmfleet_instances_terminated_total')}[$__rate_interval]))`,
  allocationFailuresByReason: `sum by (reason) (increase(${group('vmfleet_allocation_failures_total')}[$__rate_interval]))`,
  unavailableOfferings: 'sum by (name, vm_size, zone, capacity_type, reason) (vmfleet_unavailable_offerings)',
  unavailableUntil:
    'max by (name, vm_size, zone, capacity_type, reason) (vmfleet_unavailable_offering_expiry_timestamp_seconds) * 1000',
  offeringPrice: 'max by (name, vm_size, zone, capacity_type) (vmfleet_offering_hourly_price)',
  offeringAvailableCapacity:
    'max by (name, vm_size, zone, capacity_type) (vmfleet_offering_available_capacity)',

  reconcileRate: `sum by (controller, result) (${vmfleetTargets('rate(controller_runtime_reconcile_total[$__rate_interval])')})`,
  reconcileErrorRatio: `sum by (controller) (${vmfleetTargets('rate(controller_runtime_reconcile_errors_total[$__rate_interval])')}) / clamp_min(sum by (controller) (${vmfleetTargets('rate(controller_runtime_reconcile_total[$__rate_interval])')}), 1e-9)`,
  reconcileTimeP99: `histogram_quantile(0.99, sum by (controller, le) (${vmfleetTargets('rate(controller_runtime_reconcile_time_seconds_bucket[$__rate_interval])')}))`,
  queueDepth: `sum by (name) (${vmfleetTargets('workqueue_depth')})`,
  queueWaitP99: `histogram_quantile(0.99, sum by (name, le) (${vmfleetTargets('rate(workqueue_queue_duration_seconds_bucket[$__rate_interval])')}))`,
  residentMemory: vmfleetTargets('process_resident_memory_bytes'),
} as const;

/** The chained template variables: each lists the values present under the ones before it. */
export const VARIABLE_QUERIES = {
  namespace: { metric: 'vmfleet_instances', label: 'namespace' },
  kind: { metric: 'vmfleet_instances{namespace=~"$namespace"}', label: 'kind' },
  name: { metric: 'vmfleet_instances{namespace=~"$namespace", kind=~"$kind"}', label: 'name' },
} as const;

export interface ConcreteQueryOptions {
  /** Replaces `$__rate_interval`; default `1m` (at least 4 × the scrape interval). */
  rateInterval?: string;
  /** Values of `$namespace`, `$kind`, `$name`; a missing one stands for All (`.*`). */
  variables?: Partial<Record<'namespace' | 'kind' | 'name', string>>;
}

/** The query Grafana would send with the given variable values: what a test evaluates against Prometheus. */
export function concreteQuery(expr: string, options: ConcreteQueryOptions = {}): string {
  const variables = options.variables ?? {};
  return expr
    .replaceAll('$__rate_interval', options.rateInterval ?? '1m')
    .replace(
      /\$\{?(namespace|kind|name)\}?/g,
      (_, variable: 'namespace' | 'kind' | 'name') => variables[variable] ?? '.*',
    );
}
