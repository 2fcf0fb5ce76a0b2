// Every metric vmfleet exports, in one table: name, type, HELP and labels. The collectors build their
// prom-client objects from it, and the tests check names, labels and the series budget against it.
//
// Labels come from one bounded vocabulary (DESIGN §7): namespace, kind, name, zone, fault_domain,
// capacity_type (regular|spot), vm_size, reason, controller, result; plus the runtime's queue `name` and
// build_info's version labels. No per-VM label anywhere.

const GROUP = ['namespace', 'kind', 'name'] as const;
/** Offerings belong to a Region: `kind="Region"`, `name=<region>` (cluster-scoped, so no namespace). */
const OFFERING = ['kind', 'name', 'vm_size', 'zone', 'capacity_type'] as const;

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** Gauges recomputed from the caches at every scrape (never accumulated). */
export const STATE_METRICS = {
  instances: {
    name: 'vmfleet_instances',
    type: 'gauge',
    help: 'Instances placed per group, zone, fault domain and capacity type (any phase, not being deleted), as status.byFaultDomain counts them. Every eligible zone and fault domain is reported, with 0 when empty.',
    labelNames: [...GROUP, 'zone', 'fault_domain', 'capacity_type'],
  },
  readyInstances: {
    name: 'vmfleet_ready_instances',
    type: 'gauge',
    help: 'Instances Running (not being deleted) per group and capacity type.',
    labelNames: [...GROUP, 'capacity_type'],
  },
  desiredInstances: {
    name: 'vmfleet_desired_instances',
    type: 'gauge',
    help: 'Target number of instances: ScaleSet spec.capacity, or regular + spot capacity of a ComputeFleet counting VMs (VCpu fleets report vmfleet_desired_vcpus instead).',
    labelNames: [...GROUP],
  },
  desiredVcpus: {
    name: 'vmfleet_desired_vcpus',
    type: 'gauge',
    help: 'Target vCPUs (regular + spot capacity) of a ComputeFleet with capacityType VCpu.',
    labelNames: [...GROUP],
  },
  vcpus: {
    name: 'vmfleet_vcpus',
    type: 'gauge',
    help: 'vCPUs of the placed instances per group and capacity type.',
    labelNames: [...GROUP, 'capacity_type'],
  },
  hourlyCost: {
    name: 'vmfleet_hourly_cost',
    type: 'gauge',
    help: 'Cost of the Running instances (not being deleted) in USD per hour, their status.pricePerHour, per group, zone and capacity type; sums to status.hourlyCost. Multiply by 730 for a month.',
    labelNames: [...GROUP, 'zone', 'capacity_type'],
  },
  regularEquivalentHourlyCost: {
    name: 'vmfleet_regular_equivalent_hourly_cost',
    type: 'gauge',
    help: 'What the Running instances would cost in USD per hour at the Regular (pay-as-you-go) price; minus vmfleet_hourly_cost it is the Spot saving.',
    labelNames: [...GROUP, 'zone', 'capacity_type'],
  },
  zoneSkew: {
    name: 'vmfleet_zone_skew',
    type: 'gauge',
    help: 'Largest minus smallest placed-instance count over the eligible zones of the group (status.spread.zoneSkew).',
    labelNames: [...GROUP],
  },
  faultDomainSkew: {
    name: 'vmfleet_fault_domain_skew',
    type: 'gauge',
    help: 'Largest minus smallest placed-instance count over the fault domains of a zone, worst zone (status.spread.faultDomainSkew).',
    labelNames: [...GROUP],
  },
  largestZoneShare: {
    name: 'vmfleet_largest_zone_share',
    type: 'gauge',
    help: 'Share (0-1) of the placed instances of a group held by its fullest zone; 0 when it has none (status.spread.largestZoneShare).',
    labelNames: [...GROUP],
  },
  offeringHourlyPrice: {
    name: 'vmfleet_offering_hourly_price',
    type: 'gauge',
    help: 'Price in USD per hour of one VM of a size in a zone at a capacity type, from the Region catalogue (kind="Region", name=<region>).',
    labelNames: [...OFFERING],
  },
  offeringAvailableCapacity: {
    name: 'vmfleet_offering_available_capacity',
    type: 'gauge',
    help: 'VMs of a size a zone can still host at a capacity type: Region capacity minus usage, 0 in an unavailable zone.',
    labelNames: [...OFFERING],
  },
  unavailableOfferings: {
    name: 'vmfleet_unavailable_offerings',
    type: 'gauge',
    help: 'Offerings (size x zone x capacity type) skipped after an allocation error; reason is the Azure error code.',
    labelNames: [...OFFERING, 'reason'],
  },
  unavailableOfferingExpiry: {
    name: 'vmfleet_unavailable_offering_expiry_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time at which an unavailable offering may be tried again; reason is the Azure error code.',
    labelNames: [...OFFERING, 'reason'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Counters the controllers increment through `LifecycleMetrics`. */
export const LIFECYCLE_METRICS = {
  created: {
    name: 'vmfleet_instances_created_total',
    type: 'counter',
    help: 'Instances created per group and capacity type.',
    labelNames: [...GROUP, 'capacity_type'],
  },
  terminated: {
    name: 'vmfleet_instances_terminated_total',
    type: 'counter',
    help: 'Instances terminated per group, capacity type and reason (scale-in, eviction, failure, upgrade).',
    labelNames: [...GROUP, 'capacity_type', 'reason'],
  },
  allocationFailures: {
    name: 'vmfleet_allocation_failures_total',
    type: 'counter',
    help: 'Failed VM allocations per group and capacity type; reason is the Azure error code (AllocationFailed, ZonalAllocationFailed, SkuNotAvailable, OverconstrainedAllocationRequest, OperationNotAllowed).',
    labelNames: [...GROUP, 'capacity_type', 'reason'],
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * controller-runtime's own names, labels and buckets (pkg/internal/controller/metrics, pkg/metrics/workqueue.go),
 * so kubebuilder and Karpenter dashboards work unchanged. As there, a work queue's `name` and `controller` are
 * both the controller's name.
 */
export const CONTROLLER_METRICS = {
  reconcileTotal: {
    name: 'controller_runtime_reconcile_total',
    type: 'counter',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'],
  },
  reconcileErrors: {
    name: 'controller_runtime_reconcile_errors_total',
    type: 'counter',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'],
  },
  terminalReconcileErrors: {
    name: 'controller_runtime_terminal_reconcile_errors_total',
    type: 'counter',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'],
  },
  reconcileTime: {
    name: 'controller_runtime_reconcile_time_seconds',
    type: 'histogram',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
  },
  activeWorkers: {
    name: 'controller_runtime_active_workers',
    type: 'gauge',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'],
  },
  queueDepth: {
    name: 'workqueue_depth',
    type: 'gauge',
    help: 'Current depth of workqueue',
    labelNames: ['name', 'controller'],
  },
  queueAdds: {
    name: 'workqueue_adds_total',
    type: 'counter',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'],
  },
  queueLatency: {
    name: 'workqueue_queue_duration_seconds',
    type: 'histogram',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'],
  },
  workDuration: {
    name: 'workqueue_work_duration_seconds',
    type: 'histogram',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name', 'controller'],
  },
  queueRetries: {
    name: 'workqueue_retries_total',
    type: 'counter',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'],
  },
  leaderStatus: {
    name: 'leader_election_master_status',
    type: 'gauge',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. name is the string used to identify the lease.',
    labelNames: ['name'],
  },
} as const satisfies Record<string, MetricDefinition>;

export const BUILD_INFO = {
  name: 'vmfleet_build_info',
  type: 'gauge',
  help: 'Always 1; labels carry the vmfleet version and the Node.js version running it.',
  labelNames: ['version', 'node_version'],
} as const satisfies MetricDefinition;

/** controller-runtime's reconcile-time buckets (5 ms … 60 s). */
export const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
] as const;

/** controller-runtime's work-queue buckets: ExponentialBuckets(10e-9, 10, 12), 10 ns … 1000 s. */
export const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) =>
  Number((1e-8 * 10 ** i).toPrecision(1)),
);

/** Every metric vmfleet defines (prom-client's process_* and nodejs_* defaults come on top). */
export const ALL_METRICS: readonly MetricDefinition[] = [
  ...Object.values(STATE_METRICS),
  ...Object.values(LIFECYCLE_METRICS),
  ...Object.values(CONTROLLER_METRICS),
  BUILD_INFO,
];
