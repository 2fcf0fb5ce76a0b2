// Spot evictions in the simulated cloud (DESIGN §5, reference/azure-domain.md §1.10). Pure:
// SimulatedCloud.observe calls it with the Region and every Instance of the region; the Region controller
// (./region-controller.ts) then deletes (evictionPolicy Delete) or deallocates (Deallocate) the VMs named.
// Regular VMs are never evicted.
//
// Candidates: Spot VMs holding capacity (Provisioning or Running) that are not being deleted (those free
// their capacity anyway). Each VM is evicted for one reason, checked in this order:
//   1. PriceAboveMax   — the pool's Spot price is above the VM's max price (-1/absent: never).
//   2. CapacityReduced — the pool holds more VMs than the Region's Spot capacity now allows (after 1):
//                        exactly the excess goes, newest first (launchedAt, else creationTimestamp; a VM
//                        with neither counts as newest; ties → higher instanceId, then later name). Newest
//                        first loses the least finished work. Zonal pools first, then regional VMs against
//                        the zones' remaining room (see ../capacity.ts). A size the Region no longer offers
//                        for Spot has capacity 0.
//   3. RandomEviction  — at spec.simulation.spotEvictionRatePerHour, Running VMs only. For each VM and each
//                        clock hour, a keyed hash of (seed, VM, hour) decides whether the VM is evicted in that
//                        hour (probability = rate) and at which instant; the VM goes if that instant falls in
//                        (lastEvaluatedAt, now] and after it was launched. So the outcome does not depend on
//                        how often the controller evaluates, and survives a restart. No lastEvaluatedAt → no
//                        random evictions (nothing to draw over). At most 7 days are looked back.
import type { Instance, RegionSpec, RegionVmSize } from '../../api/index.ts';
import { zoneCapacity } from '../capacity.ts';
import { instanceKey } from '../ledger.ts';
import { compareText } from '../order.ts';
import { effectiveMaxPrice, poolPrice } from '../prices.ts';
import type { EvictionNotice, EvictionReason, ObserveRequest } from '../provider.ts';
import { unitHash } from '../random.ts';
import type { DeepReadonly } from '../readonly.ts';

type Vm = DeepReadonly<Instance>;

const HOUR_MS = 3_600_000;
const MAX_LOOKBACK_HOURS = 7 * 24;

export function findEvictions(request: ObserveRequest): EvictionNotice[] {
  const spec = request.region.spec;
  const sizes = new Map(spec.vmSizes.map((s) => [s.name, s]));
  const notices: EvictionNotice[] = [];
  const evict = (vm: Vm, reason: EvictionReason, message: string, at: Date): void => {
    notices.push({ namespace: vm.metadata.namespace ?? '', name: vm.metadata.name, reason, message, at });
  };

  let remaining = request.instances.filter(
    (vm) =>
      vm.spec.priority === 'Spot' &&
      vm.metadata.deletionTimestamp === undefined &&
      (vm.status?.phase === 'Provisioning' || vm.status?.phase === 'Running'),
  );

  remaining = remaining.filter((vm) => {
    const size = sizes.get(vm.spec.vmSize);
    const price = size ? poolPrice(size, vm.spec.zone, 'Spot') : undefined;
    const maxPrice = effectiveMaxPrice(vm.spec.maxPricePerHour);
    if (price === undefined || price <= maxPrice) return true;
    evict(vm, 'PriceAboveMax', priceMessage(price, maxPrice), request.now);
    return false;
  });

  const overCapacity = capacityVictims(spec, sizes, remaining);
  for (const { vm, message } of overCapacity) evict(vm, 'CapacityReduced', message, request.now);
  const gone = new Set(overCapacity.map((v) => instanceKey(v.vm)));
  remaining = remaining.filter((vm) => !gone.has(instanceKey(vm)));

  const rate = spec.simulation.spotEvictionRatePerHour;
  if (rate > 0 && request.lastEvaluatedAt) {
    for (const vm of remaining) {
      const at = randomEvictionTime(spec.simulation.seed, rate, vm, request.lastEvaluatedAt, request.now);
      if (at) evict(vm, 'RandomEviction', randomMessage(rate), at);
    }
  }

  return notices.sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
}

