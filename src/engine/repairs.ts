// Automatic repairs (reference/azure-domain.md §1.9): which Unhealthy VMs to repair now. Pure.
//
// A VM is due when it is Running, Unhealthy for at least the grace period, launched at least the grace
// period ago (a VM still warming up is left alone), has no repair in progress and is not protected from
// scale-set actions. A batch repairs at most 5% of capacity (at least 1: one at a time below 20 VMs, as in
// Azure); the next batch waits until the previous one is done (the caller says whether the group is
// settled). Order: longest Unhealthy first, then name.

export interface RepairCandidate {
  readonly name: string;
  readonly phase: string;
  readonly unhealthy: boolean;
  /** When health last changed (ms); undefined when unknown (treated as now: not due). */
  readonly healthChangedAt: number | undefined;
  readonly launchedAt: number | undefined;
  readonly protectedFromScaleSetActions: boolean;
  readonly repairInProgress: boolean;
}

export interface RepairInput {
  readonly instances: readonly RepairCandidate[];
  readonly capacity: number;
  readonly gracePeriodMs: number;
  readonly nowMs: number;
  /** Why the group is not settled (scaling, paused, a repair in flight); undefined when it is. */
  readonly suspended: string | undefined;
}

export interface RepairDecision {
  /** VMs to repair in this batch, in order. */
  readonly batch: readonly string[];
  /** Unhealthy VMs (Running), due or not. */
  readonly unhealthy: number;
  /** Unhealthy VMs skipped because they are protected from scale-set actions. */
  readonly protectedSkipped: readonly string[];
  readonly inProgress: number;
  /** When the next VM becomes due (ms), for a timely look again; undefined when none will. */
  readonly nextDueAt: number | undefined;
  readonly suspended: string | undefined;
}

/** At most 5% of capacity per batch, at least one. */
export function repairBatchSize(capacity: number): number {
  return Math.max(1, Math.floor((capacity * 5) / 100));
}

function dueAt(c: RepairCandidate, gracePeriodMs: number): number | undefined {
  if (c.healthChangedAt === undefined || c.launchedAt === undefined) return undefined;
  return Math.max(c.healthChangedAt, c.launchedAt) + gracePeriodMs;
}

export function decideRepairs(input: RepairInput): RepairDecision {
  const unhealthy = input.instances.filter((c) => c.phase === 'Running' && c.unhealthy);
  const inProgress = input.instances.filter((c) => c.repairInProgress).length;
  const protectedSkipped = unhealthy
    .filter((c) => c.protectedFromScaleSetActions)
    .map((c) => c.name)
    .sort();
  const eligible = unhealthy.filter((c) => !c.protectedFromScaleSetActions && !c.repairInProgress);
  const due = eligible
    .map((c) => ({ c, at: dueAt(c, input.gracePeriodMs) }))
    .filter((x): x is { c: RepairCandidate; at: number } => x.at !== undefined);
  const ready = due
    .filter((x) => x.at <= input.nowMs)
    .sort(
      (a, b) =>
        (a.c.healthChangedAt ?? 0) - (b.c.healthChangedAt ?? 0) ||
        (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0),
    );
  const later = due.filter((x) => x.at > input.nowMs).map((x) => x.at);
  const nextDueAt = later.length > 0 ? Math.min(...later) : undefined;
  const suspended = input.suspended ?? (inProgress > 0 ? `${inProgress} repair(s) in progress` : undefined);
  const batch =
    suspended === undefined ? ready.slice(0, repairBatchSize(input.capacity)).map((x) => x.c.name) : [];
  return {
    batch,
    unhealthy: unhealthy.length,
    protectedSkipped,
    inProgress,
    nextDueAt: ready.length > batch.length && suspended === undefined ? input.nowMs : nextDueAt,
    suspended,
  };
}
