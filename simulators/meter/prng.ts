/**
 * Seeded randomness for the simulator. Nothing here touches Math.random: the same seed gives the same
 * meter, the same faults and the same ground truth on every run.
 *
 * Two shapes are needed. `hash01(seed, a, b)` is random *access*: the variation of day 12 345 can be
 * asked for without drawing days 0..12 344 first, which is what lets a month be integrated in O(days).
 * `SeededRandom` is a plain sequence (mulberry32) for things that really happen in order, such as the
 * frames a corrupt-fault spoils.
 */

/** 32-bit finaliser (murmur3 fmix32): spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a seed and integer keys (any safe integers, negative too). */
export function hash32(seed: number, ...keys: number[]): number {
  let h = fmix32((seed | 0) ^ 0x9e3779b9);
  for (const k of keys) {
    // Fold both halves of a safe integer so that day numbers and ms values hash fully.
    const lo = k | 0;
    const hi = Math.floor(k / 0x1_0000_0000) | 0;
    h = fmix32(h ^ fmix32(lo + 0x7f4a7c15));
    h = fmix32(h ^ fmix32(hi + 0x165667b1));
  }
  return h;
}

/** hash32 for one or two keys that fit 32 bits (day numbers, hours): the hot path of the profiles. */
export function hashSmall(seed: number, a: number, b = 0x6a09e667): number {
  let h = fmix32((seed | 0) ^ 0x9e3779b9);
  h = fmix32(h ^ fmix32((a | 0) + 0x7f4a7c15));
  return fmix32(h ^ fmix32((b | 0) + 0x165667b1));
}

/** Uniform in [0, 1) from hashSmall. */
export function hashSmall01(seed: number, a: number, b?: number): number {
  return hashSmall(seed, a, b) / 0x1_0000_0000;
}

/** Uniform in [0, 1), fixed by the seed and the keys. */
export function hash01(seed: number, ...keys: number[]): number {
  return hash32(seed, ...keys) / 0x1_0000_0000;
}

/** Sequential seeded generator (mulberry32). */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = hash32(seed) | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }
}
