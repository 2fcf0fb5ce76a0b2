// Creations and deletions a group controller has sent but its Instance cache has not shown yet
// (controller-runtime's and the ReplicaSet controller's "expectations"). Until the cache catches up, a
// reconcile would see the world as it was before its own writes and act twice; so it waits instead.
import type { Clock } from '../runtime/index.ts';

interface Pending {
  creates: Set<string>;
  deletes: Set<string>;
  /**
   * Writes among them that failed without an answer saying whether they happened (the API server went away
   * mid-request). The cache may never show them; the reconciler asks the API server instead (confirm).
   */
  uncertain: Set<string>;
  /** After this, the expectation is dropped: a watch event we never get must not stall the group. */
  expiresAt: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(clock: Clock, ttlMs = 30_000) {
    this.clock = clock;
    this.ttlMs = ttlMs;
  }

  expect(ownerKey: string, change: { creates?: readonly string[]; deletes?: readonly string[] }): void {
    const entry = this.pending.get(ownerKey) ?? {
      creates: new Set(),
      deletes: new Set(),
      uncertain: new Set(),
      expiresAt: 0,
    };
    for (const name of change.creates ?? []) entry.creates.add(name);
    for (const name of change.deletes ?? []) entry.deletes.add(name);
    entry.expiresAt = this.clock.now() + this.ttlMs;
    this.pending.set(ownerKey, entry);
  }

  /** Whether the cache now reflects every write made for `ownerKey`; forgets what it has seen. */
  satisfied(ownerKey: string, inCache: (name: string) => 'present' | 'deleting' | 'absent'): boolean {
    const entry = this.pending.get(ownerKey);
    if (entry === undefined) return true;
    for (const name of entry.creates) if (inCache(name) !== 'absent') entry.creates.delete(name);
    for (const name of entry.deletes) if (inCache(name) !== 'present') entry.deletes.delete(name);
    for (const name of entry.uncertain)
      if (!entry.creates.has(name) && !entry.deletes.has(name)) entry.uncertain.delete(name);
    if ((entry.creates.size === 0 && entry.deletes.size === 0) || this.clock.now() >= entry.expiresAt) {
      this.pending.delete(ownerKey);
      return true;
    }
    return false;
  }

  /**
   * Writes that certainly did not happen (refused by the API server, or never sent): their watch events
   * will never come, so stop waiting for them (the ReplicaSet controller's CreationObserved on failure).
   */
  lower(ownerKey: string, change: { creates?: readonly string[]; deletes?: readonly string[] }): void {
    const entry = this.pending.get(ownerKey);
    if (entry === undefined) return;
    for (const name of change.creates ?? []) entry.creates.delete(name);
    for (const name of change.deletes ?? []) entry.deletes.delete(name);
    for (const name of [...(change.creates ?? []), ...(change.deletes ?? [])]) entry.uncertain.delete(name);
  }

  /**
   * After a failed batch of writes (see runtime/write-pool.ts): stop waiting for the ones certainly not
   * done; keep the uncertain ones, for `confirm` to settle.
   */
  writesFailed(
    ownerKey: string,
    kind: 'creates' | 'deletes',
    notDone: readonly string[],
    uncertain: readonly string[],
  ): void {
    this.lower(ownerKey, { [kind]: notDone });
    const entry = this.pending.get(ownerKey);
    if (entry === undefined) return;
    for (const name of uncertain) entry.uncertain.add(name);
  }

  /** Uncertain writes still awaited, as the creates and deletes they were. */
  uncertain(ownerKey: string): { creates: string[]; deletes: string[] } {
    const entry = this.pending.get(ownerKey);
    if (entry === undefined) return { creates: [], deletes: [] };
    const names = [...entry.uncertain];
    return {
      creates: names.filter((n) => entry.creates.has(n)),
      deletes: names.filter((n) => entry.deletes.has(n)),
    };
  }

  /**
   * What the API server says of an uncertain write: `happened` keeps waiting for the cache to show it (it
   * will), `notDone` stops waiting. Either way it is no longer uncertain.
   */
  confirm(ownerKey: string, name: string, outcome: 'happened' | 'notDone'): void {
    const entry = this.pending.get(ownerKey);
    if (entry === undefined) return;
    entry.uncertain.delete(name);
    if (outcome === 'notDone') {
      entry.creates.delete(name);
      entry.deletes.delete(name);
    }
  }

  forget(ownerKey: string): void {
    this.pending.delete(ownerKey);
  }
}
