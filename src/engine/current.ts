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
  /** Every instance that is not Failed, ascending instanceId: these count toward capacity and balance. */
  readonly counted: readonly CurrentInstance[];
  /** vCPUs per size name (0 for a size the region no longer lists). */
  readonly vCpusOf: ReadonlyMap<string, number>;
  readonly failed: readonly CurrentInstance[];
  readonly stale: readonly StaleInstance[];
  /** The counted instances aggregated per size × zone × fault domain × priority. */
  readonly ledger: Ledger;
}

export function classifyCurrent(
  current: readonly CurrentInstance[],
  spec: GroupSpec,
  allowed: readonly AllowedSize[],
  catalogue: ReadonlyMap<string, SizeInfo>,
): CurrentState {
  const allowedNames = new Set(allowed.map((a) => a.info.name));
  const counted: CurrentInstance[] = [];
  const failed: CurrentInstance[] = [];
  const stale: StaleInstance[] = [];
  const ledger = new Ledger();
  const singlePriority: Priority | undefined =
    spec.kind === 'ScaleSet' && !spec.priorityMix ? spec.priority : undefined;
  const ascending = current.every((instance, i) => i === 0 || (current[i - 1]?.id ?? 0) < instance.id);
  const sorted = ascending ? current : [...current].sort((a, b) => a.id - b.id);
  const vCpusOf = new Map<string, number>();
  // Instances come in creation order, so runs of one size are common: remember the last size's facts.
  let lastSize: string | undefined;
  let lastVCpus = 0;
  let lastAllowed = false;
  for (const instance of sorted) {
    if (instance.phase === 'Failed') {
      failed.push(instance);
      continue;
    }
    if (instance.size !== lastSize) {
      lastSize = instance.size;
      let vCPUs = vCpusOf.get(instance.size);
      if (vCPUs === undefined) {
        vCPUs = catalogue.get(instance.size)?.vCPUs ?? 0;
        vCpusOf.set(instance.size, vCPUs);
      }
      lastVCpus = vCPUs;
      lastAllowed = allowedNames.has(instance.size);
    }
    counted.push(instance);
    ledger.add(instance, lastVCpus, 1);
    const modelChanged = instance.modelHash !== spec.modelHash;
    const sizeDropped = !lastAllowed;
    const priorityChanged = singlePriority !== undefined && instance.priority !== singlePriority;
    if (!modelChanged && !sizeDropped && !priorityChanged) continue;
    const reasons: StaleReason[] = [];
    if (modelChanged) reasons.push('ModelChanged');
    if (sizeDropped) reasons.push('SizeNotAllowed');
    if (priorityChanged) reasons.push('PriorityChanged');
    stale.push({ id: instance.id, name: instance.name, reasons });
  }
  return { counted, vCpusOf, failed, stale, ledger };
}

/** Wraps instances with their vCPUs and capacity units, for the (rarer) passes that need them one by one. */
export function withUnits(
  instances: readonly CurrentInstance[],
  vCpusOf: ReadonlyMap<string, number>,
  unit: CapacityUnit,
): CountedInstance[] {
  return instances.map((instance) => {
    const vCPUs = vCpusOf.get(instance.size) ?? 0;
    return { instance, vCPUs, units: unitsOf(unit, vCPUs) };
  });
}

/** Instances of one size × zone × fault domain × priority. */
export interface LedgerCell {
  readonly size: string;
  readonly zone: string;
  readonly faultDomain: number;
  readonly priority: Priority;
  readonly vCPUs: number;
  count: number;
  /** How many of them are Deallocated (they count, but cost nothing). */
  deallocated: number;
}

/**
 * Counts per size × zone × fault domain × priority under small numeric keys, so the per-instance work of a
 * plan is a couple of map lookups and the rest of the engine iterates cells (at most a few hundred).
 */
export class Ledger {
  private readonly sizeIndex = new Map<string, number>();
  private readonly zoneIndex = new Map<string, number>();
  private readonly byKey = new Map<number, LedgerCell>();

  add(
    at: { size: string; zone: string; faultDomain: number; priority: Priority; phase?: string },
    vCPUs: number,
    count: number,
  ): void {
    const key = this.key(at.size, at.zone, at.faultDomain, at.priority);
    let cell = this.byKey.get(key);
    if (!cell) {
      cell = {
        size: at.size,
        zone: at.zone,
        faultDomain: at.faultDomain,
        priority: at.priority,
        vCPUs,
        count: 0,
        deallocated: 0,
      };
      this.byKey.set(key, cell);
    }
    cell.count += count;
    if (at.phase === 'Deallocated') cell.deallocated += count;
  }

  cells(): LedgerCell[] {
    return [...this.byKey.values()].filter((cell) => cell.count > 0);
  }

  private lastSize: string | undefined;
  private lastZone: string | undefined;
  private lastBase = 0;

  private key(size: string, zone: string, faultDomain: number, priority: Priority): number {
    if (size === this.lastSize && zone === this.lastZone) {
      return (this.lastBase * 64 + faultDomain) * 2 + (priority === 'Spot' ? 1 : 0);
    }
    let sizeIndex = this.sizeIndex.get(size);
    if (sizeIndex === undefined) {
      sizeIndex = this.sizeIndex.size;
      this.sizeIndex.set(size, sizeIndex);
    }
    let zoneIndex = this.zoneIndex.get(zone);
    if (zoneIndex === undefined) {
      zoneIndex = this.zoneIndex.size;
      this.zoneIndex.set(zone, zoneIndex);
    }
    this.lastSize = size;
    this.lastZone = zone;
    this.lastBase = zoneIndex * 4096 + sizeIndex;
    return (this.lastBase * 64 + faultDomain) * 2 + (priority === 'Spot' ? 1 : 0);
  }
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

  static of(ledger: Ledger): Occupancy {
    const occupancy = new Occupancy();
    for (const cell of ledger.cells()) occupancy.add(cell.zone, cell.faultDomain, cell.vCPUs, cell.count);
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
