import { describe, expect, it } from 'vitest';
import { EvictionLedger } from '../../../src/controllers/eviction-ledger.ts';

describe('EvictionLedger', () => {
  it('adds recorded evictions to what the cached status says until a write carries them', () => {
    const ledger = new EvictionLedger();
    ledger.record('ns/fleet', 2);
    expect(ledger.total('ns/fleet', 1)).toBe(3);
    ledger.written('ns/fleet', 3);
    // The cache still shows the old status: the written total stands.
    expect(ledger.total('ns/fleet', 1)).toBe(3);
    // The cache caught up: nothing is counted twice.
    expect(ledger.total('ns/fleet', 3)).toBe(3);
  });

  it('keeps an eviction recorded while a status write is in flight', () => {
    const ledger = new EvictionLedger();
    ledger.record('ns/fleet', 2);
    const carried = ledger.total('ns/fleet', 0);
    ledger.record('ns/fleet', 1); // the Region controller evicts one more during the write
    ledger.written('ns/fleet', carried);
    expect(carried).toBe(2);
    expect(ledger.total('ns/fleet', 0)).toBe(3);
    expect(ledger.total('ns/fleet', 2)).toBe(3);
  });

  it('peek gives the same total and changes nothing', () => {
    const ledger = new EvictionLedger();
    ledger.record('ns/fleet', 2);
    expect(ledger.peek('ns/fleet', 1)).toBe(3);
    ledger.record('ns/fleet', 1);
    expect(ledger.peek('ns/fleet', 1)).toBe(4);
    const carried = ledger.total('ns/fleet', 1);
    expect(carried).toBe(4);
    ledger.written('ns/fleet', carried);
    expect(ledger.peek('ns/fleet', 1)).toBe(4);
    expect(ledger.peek('ns/fleet', 4)).toBe(4);
    expect(ledger.peek('ns/other', 7)).toBe(7);
  });

  it('keeps owners apart', () => {
    const ledger = new EvictionLedger();
    ledger.record('ns/a', 1);
    expect(ledger.total('ns/b', 4)).toBe(4);
    expect(ledger.total('ns/a', 0)).toBe(1);
  });
});
