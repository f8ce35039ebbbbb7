// mulberry32: a small seeded PRNG with every bit well mixed (a plain LCG's low
// bits repeat), so a run that fails can be replayed from its printed seed.

/** Uniform 32-bit unsigned integers from `seed`. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
