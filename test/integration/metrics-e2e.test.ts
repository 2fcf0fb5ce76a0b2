// Metrics end to end: the operator runs in-process on the real control plane (with the RBAC of deploy/), a
// real Prometheus (Debian's package) scrapes its /metrics on loopback every second, and a scenario gives
// every panel something to show: a Spot ScaleSet with a priority mix scaled through the scale subresource
// into an injected ZonalAllocationFailed, and a Regular + Spot ComputeFleet whose Spot pool is cut so a VM
// is evicted and replaced. Then every PromQL query of the dashboard must parse and return data through
// Prometheus's HTTP API, and what Prometheus holds must equal what the API says: the summed hourly cost
// equals the Running instances' prices, and each group's skew gauges equal its status.spread.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GROUP_VERSION, INSTANCE_LABELS, type Instance, type RegionSpec } from '../../src/api/index.ts';
import { createOperator, type Operator } from '../../src/controllers/operator.ts';
import { COMPUTEFLEETS, INSTANCES, REGIONS, SCALESETS } from '../../src/controllers/resources.ts';
import { VARIABLE_QUERIES, concreteQuery, dashboardQueries } from '../../src/dashboards/index.ts';
import type { KubeClient, ResourceType } from '../../src/runtime/index.ts';
import { OPERATOR_NAMESPACE } from '../cluster/controlplane.ts';
import {
  prometheusAvailable,
  startPrometheus,
  type InstantSample,
  type PrometheusProcess,
} from '../support/prometheus.ts';
import { withRegionOptions, type RegionOptions } from '../support/region-fixture.ts';
import { describeCluster, eventually, kubectlOk, uniqueName, useCluster } from './cluster.ts';
import { ScopedKubeClient, adminClient, testRegion } from './operator/support.ts';

const available = prometheusAvailable('metrics end to end against a real Prometheus');

/** Scrape every second; rate windows of 1 m hold 60 samples (Grafana's $__rate_interval is ≥ 4 scrapes). */
const SCRAPE_INTERVAL = '1s';
const RATE_INTERVAL = '1m';
const POLL = { timeoutMs: 30_000, intervalMs: 250 };

type Kind = 'ScaleSet' | 'ComputeFleet';

interface Spread {
  zoneSkew: number;
  faultDomainSkew: number;
  largestZoneShare: number;
}

interface GroupView {
  metadata: { name: string; namespace: string; generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; observedGeneration?: number }[];
    spread?: Spread;
    hourlyCost?: number;
    unavailableOfferings?: { vmSize: string; zone: string; priority?: string; code: string }[];
  };
}

const resourceOf = (kind: Kind): ResourceType => (kind === 'ScaleSet' ? SCALESETS : COMPUTEFLEETS);
const ownerLabel = (kind: Kind): string =>
  kind === 'ScaleSet' ? INSTANCE_LABELS.scaleSet : INSTANCE_LABELS.computeFleet;

function instanceKey(i: Instance): string {
  return `${i.spec.vmSize} ${i.spec.zone} ${i.spec.priority}`;
}

