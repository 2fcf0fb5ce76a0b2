import { describe, expect, it } from 'vitest';
import { ComputeFleet } from '../../../src/api/index.ts';
import {
  ALL_METRICS,
  LINT_FAILING_DEFAULT_METRICS,
  createMetrics,
  staticState,
  type VmfleetMetrics,
} from '../../../src/metrics/index.ts';
import { manyGroups, regionWithFaultDomains } from './world.ts';
import { INSTANCES, JOBS, REGION, WEB } from './fixtures.ts';
import { promtoolOrSkip, runPromtool } from './support.ts';

const VCPU_FLEET = ComputeFleet.parse({
  ...JOBS,
  metadata: { name: 'cores', namespace: 'batch' },
  spec: { ...JOBS.spec, capacityType: 'VCpu', regular: { capacity: 8 }, spot: undefined },
});

const NOW = Date.parse('2026-11-01T12:00:00Z');
const CONTROLLERS = ['scaleset', 'computefleet', 'instance', 'region'];

/** The label vocabulary of DESIGN §7, plus the queue `name` (shared with `name`) and build_info's labels. */
const ALLOWED_LABELS = new Set([
  'namespace',
  'kind',
  'name',
  'zone',
  'fault_domain',
  'capacity_type',
  'vm_size',
  'reason',
  'controller',
  'result',
  'version',
  'node_version',
]);

function exercise(metrics: VmfleetMetrics): void {
  const web = { namespace: 'default', kind: 'ScaleSet', name: 'web' } as const;
  metrics.lifecycle.instanceCreated(web, 'Regular');
  metrics.lifecycle.instanceTerminated(web, 'Regular', 'scale-in');
  metrics.lifecycle.allocationFailure(web, 'Regular', 'SkuNotAvailable');
  const { observer } = metrics;
  observer.queueAdd?.('scaleset');
  observer.queueDepth?.('scaleset', 3);
  observer.queueLatency?.('scaleset', 0.002);
  observer.queueWorkDuration?.('scaleset', 0.04);
  observer.queueRetry?.('scaleset');
  observer.reconcileDone?.('scaleset', 'success', 0.04);
  observer.reconcileError?.('scaleset', false);
  observer.activeWorkers?.('scaleset', 1);
  observer.leaderStatus?.('vmfleet', true);
}

/** Series lines (not comments) of an exposition, by metric family name. */
function seriesLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('metric definitions (checks that hold without promtool)', () => {
  it.each(ALL_METRICS.map((m) => [m.name, m] as const))(
    '%s: HELP, base-unit name, _total iff counter, bounded labels',
    (_, metric) => {
      expect(metric.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(metric.help.length).toBeGreaterThan(10);
      expect(metric.name.endsWith('_total')).toBe(metric.type === 'counter');
      if (metric.type === 'histogram') expect(metric.name).toMatch(/_seconds$/);
      expect(metric.name).not.toMatch(/_(ms|millis|milliseconds|kb|mb|percent)(_|$)/);
      for (const label of metric.labelNames) expect(ALLOWED_LABELS).toContain(label);
    },
  );

  it('names are unique', () => {
    const names = ALL_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('promtool check metrics', () => {
  it('passes on the whole registry (defaults included) with every metric populated', async ({ skip }) => {
    const promtool = promtoolOrSkip(skip);
    const metrics = createMetrics({
      state: staticState({
        scaleSets: [WEB],
        computeFleets: [JOBS, VCPU_FLEET],
        instances: INSTANCES,
        regions: [REGION],
        unavailableOfferings: [
          {
            region: 'eastus',
            vmSize: 'Standard_D2s_v5',
            zone: '2',
            priority: 'Spot',
            code: 'AllocationFailed',
            until: '2026-11-01T13:00:00Z',
          },
        ],
      }),
      controllers: CONTROLLERS,
      now: () => NOW,
    });
    exercise(metrics);
    const text = await metrics.registry.metrics();
    const missing = ALL_METRICS.filter((m) => !new RegExp(`^${m.name}(_bucket)?\\{`, 'm').test(text));
    expect(missing.map((m) => m.name)).toEqual([]);
    for (const name of LINT_FAILING_DEFAULT_METRICS) expect(text).not.toContain(`${name} `);
    expect(text).toContain('process_resident_memory_bytes');
    const result = runPromtool(promtool, ['check', 'metrics'], text);
    expect(result.stderr + result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('is a real gate: it rejects what prom-client’s unfiltered defaults and a badly named counter produce', ({
    skip,
  }) => {
    const promtool = promtoolOrSkip(skip);
    const bad = [
      '# HELP vmfleet_placements Placements.',
      '# TYPE vmfleet_placements counter',
      'vmfleet_placements 1',
      '# HELP nodejs_active_handles_total Number of active libuv handles.',
      '# TYPE nodejs_active_handles_total gauge',
      'nodejs_active_handles_total 3',
      '',
    ].join('\n');
    const result = runPromtool(promtool, ['check', 'metrics'], bad);
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/_total/);
  });
});

/**
 * Series budget: with 50 groups × 3 zones × 5 fault domains, both capacity types in use everywhere, the
 * eastus catalogue and 4 controllers, vmfleet's own metrics stay within 5,000 series: 70 per group
 * (instances 30, hourly cost 6, regular-equivalent cost 6, ready 2, vCPUs 2, desired 1, spread 3, lifecycle
 * counters 20), 150 for the catalogue (price and free capacity per offering), about 83 per controller.
 */
describe('cardinality', () => {
  const GROUPS = 50;
  const FAULT_DOMAINS = 5;
  const BUDGET = 5000;
  // 74: terminations by repair and by rebalance add 2 reasons × 2 capacity types per group.
  const PER_GROUP_BUDGET = 74;

  it(`50 groups × 3 zones × ${FAULT_DOMAINS} fault domains stay within ${BUDGET} series`, async () => {
    const world = manyGroups(GROUPS, FAULT_DOMAINS);
    const metrics = createMetrics({
      state: staticState({ ...world, regions: [regionWithFaultDomains(FAULT_DOMAINS)] }),
      controllers: CONTROLLERS,
      defaultMetrics: false,
      now: () => NOW,
    });
    exercise(metrics);
    const lines = seriesLines(await metrics.registry.metrics());
    const perGroup = lines.filter((line) => line.includes('name="group-7"'));
    expect(perGroup.length).toBeLessThanOrEqual(PER_GROUP_BUDGET);
    expect(lines.filter((line) => line.startsWith('vmfleet_instances{'))).toHaveLength(
      GROUPS * 3 * FAULT_DOMAINS * 2,
    );
    expect(lines.length).toBeLessThanOrEqual(BUDGET);
    console.info(
      `series: ${lines.length} total, ${perGroup.length} per group (budget ${BUDGET}, ${PER_GROUP_BUDGET})`,
    );
  });
});
