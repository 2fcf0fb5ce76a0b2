import { describe, expect, it } from 'vitest';
import { EvictionLedger } from '../../../src/controllers/eviction-ledger.ts';

/** Records evictions of `names` for one fleet (each a distinct VM). */
function evict(ledger: EvictionLedger, owner: string, ...names: string[]): void {
  for (const name of names) ledger.record(owner, `ns/${name}`);
}

describe('EvictionLedger', () => {
  it('adds recorded evictions to what the cached status says until a write carries them', () => {
    const ledger = new EvictionLedger();
    evict(ledger, 'ns/fleet', 'a', 'b');
    expect(ledger.total('ns/fleet', 1)).toBe(3);
    ledger.written('ns/fleet', 3);
    // The cache still shows the old status: the written total stands.
    expect(ledger.total('ns/fleet', 1)).toBe(3);
    // The cache caught up: nothing is counted twice.
    expect(ledger.total('ns/fleet', 3)).toBe(3);
  });

  it('keeps an eviction recorded while a status write is in flight', () => {
    const ledger = new EvictionLedger();
    evict(ledger, 'ns/fleet', 'a', 'b');
    const carried = ledger.total('ns/fleet', 0);
    evict(ledger, 'ns/fleet', 'c'); // the Region controller evicts one more during the write
    ledger.written('ns/fleet', carried);
    expect(carried).toBe(2);
    expect(ledger.total('ns/fleet', 0)).toBe(3);
    expect(ledger.total('ns/fleet', 2)).toBe(3);
  });

  it('counts an eviction only once the cache no longer shows its VM live, and each VM once', () => {
    const live = new Set(['ns/a', 'ns/b']);
    const ledger = new EvictionLedger((key) => live.has(key));
    evict(ledger, 'ns/fleet', 'a', 'b', 'b');
    // Both still run in the cache: the plan counts them as VMs, not as lost capacity.
    expect(ledger.total('ns/fleet', 0)).toBe(0);
    live.delete('ns/a');
    const carried = ledger.total('ns/fleet', 0);
    expect(carried).toBe(1);
    ledger.written('ns/fleet', carried);
    // b's delete reaches the cache after the write that carried a: it is counted next, once.
    live.delete('ns/b');
    expect(ledger.total('ns/fleet', 1)).toBe(2);
  });

  it('keeps owners apart', () => {
    const ledger = new EvictionLedger();
    evict(ledger, 'ns/a', 'x');
    expect(ledger.total('ns/b', 4)).toBe(4);
    expect(ledger.total('ns/a', 0)).toBe(1);
  });
});