describeCluster('metrics end to end with a real Prometheus', () => {
  describe.skipIf(!available)('Prometheus scraping the operator during a scenario', () => {
    const namespace = uniqueName('metrics-e2e');
    const region = uniqueName('rgn-metrics');
    const SET = 'batch';
    const FLEET = 'mixed';
    // 7 over 3 zones: a zone skew of 1 and a largest-zone share of 3/7, which status rounds.
    const FINAL_CAPACITY = { ScaleSet: 7, ComputeFleet: 6 } as const;
    const TOTAL = FINAL_CAPACITY.ScaleSet + FINAL_CAPACITY.ComputeFleet;
    let admin: KubeClient;
    let operator: Operator | undefined;
    let prometheus: PrometheusProcess | undefined;
    /** What the scenario did, for the assertions' messages. */
    const scenario = { faulted: '', cut: '', evicted: '' };

    const getGroup = async (kind: Kind, name: string): Promise<GroupView> =>
      (await admin.get(resourceOf(kind), { namespace, name })) as GroupView;

    const instancesOf = async (kind: Kind, name: string): Promise<Instance[]> =>
      (await admin.list(INSTANCES, { namespace, labelSelector: `${ownerLabel(kind)}=${name}` }))
        .items as Instance[];

    const allInstances = async (): Promise<Instance[]> =>
      (await admin.list(INSTANCES, { namespace })).items as Instance[];

    const editRegion = async (options: RegionOptions): Promise<void> => {
      const current = (await admin.get(REGIONS, { name: region })) as { spec: RegionSpec };
      const spec = withRegionOptions(current.spec, options);
      await admin.patch(REGIONS, { name: region }, { type: 'merge', body: { spec } });
    };

    /** The group's current generation is Ready with `count` instances, all Running and none being deleted. */
    const ready = async (kind: Kind, name: string, count: number) => {
      const instances = await instancesOf(kind, name);
      expect(
        instances.map((i) => `${i.status?.phase ?? 'Pending'}${i.metadata.deletionTimestamp ? '†' : ''}`),
        `${kind}/${name} instances`,
      ).toEqual(Array<string>(count).fill('Running'));
      const group = await getGroup(kind, name);
      const condition = group.status?.conditions?.find((c) => c.type === 'Ready');
      expect(condition?.observedGeneration, `${kind}/${name} Ready observedGeneration`).toBe(
        group.metadata.generation,
      );
      expect(`${condition?.status ?? '?'} ${condition?.reason ?? ''}`, `${kind}/${name} Ready`).toMatch(
        /^True /,
      );
      return { group, instances };
    };

    beforeAll(async () => {
      const cluster = useCluster();
      admin = adminClient();
      await kubectlOk(['create', 'namespace', namespace]);
      await admin.create(REGIONS, testRegion(region, { provisioningDelay: '1s' }));

      // The operator with the RBAC of deploy/, seeing only this namespace and Region (other test files run
      // their own operators on the same plane at the same time).
      const config = new KubeConfig();
      config.loadFromFile(cluster.operatorKubeconfig);
      operator = createOperator({
        client: new ScopedKubeClient(config, { namespace, region }),
        logger: pino({ level: process.env['OPERATOR_TEST_LOG'] ?? 'silent' }),
        namespace: OPERATOR_NAMESPACE,
        leaderElection: false,
        healthPort: false,
        metricsPort: 0,
      });
      await operator.start();
      const metricsPort = operator.metricsPort;
      if (metricsPort === undefined) throw new Error('the operator serves no /metrics');
      prometheus = await startPrometheus({
        targets: [`127.0.0.1:${metricsPort}`],
        scrapeInterval: SCRAPE_INTERVAL,
      });
      const prom = prometheus;
      await eventually(async () => {
        expect(await prom.value('up{job="vmfleet"}'), 'up').toBe(1);
      }, POLL);

      // 1. A Spot ScaleSet with a priority mix over two 4-vCPU sizes, and a Regular + Spot ComputeFleet over
      //    two 2-vCPU sizes: the groups use different pools, so each disruption below hits one of them.
      await admin.create(SCALESETS, {
        apiVersion: API_GROUP_VERSION,
        kind: 'ScaleSet',
        metadata: { name: SET, namespace },
        spec: {
          region,
          orchestrationMode: 'Flexible',
          capacity: 3,
          zones: ['1', '2', '3'],
          skuProfile: {
            allocationStrategy: 'LowestPrice',
            vmSizes: [{ name: 'Standard_D4as_v5' }, { name: 'Standard_D4s_v5' }],
          },
          priority: 'Spot',
          priorityMix: { baseRegularPriorityCount: 1, regularPriorityPercentageAboveBase: 50 },
          spot: { evictionPolicy: 'Delete', maxPricePerHour: -1 },
        },
      });
      await admin.create(COMPUTEFLEETS, {
        apiVersion: API_GROUP_VERSION,
        kind: 'ComputeFleet',
        metadata: { name: FLEET, namespace },
        spec: {
          region,
          zones: ['1', '2', '3'],
          zoneAllocationPolicy: { distributionStrategy: 'Balanced' },
          vmSizes: [{ name: 'Standard_D2as_v5' }, { name: 'Standard_D2s_v5' }],
          regular: { capacity: 3, allocationStrategy: 'LowestPrice' },
          spot: { capacity: 3, allocationStrategy: 'LowestPrice', evictionPolicy: 'Delete', maintain: true },
        },
      });
      const { instances: setBefore } = await eventually(() => ready('ScaleSet', SET, 3), POLL);
      const { instances: fleetBefore } = await eventually(() => ready('ComputeFleet', FLEET, 6), POLL);

      // 2. Inject ZonalAllocationFailed for the size the ScaleSet runs in zone 2 (its cheapest there, so the
      //    one it picks again), and cut the Spot capacity of the pool of the fleet's zone-1 Spot VM to 0.
      const zone2 = setBefore.find((i) => i.spec.zone === '2');
      const spotZone1 = fleetBefore.find((i) => i.spec.zone === '1' && i.spec.priority === 'Spot');
      if (zone2 === undefined || spotZone1 === undefined) {
        throw new Error(
          `unexpected placement: ${[...setBefore, ...fleetBefore].map(instanceKey).join(', ')}`,
        );
      }
      scenario.faulted = `${zone2.spec.vmSize} zone 2`;
      scenario.cut = `${spotZone1.spec.vmSize} zone 1 Spot`;
      scenario.evicted = spotZone1.metadata.name;
      await editRegion({
        faults: [{ vmSize: zone2.spec.vmSize, zone: '2', code: 'ZonalAllocationFailed' }],
        capacity: [{ vmSize: spotZone1.spec.vmSize, zone: '1', priority: 'Spot', count: 0 }],
      });

      // 3. Scale the ScaleSet out through the scale subresource (what `kubectl scale` and an HPA use): its
      //    new zone-2 VM fails, the offering becomes unavailable and the VM is replaced with the other size.
      await kubectlOk(['scale', 'scaleset', SET, '-n', namespace, `--replicas=${FINAL_CAPACITY.ScaleSet}`]);

      // 4. Converged: both groups Ready at their final size, the evicted VM gone and replaced outside the cut
      //    pool, and the failed allocation recorded in status.
      await eventually(async () => {
        const { group } = await ready('ScaleSet', SET, FINAL_CAPACITY.ScaleSet);
        expect(group.status?.unavailableOfferings ?? [], 'ScaleSet unavailable offerings').toContainEqual(
          expect.objectContaining({ vmSize: zone2.spec.vmSize, zone: '2', code: 'ZonalAllocationFailed' }),
        );
        const { instances } = await ready('ComputeFleet', FLEET, FINAL_CAPACITY.ComputeFleet);
        expect(
          instances.map((i) => i.metadata.name),
          'evicted VM',
        ).not.toContain(spotZone1.metadata.name);
        expect(instances.map(instanceKey), 'cut pool').not.toContain(instanceKey(spotZone1));
      }, POLL);

      // 5. Prometheus has scraped the final state: desired and placed instances per group as in the API.
      await eventually(async () => {
        const desired = await prom.vector(`vmfleet_desired_instances{namespace="${namespace}"}`);
        expect(
          Object.fromEntries(desired.map((s) => [`${s.metric.kind}/${s.metric.name}`, Number(s.value[1])])),
        ).toEqual({
          [`ScaleSet/${SET}`]: FINAL_CAPACITY.ScaleSet,
          [`ComputeFleet/${FLEET}`]: FINAL_CAPACITY.ComputeFleet,
        });
        expect(await prom.value(`sum(vmfleet_ready_instances{namespace="${namespace}"})`)).toBe(TOTAL);
        expect(await prom.value(`sum(vmfleet_instances{namespace="${namespace}"})`)).toBe(TOTAL);
      }, POLL);
    }, 100_000);

    afterAll(async () => {
      await prometheus?.stop();
      await operator?.stop();
    });

    it('the scenario evicted a Spot VM and failed an allocation, as Prometheus counts them', async () => {
      const prom = prometheus as PrometheusProcess;
      const evictions = await prom.value(
        `sum(vmfleet_instances_terminated_total{kind="ComputeFleet", name="${FLEET}", reason="eviction"})`,
      );
      expect(evictions, `evictions after cutting ${scenario.cut}`).toBeGreaterThanOrEqual(1);
      const failures = await prom.value(
        `sum(vmfleet_allocation_failures_total{kind="ScaleSet", name="${SET}", reason="ZonalAllocationFailed"})`,
      );
      expect(failures, `allocation failures for ${scenario.faulted}`).toBeGreaterThanOrEqual(1);
      const [size] = scenario.faulted.split(' ');
      const unavailable = await prom.vector(
        `vmfleet_unavailable_offerings{vm_size="${size ?? ''}", zone="2", reason="ZonalAllocationFailed"}`,
      );
      expect(unavailable.length, `unavailable offerings of ${scenario.faulted}`).toBeGreaterThan(0);
    });

    it('every PromQL query of the dashboard parses and returns data', async () => {
      const prom = prometheus as PrometheusProcess;
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(20);
      const problems: string[] = [];
      await Promise.all(
        queries.map(async ({ panelTitle, refId, expr }) => {
          const concrete = concreteQuery(expr, { rateInterval: RATE_INTERVAL });
          const response = await prom.query(concrete);
          const result = response.data?.result;
          const problem =
            response.status !== 'success'
              ? `${response.errorType ?? 'error'}: ${response.error ?? ''}`
              : !Array.isArray(result) || result.length === 0
                ? 'no data'
                : (result as InstantSample[]).every((s) => !Number.isFinite(Number(s.value[1])))
                  ? `only NaN/Inf: ${JSON.stringify(result)}`
                  : undefined;
          if (problem !== undefined) problems.push(`${panelTitle} (${refId}): ${problem}\n    ${concrete}`);
        }),
      );
      expect(problems.sort(), `${problems.length} of ${queries.length} dashboard queries failed`).toEqual([]);
    });

    it('the chained template variables list this namespace, both kinds and both groups', async () => {
      const prom = prometheus as PrometheusProcess;
      const values = async (key: keyof typeof VARIABLE_QUERIES) => {
        const { metric, label } = VARIABLE_QUERIES[key];
        return (await prom.labelValues(label, concreteQuery(metric))).sort();
      };
      expect(await values('namespace')).toEqual([namespace]);
      expect(await values('kind')).toEqual(['ComputeFleet', 'ScaleSet']);
      expect(await values('name')).toEqual([FLEET, SET].sort());
    });

    it('summed vmfleet_hourly_cost equals the Running instances’ prices in the API (1e-9)', async () => {
      const prom = prometheus as PrometheusProcess;
      await eventually(async () => {
        const instances = await allInstances();
        const running = instances.filter(
          (i) => i.status?.phase === 'Running' && i.metadata.deletionTimestamp === undefined,
        );
        expect(running).toHaveLength(TOTAL);
        const expected = running.reduce((sum, i) => sum + (i.status?.pricePerHour ?? 0), 0);
        expect(expected).toBeGreaterThan(0);
        const cost = await prom.value('sum(vmfleet_hourly_cost)');
        expect(cost, 'sum(vmfleet_hourly_cost)').toBeDefined();
        expect(
          Math.abs((cost ?? Number.NaN) - expected),
          `Prometheus ${cost} vs API ${expected}`,
        ).toBeLessThan(1e-9);
        // And per group, against status.hourlyCost (rounded to 1e-6 USD in status).
        for (const [kind, name] of [
          ['ScaleSet', SET],
          ['ComputeFleet', FLEET],
        ] as const) {
          const group = await getGroup(kind, name);
          const perGroup = await prom.value(`sum(vmfleet_hourly_cost{kind="${kind}", name="${name}"})`);
          expect(Math.abs((perGroup ?? Number.NaN) - (group.status?.hourlyCost ?? Number.NaN))).toBeLessThan(
            1e-6,
          );
        }
      }, POLL);
    });

    it('each group’s skew gauges equal its status.spread', async () => {
      const prom = prometheus as PrometheusProcess;
      const byGroup = (samples: InstantSample[]) =>
        Object.fromEntries(samples.map((s) => [`${s.metric.kind}/${s.metric.name}`, Number(s.value[1])]));
      await eventually(async () => {
        const zoneSkew = byGroup(await prom.vector('vmfleet_zone_skew'));
        // Not only zeros: the ScaleSet's 7 VMs over 3 zones are skewed.
        expect(zoneSkew[`ScaleSet/${SET}`], 'ScaleSet zone skew').toBeGreaterThan(0);
        const faultDomainSkew = byGroup(await prom.vector('vmfleet_fault_domain_skew'));
        const largestZoneShare = byGroup(await prom.vector('vmfleet_largest_zone_share'));
        for (const gauge of [zoneSkew, faultDomainSkew, largestZoneShare]) {
          expect(Object.keys(gauge).sort()).toEqual([`ComputeFleet/${FLEET}`, `ScaleSet/${SET}`]);
        }
        for (const [kind, name] of [
          ['ScaleSet', SET],
          ['ComputeFleet', FLEET],
        ] as const) {
          const spread = (await getGroup(kind, name)).status?.spread;
          const key = `${kind}/${name}`;
          expect(spread, `${key} status.spread`).toBeDefined();
          expect(zoneSkew[key], `${key} vmfleet_zone_skew`).toBe(spread?.zoneSkew);
          expect(faultDomainSkew[key], `${key} vmfleet_fault_domain_skew`).toBe(spread?.faultDomainSkew);
          expect(
            Math.abs((largestZoneShare[key] ?? Number.NaN) - (spread?.largestZoneShare ?? Number.NaN)),
            `${key} vmfleet_largest_zone_share ${largestZoneShare[key]} vs status ${spread?.largestZoneShare}`,
          ).toBeLessThanOrEqual(1e-4);
        }
      }, POLL);
    });
  });
});
