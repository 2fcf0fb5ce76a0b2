// Seeded randomness for the simulated cloud. Two kinds: a sequential PRNG (mulberry32) for code that draws
// many numbers in order, and a stateless keyed hash (`unitHash`) for decisions that must not depend on the
// order or cadence in which they are evaluated — e.g. "is this VM evicted during hour 4711?" gives the same
// answer whether the Region controller looks every second or once an hour, and after an operator restart.

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of the seed and the parts, in order (strings by UTF-16 code unit, numbers by value). */
export function hash32(seed: number, ...parts: readonly (string | number)[]): number {
  let h = fmix32(seed ^ 0x9e3779b9);
  const mix = (word: number): void => {
    h = Math.imul(h ^ fmix32(word), 0x01000193) >>> 0;
    h = (h << 13) | (h >>> 19);
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      // Split so that numbers beyond 32 bits (hour indexes, milliseconds) still hash every bit.
      mix(part % 4294967296);
      mix(Math.floor(part / 4294967296));
    } else {
      for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
      mix(part.length);
    }
    mix(0x5bd1e995); // separator: ("ab","c") and ("a","bc") hash apart
  }
  return fmix32(h);
}

/** A uniform number in [0, 1) determined only by the seed and the parts. */
export function unitHash(seed: number, ...parts: readonly (string | number)[]): number {
  return hash32(seed, ...parts) / 4294967296;
}
