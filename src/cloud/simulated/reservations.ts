// The reservation overlay: allocations the simulated cloud accepted that the caller's Instance list may
// not show yet.
//
// Why: the Instances are the ledger, but the list a controller passes comes from a watch cache that lags
// its own writes. After allocate() says yes, the Instance stays Pending in that cache until the status
// write (phase Provisioning) comes back through the watch; a second allocate() in that window would not
// see the first VM and could oversubscribe the pool. So every accepted allocation is also kept here, and
// counted for any request whose list does not show that Instance settled.
//
// Settled: the list shows the Instance past the state it was allocated from —
//   - Provisioning or Running (our answer was written), or Failed;
//   - Deallocated with an `evictedAt` later than when allocated (evicted again after our answer).
// Not settled: absent, Pending, or Deallocated from that eviction or an earlier one (a Spot restore whose
// answer is not written yet: the old Deallocated state holds no capacity, so the reservation must count).
// Comparing times, not just inequality, keeps a very old list (showing an eviction before the one the
// restore came from) on the safe side.
//
// Why entries are not dropped as soon as one list shows the Instance settled: callers' lists differ in
// freshness (two controllers, two caches, or a list captured before waiting for the region lock). Dropping
// on the first sighting would let an older list, which still shows the Instance Pending or not at all, miss
// it. Instead each request decides for itself, and an entry ends when
//   - the Instance is released (the finalizer path, or a Deallocated VM allocated afresh), or
//   - a list shows an Instance of the same name with a different uid (the reserved one was deleted), or
//   - the horizon passes (default 10 min): by then every cache must show the status write. This only
//     bounds a leak (an Instance deleted without its finalizer running); lists older than the horizon are
//     outside the contract.
import type { Instance } from '../../api/index.ts';
import { instanceKey, type LedgerEntry, type Placement } from '../ledger.ts';
import type { AllocationSuccess } from '../provider.ts';
import type { DeepReadonly } from '../readonly.ts';

export const DEFAULT_RESERVATION_HORIZON_MS = 10 * 60_000;

/** The caller's view of the Instances: only lookups by `namespace/name` are needed. */
export interface ListedInstances {
  get(key: string): DeepReadonly<Instance> | undefined;
}

interface Reservation {
  placement: Placement;
  uid: string | undefined;
  /** status.evictedAt of the Instance when it was allocated (set for a Spot restore). */
  evictedAt: string | undefined;
  reservedAtMs: number;
  result: AllocationSuccess;
}

function isSettled(reservation: Reservation, listed: DeepReadonly<Instance> | undefined): boolean {
  switch (listed?.status?.phase) {
    case undefined:
    case 'Pending':
      return false;
    case 'Provisioning':
    case 'Running':
    case 'Failed':
      return true;
    case 'Deallocated':
      return timeOf(listed.status.evictedAt) > timeOf(reservation.evictedAt);
  }
}

/** A missing or unreadable time sorts first: an eviction we cannot date is never taken as "later". */
function timeOf(iso: string | undefined): number {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export class ReservationOverlay {
  private readonly reservations = new Map<string, Reservation>();
  private readonly horizonMs: number;

  constructor(horizonMs = DEFAULT_RESERVATION_HORIZON_MS) {
    this.horizonMs = horizonMs;
  }

  get size(): number {
    return this.reservations.size;
  }

  /** The answer already given to this Instance (same name and, when both are known, same uid). */
  find(instance: DeepReadonly<Instance>): AllocationSuccess | undefined {
    const reservation = this.reservations.get(instanceKey(instance));
    if (!reservation || !sameIncarnation(reservation.uid, instance.metadata.uid)) return undefined;
    return reservation.result;
  }

  reserve(
    instance: DeepReadonly<Instance>,
    placement: Placement,
    result: AllocationSuccess,
    now: Date,
  ): void {
    this.reservations.set(instanceKey(instance), {
      placement,
      uid: instance.metadata.uid,
      evictedAt: instance.status?.evictedAt,
      reservedAtMs: now.getTime(),
      result,
    });
  }

  /**
   * The allocation accepted for this Instance (same incarnation) that the Instance does not show settled
   * yet, with when it was accepted: the VM exists in the cloud though the Instance still says otherwise.
   */
  unsettledFor(
    instance: DeepReadonly<Instance>,
  ): { result: AllocationSuccess; reservedAt: Date } | undefined {
    const reservation = this.reservations.get(instanceKey(instance));
    if (!reservation || !sameIncarnation(reservation.uid, instance.metadata.uid)) return undefined;
    if (isSettled(reservation, instance)) return undefined;
    return { result: reservation.result, reservedAt: new Date(reservation.reservedAtMs) };
  }

  /** Reservations of Instances the list does not show at all, by `namespace/name`. */
  unlisted(list: ListedInstances): { key: string; result: AllocationSuccess; reservedAt: Date }[] {
    const found: { key: string; result: AllocationSuccess; reservedAt: Date }[] = [];
    for (const [key, reservation] of this.reservations) {
      if (list.get(key) !== undefined) continue;
      found.push({ key, result: reservation.result, reservedAt: new Date(reservation.reservedAtMs) });
    }
    return found;
  }

  release(instance: DeepReadonly<Instance>): void {
    this.reservations.delete(instanceKey(instance));
  }

  /** Drops reservations past the horizon and those whose Instance the list shows re-created. */
  prune(list: ListedInstances, now: Date): void {
    const oldestKept = now.getTime() - this.horizonMs;
    for (const [key, reservation] of this.reservations) {
      const listed = list.get(key);
      const recreated = listed !== undefined && !sameIncarnation(reservation.uid, listed.metadata.uid);
      if (reservation.reservedAtMs < oldestKept || recreated) this.reservations.delete(key);
    }
  }

  /**
   * Ledger entries for the reservations this list does not show settled; `exceptKey` (the Instance being
   * allocated) is left out.
   */
  unsettled(list: ListedInstances, exceptKey?: string): LedgerEntry[] {
    const entries: LedgerEntry[] = [];
    for (const [key, reservation] of this.reservations) {
      if (key === exceptKey) continue;
      if (isSettled(reservation, list.get(key))) continue;
      entries.push({
        key,
        ...reservation.placement,
        holdsCapacity: true,
        holdsQuota: true,
      });
    }
    return entries;
  }
}

function sameIncarnation(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}
