// A stable bottom-up merge sort of indices 0..count-1 into `out`, with `tmp`
// as scratch (both i32[count]). No allocation. The order is one of the
// strict orders below, chosen by `order` (a plain switch, not a function
// reference: the core holds no function objects).

import { attrOf, i32At, setI32At } from './state'
import { jobBefore } from './queue'

/** Dispatch order of jobs (queue.ts). */
export const ORDER_JOBS: i32 = 0
/** Node indices by (value of attribute `key`, index). */
export const ORDER_BY_ATTR: i32 = 1

@inline function before(order: i32, key: i32, a: i32, b: i32): bool {
  if (order == ORDER_JOBS) return jobBefore(a, b)
  const va = attrOf(a, key)
  const vb = attrOf(b, key)
  return va < vb || (va == vb && a < b)
}

export function sortIndices(count: i32, out: usize, tmp: usize, order: i32, key: i32): void {
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
        if (before(order, key, b, a)) {
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
