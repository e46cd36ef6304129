// Queue ordering: the dispatch order of runnable jobs.
//
//   higher queue priority first, then the compute environment's position in
//   the job's queue (a queue that lists the environment first goes first), then
//   submission sequence, then input position.
//
// A stable merge sort of indices (sort.ts): O(n log n), no allocation.
// Starvation and backfill are handled by place() (see README.md, "Backfill
// and aging"), which consumes this order.

import { i32At } from './state'
import { ORDER_JOBS, sortIndices } from './sort'

let priority: usize = 0
let envOrder: usize = 0
let sequence: usize = 0

export function jobBefore(a: i32, b: i32): bool {
  const pa = i32At(priority, a)
  const pb = i32At(priority, b)
  if (pa != pb) return pa > pb
  const ea = i32At(envOrder, a)
  const eb = i32At(envOrder, b)
  if (ea != eb) return ea < eb
  const sa = i32At(sequence, a)
  const sb = i32At(sequence, b)
  if (sa != sb) return sa < sb
  return a < b
}

export function sortJobs(count: i32, prio: usize, env: usize, seq: usize, out: usize, tmp: usize): void {
  priority = prio
  envOrder = env
  sequence = seq
  sortIndices(count, out, tmp, ORDER_JOBS, 0)
}