interface Victim {
  vm: Vm;
  message: string;
}

function capacityVictims(
  spec: DeepReadonly<RegionSpec>,
  sizes: ReadonlyMap<string, DeepReadonly<RegionVmSize>>,
  vms: readonly Vm[],
): Victim[] {
  const bySize = groupBy(vms, (vm) => vm.spec.vmSize);
  const victims: Victim[] = [];
  for (const [sizeName, ofSize] of [...bySize].sort(([a], [b]) => compareText(a, b))) {
    const size = sizes.get(sizeName);
    const capacityIn = (zone: string): number => (size ? zoneCapacity(size, zone, 'Spot') : 0);
    const byZone = groupBy(ofSize, (vm) => vm.spec.zone);
    let roomForRegional = 0;
    for (const zone of spec.zones) {
      const kept = Math.min(byZone.get(zone.name)?.length ?? 0, capacityIn(zone.name));
      roomForRegional += capacityIn(zone.name) - kept;
    }
    for (const [zone, inZone] of [...byZone].sort(([a], [b]) => compareText(a, b))) {
      const capacity = zone === '' ? roomForRegional : capacityIn(zone);
      const excess = inZone.length - capacity;
      if (excess <= 0) continue;
      const where = zone === '' ? 'regional' : `zone ${zone}`;
      const message =
        `Spot VM evicted: the platform needs the capacity back (${sizeName} ${where} Spot capacity ` +
        `${capacity}, ${inZone.length} in use)`;
      for (const vm of newestFirst(inZone).slice(0, excess)) victims.push({ vm, message });
    }
  }
  return victims;
}

function groupBy<K>(vms: readonly Vm[], keyOf: (vm: Vm) => K): Map<K, Vm[]> {
  const groups = new Map<K, Vm[]>();
  for (const vm of vms) {
    const key = keyOf(vm);
    const group = groups.get(key);
    if (group) group.push(vm);
    else groups.set(key, [vm]);
  }
  return groups;
}

function startedAtMs(vm: Vm): number {
  const stamp = vm.status?.launchedAt ?? vm.metadata.creationTimestamp;
  const ms = stamp === undefined ? Number.NaN : Date.parse(stamp);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Newest first: latest start, then higher instanceId, then later namespace/name (total order). */
export function newestFirst(vms: readonly Vm[]): Vm[] {
  return [...vms].sort(
    (a, b) =>
      compareNumbers(startedAtMs(b), startedAtMs(a)) ||
      b.spec.instanceId - a.spec.instanceId ||
      compareText(instanceKey(b), instanceKey(a)),
  );
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The instant in (from, to] at which the VM is randomly evicted, if any. */
export function randomEvictionTime(
  seed: number,
  rate: number,
  vm: Vm,
  from: Date,
  to: Date,
): Date | undefined {
  if (vm.status?.phase !== 'Running') return undefined;
  const launched = startedAtMs(vm);
  const startMs = Math.max(
    from.getTime(),
    Number.isFinite(launched) ? launched : from.getTime(),
    to.getTime() - MAX_LOOKBACK_HOURS * HOUR_MS,
  );
  const endMs = to.getTime();
  if (endMs <= startMs) return undefined;
  const key = instanceKey(vm);
  for (let hour = Math.floor(startMs / HOUR_MS); hour * HOUR_MS < endMs; hour++) {
    if (unitHash(seed, key, hour, 0) >= rate) continue;
    const at = hour * HOUR_MS + Math.floor(unitHash(seed, key, hour, 1) * HOUR_MS);
    if (at > startMs && at <= endMs) return new Date(at);
  }
  return undefined;
}

function priceMessage(price: number, maxPrice: number): string {
  return `Spot VM evicted: the Spot price ${price} USD/hour rose above its max price ${maxPrice} USD/hour`;
}

function randomMessage(rate: number): string {
  return `Spot VM evicted by the platform (simulated eviction rate ${rate} per VM per hour)`;
}
