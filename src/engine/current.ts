// The current instances, classified once: which count toward capacity (all but Failed), which are stale, and
// how many sit in each zone and fault domain. Everything after this works on these aggregates, never on
// repeated passes over the instance list.
import type { AllowedSize } from './sizes.ts';
import type {
  CapacityUnit,
  CurrentInstance,
  GroupSpec,
  Priority,
  SizeInfo,
  StaleInstance,
  StaleReason,
} from './types.ts';

export interface CountedInstance {
  readonly instance: CurrentInstance;
  readonly vCPUs: number;
  /** 1 per VM, or its vCPUs with capacity unit VCpu. */
  readonly units: number;
}

export interface CurrentState {
  /** Every instance that is not Failed: these count toward capacity and balance. */
  readonly counted: readonly CountedInstance[];
  readonly failed: readonly CurrentInstance[];
  readonly stale: readonly StaleInstance[];
}

export function classifyCurrent(
  current: readonly CurrentInstance[],
  spec: GroupSpec,
  allowed: readonly AllowedSize[],
  catalogue: ReadonlyMap<string, SizeInfo>,
): CurrentState {
  const allowedNames = new Set(allowed.map((a) => a.info.name));
  const counted: CountedInstance[] = [];
  const failed: CurrentInstance[] = [];
  const stale: StaleInstance[] = [];
  const singlePriority: Priority | undefined =
    spec.kind === 'ScaleSet' && !spec.priorityMix ? spec.priority : undefined;
  const sorted = [...current].sort((a, b) => a.id - b.id);
  for (const instance of sorted) {
    if (instance.phase === 'Failed') {
      failed.push(instance);
      continue;
    }
    const vCPUs = catalogue.get(instance.size)?.vCPUs ?? 0;
    counted.push({ instance, vCPUs, units: unitsOf(spec.capacityUnit, vCPUs) });
    const reasons: StaleReason[] = [];
    if (instance.modelHash !== spec.modelHash) reasons.push('ModelChanged');
    if (!allowedNames.has(instance.size)) reasons.push('SizeNotAllowed');
    if (singlePriority !== undefined && instance.priority !== singlePriority) reasons.push('PriorityChanged');
    if (reasons.length > 0) stale.push({ id: instance.id, name: instance.name, reasons });
  }
  return { counted, failed, stale };
}

export function unitsOf(unit: CapacityUnit, vCPUs: number): number {
  return unit === 'VCpu' ? vCPUs : 1;
}

/** Instances (and vCPUs) per zone and per zone × fault domain, kept up to date as the plan removes and adds. */
export class Occupancy {
  private readonly zoneCounts = new Map<string, number>();
  private readonly zoneVCpus = new Map<string, number>();
  private readonly domainCounts = new Map<string, number[]>();
  private total = 0;

  static of(counted: readonly CountedInstance[]): Occupancy {
    const occupancy = new Occupancy();
    for (const c of counted) occupancy.add(c.instance.zone, c.instance.faultDomain, c.vCPUs, 1);
    return occupancy;
  }

  add(zone: string, faultDomain: number, vCPUs: number, count: number): void {
    this.zoneCounts.set(zone, (this.zoneCounts.get(zone) ?? 0) + count);
    this.zoneVCpus.set(zone, (this.zoneVCpus.get(zone) ?? 0) + vCPUs * count);
    let domains = this.domainCounts.get(zone);
    if (!domains) {
      domains = [];
      this.domainCounts.set(zone, domains);
    }
    while (domains.length <= faultDomain) domains.push(0);
    domains[faultDomain] = (domains[faultDomain] ?? 0) + count;
    this.total += count;
  }

  remove(zone: string, faultDomain: number, vCPUs: number): void {
    this.add(zone, faultDomain, vCPUs, -1);
  }

  count(zone: string): number {
    return this.zoneCounts.get(zone) ?? 0;
  }

  vCpus(zone: string): number {
    return this.zoneVCpus.get(zone) ?? 0;
  }

  domainCount(zone: string, faultDomain: number): number {
    return this.domainCounts.get(zone)?.[faultDomain] ?? 0;
  }

  totalCount(): number {
    return this.total;
  }

  zones(): string[] {
    return [...this.zoneCounts.keys()].filter((zone) => (this.zoneCounts.get(zone) ?? 0) > 0);
  }
}
