// Automatic zone rebalancing (reference/azure-domain.md §1.5): after a zone outage left the set unbalanced,
// move VMs one at a time, create before delete. Pure.
//
// One move: the group surges by one VM (the placement engine puts it in the zone with the fewest VMs — the
// most under-filled one); once that VM runs, one VM of the most over-filled zone is deleted: not protected
// from scale-set actions, Running (Deallocated VMs are skipped, as in Azure), newest (highest instanceId)
// first. Moves repeat until max − min ≤ 1 over the zones. A move starts only when the under-filled zone is
// available again and some over-filled zone has a VM that may go.

export interface RebalanceInstance {
  readonly id: number;
  readonly name: string;
  readonly zone: string;
  readonly phase: string;
  readonly protectedFromScaleSetActions: boolean;
}

export interface InFlightMove {
  readonly fromZone: string;
  readonly toZone: string;
  readonly startedAt: number;
}

export interface RebalanceInput {
  readonly zones: readonly string[];
  /** Zones that can take a VM of the set now: available in the Region, offerings not all blocked. */
  readonly availableZones: readonly string[];
  readonly instances: readonly RebalanceInstance[];
  readonly capacity: number;
  readonly inFlight: InFlightMove | undefined;
  readonly nowMs: number;
  /** A move whose new VM has not run after this long is abandoned (Azure waits up to 90 min). */
  readonly moveTimeoutMs: number;
}

export type RebalanceDecision =
  | { readonly kind: 'balanced' }
  | { readonly kind: 'blocked'; readonly message: string }
  /** Surge by one VM (the engine places it in the emptiest zone). */
  | { readonly kind: 'start'; readonly move: InFlightMove }
  /** Keep the surge; the new VM is not Running yet. */
  | { readonly kind: 'wait'; readonly move: InFlightMove }
  /** The new VM runs: delete `victim`, the move is done. */
  | { readonly kind: 'finish'; readonly move: InFlightMove; readonly victim: string }
  | { readonly kind: 'abandon'; readonly message: string };

export function zoneCounts(
  zones: readonly string[],
  instances: readonly RebalanceInstance[],
): Map<string, number> {
  const counts = new Map(zones.map((z) => [z, 0]));
  for (const i of instances) if (counts.has(i.zone)) counts.set(i.zone, (counts.get(i.zone) ?? 0) + 1);
  return counts;
}

export function skewOf(counts: ReadonlyMap<string, number>): number {
  const values = [...counts.values()];
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}

const STARTING = new Set(['Pending', 'Provisioning']);

/** The VM to delete: from the fullest zone that has a removable one; newest first. */
function pickVictim(
  counts: ReadonlyMap<string, number>,
  instances: readonly RebalanceInstance[],
): RebalanceInstance | undefined {
  const zonesByFill = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [zone] of zonesByFill) {
    const removable = instances
      .filter((i) => i.zone === zone && i.phase === 'Running' && !i.protectedFromScaleSetActions)
      .sort((a, b) => b.id - a.id);
    if (removable[0] !== undefined) return removable[0];
  }
  return undefined;
}

export function decideRebalance(input: RebalanceInput): RebalanceDecision {
  const counts = zoneCounts(input.zones, input.instances);
  if (input.inFlight !== undefined) {
    const move = input.inFlight;
    const surged = input.instances.length > input.capacity;
    const starting = input.instances.some((i) => STARTING.has(i.phase));
    const timedOut = input.nowMs - move.startedAt > input.moveTimeoutMs;
    if (input.instances.some((i) => i.phase === 'Failed')) {
      return { kind: 'abandon', message: `the VM created for zone ${move.toZone} failed` };
    }
    if (!surged || starting) {
      return timedOut
        ? { kind: 'abandon', message: `the VM created for zone ${move.toZone} did not run in time` }
        : { kind: 'wait', move };
    }
    const newest = [...input.instances].sort((a, b) => b.id - a.id)[0];
    if (newest !== undefined && newest.zone !== move.toZone) {
      return { kind: 'abandon', message: `the new VM landed in zone ${newest.zone}, not ${move.toZone}` };
    }
    // Delete from the fullest zone as it is now (the new VM may have landed elsewhere than planned).
    const victim = pickVictim(counts, input.instances);
    if (victim === undefined) return { kind: 'abandon', message: 'no VM may be moved (all protected)' };
    return { kind: 'finish', move: { ...move, fromZone: victim.zone }, victim: victim.name };
  }
  if (input.zones.length < 2 || skewOf(counts) <= 1) return { kind: 'balanced' };
  const available = new Set(input.availableZones);
  const under = [...counts]
    .filter(([zone]) => available.has(zone))
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
  const max = Math.max(...counts.values());
  if (under === undefined || max - under[1] <= 1) {
    return {
      kind: 'blocked',
      message: 'no under-filled zone can take a VM: the zone is unavailable or its offerings are blocked',
    };
  }
  // Only zones more than one above the target zone help; a victim elsewhere would not reduce the skew.
  const over = new Map([...counts].filter(([, n]) => n - under[1] > 1));
  const victim = pickVictim(over, input.instances);
  if (victim === undefined) {
    return { kind: 'blocked', message: 'every VM of the over-filled zones is protected or not Running' };
  }
  return { kind: 'start', move: { fromZone: victim.zone, toZone: under[0], startedAt: input.nowMs } };
}
