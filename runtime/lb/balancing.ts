// The choice of a target among the routable ones: ALB's algorithms
// (round_robin, least_outstanding_requests, weighted_random), slow start's
// weight ramp, and NLB's source_ip affinity (rendezvous hashing, so a target
// leaving moves only its own clients).
//
// Candidates come as an array the target group keeps between changes (no
// allocation per pick); each candidate has a stable key and its in-flight
// count.

import type { Algorithm } from './model.js'

export interface Candidate {
  readonly key: string
  /** Requests (or connections) in flight. */
  readonly inFlight: number
}

/** Slow start's weight of a target that turned healthy at `since`: 0 → 1 linearly over `durationMs`. */
export function slowStartWeight(since: number, durationMs: number, now: number): number {
  if (durationMs <= 0) return 1
  const w = (now - since) / durationMs
  return w >= 1 ? 1 : Math.max(0.01, w)
}

export interface Balancer {
  /**
   * The index of the chosen candidate. weights: per candidate (same order),
   * undefined when all weigh the same.
   */
  choose<C extends Candidate>(candidates: readonly C[], weights: readonly number[] | undefined): number
  /** The candidate set changed (targets came or went): forget per-target state of those gone. */
  reset(): void
}

/**
 * Round robin; with weights (slow start), smooth weighted round robin: each
 * pick adds every candidate's weight to its credit, takes the one with the
 * most, and charges it the total — so shares follow the weights and a
 * lighter target's picks are spread out rather than bunched.
 */
export class RoundRobin implements Balancer {
  #next = 0
  #credit = new Map<string, number>()

  choose<C extends Candidate>(candidates: readonly C[], weights: readonly number[] | undefined): number {
    const n = candidates.length
    if (weights === undefined) {
      const i = this.#next % n
      this.#next = (i + 1) % n
      return i
    }
    let total = 0
    let best = 0
    let bestCredit = -Infinity
    for (let i = 0; i < n; i++) {
      const key = candidates[i].key
      const credit = (this.#credit.get(key) ?? 0) + weights[i]
      this.#credit.set(key, credit)
      total += weights[i]
      if (credit > bestCredit) {
        bestCredit = credit
        best = i
      }
    }
    this.#credit.set(candidates[best].key, bestCredit - total)
    this.#next = (best + 1) % n
    return best
  }

  reset(): void {
    this.#credit.clear()
  }
}

/** Least outstanding requests: the fewest in flight; ties go round robin. */
export class LeastOutstanding implements Balancer {
  #next = 0

  choose<C extends Candidate>(candidates: readonly C[]): number {
    const n = candidates.length
    const start = this.#next % n
    let best = start
    let least = candidates[start].inFlight
    for (let k = 1; k < n && least > 0; k++) {
      const i = (start + k) % n
      if (candidates[i].inFlight < least) {
        least = candidates[i].inFlight
        best = i
      }
    }
    this.#next = (best + 1) % n
    return best
  }

  reset(): void {}
}

/** A small seeded PRNG (mulberry32): the same seed, the same sequence. */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** 32-bit FNV-1a of a string. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** Weighted random: a draw proportional to the weights (equal without them), from a seeded PRNG. */
export class WeightedRandom implements Balancer {
  readonly #random: () => number

  constructor(seed: number) {
    this.#random = prng(seed)
  }

  choose<C extends Candidate>(candidates: readonly C[], weights: readonly number[] | undefined): number {
    const n = candidates.length
    if (weights === undefined) return Math.min(n - 1, Math.floor(this.#random() * n))
    let total = 0
    for (let i = 0; i < n; i++) total += weights[i]
    let r = this.#random() * total
    for (let i = 0; i < n; i++) {
      r -= weights[i]
      if (r < 0) return i
    }
    return n - 1
  }

  reset(): void {}
}

export function balancerFor(algorithm: Algorithm, seed: number): Balancer {
  switch (algorithm) {
    case 'least_outstanding_requests': return new LeastOutstanding()
    case 'weighted_random': return new WeightedRandom(seed)
    default: return new RoundRobin()
  }
}

/** source_ip affinity: the candidate with the highest hash of (source, key) — stable while it stays. */
export function bySourceIp<C extends Candidate>(candidates: readonly C[], sourceIp: string): number {
  let best = 0
  let bestHash = -1
  const h0 = fnv1a(sourceIp)
  for (let i = 0; i < candidates.length; i++) {
    const h = fnv1a(candidates[i].key, h0 ^ 0x9e3779b9)
    if (h > bestHash) {
      bestHash = h
      best = i
    }
  }
  return best
}
