// Seeded xorshift32: the random strategy replays exactly from its seed.

let state: u32 = 0x9e3779b9

export function seedRandom(seed: u32): void {
  state = seed == 0 ? 0x9e3779b9 : seed
}

export function nextRandom(): u32 {
  let x = state
  x ^= x << 13
  x ^= x >> 17
  x ^= x << 5
  state = x
  return x
}
