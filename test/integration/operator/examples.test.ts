// Each example of deploy/examples/, applied as a user would (in a namespace and Region of its own), ends with
// every Instance Running where the engine planned it, and a status that says Ready with the cost and skew
// of what runs.
import { it } from 'vitest';
import { parseWith, ComputeFleetSpec, ScaleSetSpec } from '../../../src/api/index.ts';
import { describeCluster } from '../cluster.ts';
import {
  createGroup,
  distributionOf,
  emptyPools,
  example,
  getRegion,
  hourlyCostOf,
  newWorld,
  planDistribution,
  planOnEmptyRegion,
  poolOf,
  waitReady,
  zoneSkew,
} from './support.ts';

const EXAMPLES = [
  'scaleset-web.yaml',
  'scaleset-batch-spot-mix.yaml',
  'scaleset-resilient.yaml',
  'computefleet-mixed.yaml',
  'computefleet-vcpu.yaml',
] as const;

describeCluster('the examples of deploy/examples on the real control plane', () => {
  it.concurrent.for(EXAMPLES)(
    '%s: Instances Running as the engine planned, status Ready',
    async (file, { expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, file.replace(/\.yaml$/, '').slice(0, 18));
      const manifest = example(world, file);
      const regionSpec = (await getRegion(world)).spec;
      const expected = planOnEmptyRegion(manifest, regionSpec);
      const total = expected.creates.reduce((n, c) => n + c.count, 0);
      expect(total).toBeGreaterThan(0);

      await world.startOperator();
      await createGroup(world, manifest);
      const { group, instances } = await waitReady(world, manifest.kind, manifest.metadata.name, total);

      // Placement: exactly the engine's plan for the same spec on the same Region (size × zone × FD × priority).
      expect(distributionOf(instances)).toEqual(planDistribution(expected));
      expect(instances.map((i) => i.metadata.name)).toEqual(
        instances.map((i) => `${manifest.metadata.name}-${i.spec.instanceId}`),
      );

      // Each VM is billed its pool's price; the group's cost is the sum over its Running VMs.
      const pools = emptyPools(regionSpec);
      for (const i of instances) {
        expect(i.status?.pricePerHour, i.metadata.name).toBe(
          poolOf(pools, i.spec.vmSize, i.spec.zone, i.spec.priority).pricePerHour,
        );
      }
      expect(group.status?.hourlyCost).toBeCloseTo(hourlyCostOf(instances), 6);
      expect(group.status?.hourlyCost).toBeCloseTo(expected.hourlyCost, 6);

      // Spread: balanced groups keep zones within one VM of each other; status reports the skew that is.
      const zones = manifest.spec['zones'] as string[];
      const skew = zoneSkew(instances, zones);
      const balanced =
        manifest.kind === 'ScaleSet' ||
        (manifest.spec['zoneAllocationPolicy'] as { distributionStrategy?: string } | undefined)
          ?.distributionStrategy === 'Balanced';
      if (balanced) expect(skew).toBeLessThanOrEqual(1);
      expect(group.status?.spread?.zoneSkew).toBe(skew);
      expect(group.status?.spread?.zoneSkew).toBe(expected.spread.zoneSkew);
      expect(group.status?.spread?.faultDomainSkew).toBe(expected.spread.faultDomainSkew);

      if (manifest.kind === 'ScaleSet') {
        const spec = parseWith(ScaleSetSpec, manifest.spec);
        if (!spec.ok) throw new Error('example does not parse');
        expect(group.status?.capacity).toBe(spec.value.capacity);
        expect(group.status?.readyInstances).toBe(spec.value.capacity);
        const spot = instances.filter((i) => i.spec.priority === 'Spot').length;
        expect(group.status?.byPriority).toEqual({ regular: total - spot, spot });
        const mix = spec.value.priorityMix;
        if (mix !== undefined) {
          // Spot Priority Mix: regular = min(C, base) + floor(max(0, C − base) × pct / 100), the rest Spot.
          const c = spec.value.capacity;
          const regular =
            Math.min(c, mix.baseRegularPriorityCount) +
            Math.floor(
              (Math.max(0, c - mix.baseRegularPriorityCount) * mix.regularPriorityPercentageAboveBase) / 100,
            );
          expect(group.status?.byPriority).toEqual({ regular, spot: c - regular });
        }
      } else {
        const spec = parseWith(ComputeFleetSpec, manifest.spec);
        if (!spec.ok) throw new Error('example does not parse');
        const vCpus = new Map(regionSpec.vmSizes.map((s) => [s.name, s.vCPUs]));
        for (const [key, profile] of [
          ['regular', spec.value.regular],
          ['spot', spec.value.spot],
        ] as const) {
          if (profile === undefined) continue;
          const mine = instances.filter((i) => i.spec.priority === (key === 'regular' ? 'Regular' : 'Spot'));
          const units =
            spec.value.capacityType === 'VM'
              ? mine.length
              : mine.reduce((sum, i) => sum + (vCpus.get(i.spec.vmSize) ?? 0), 0);
          // Met exactly in VMs; in vCPUs met with an overshoot smaller than one of its VMs.
          if (spec.value.capacityType === 'VM') expect(units).toBe(profile.capacity);
          else {
            expect(units).toBeGreaterThanOrEqual(profile.capacity);
            expect(units - profile.capacity).toBeLessThan(
              Math.max(...mine.map((i) => vCpus.get(i.spec.vmSize) ?? 0)),
            );
          }
          expect(group.status?.[key]).toMatchObject({ target: profile.capacity, fulfilled: units });
        }
      }
    },
  );
});
