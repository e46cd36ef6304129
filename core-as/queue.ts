// Queue ordering: the dispatch order of runnable jobs.
//
//   higher queue priority first, then the compute environment's position in
//   the job's queue (a queue that lists the environment first goes first), then
//   submission sequence, then input position.
//
// A stable bottom-up merge sort of indices: O(n log n), no allocation.
// Starvation and backfill are handled by place() (see README.md, "Backfill
// and aging"), which consumes this order.

import { i32At, setI32At } from './state'

let priority: usize = 0
let envOrder: usize = 0
let sequence: usize = 0

@inline function before(a: i32, b: i32): bool {
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
  let src = out
  let dst = tmp
  for (let i = 0; i < count; i++) setI32At(src, i, i)
  for (let width = 1; width < count; width <<= 1) {
    for (let lo = 0; lo < count; lo += width << 1) {
      const mid = min(lo + width, count)
      const hi = min(lo + (width << 1), count)
      let i = lo
      let j = mid
      let o = lo
      while (i < mid && j < hi) {
        const a = i32At(src, i)
        const b = i32At(src, j)
        if (before(b, a)) {
          setI32At(dst, o++, b)
          j++
        } else {
          setI32At(dst, o++, a)
          i++
        }
      }
      while (i < mid) setI32At(dst, o++, i32At(src, i++))
      while (j < hi) setI32At(dst, o++, i32At(src, j++))
    }
    const swap = src
    src = dst
    dst = swap
  }
  if (src != out) memory.copy(out, src, <usize>count << 2)
}
