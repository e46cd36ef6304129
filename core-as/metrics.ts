// Per-batch metrics, written to the host's f64[METRIC_COUNT] buffer at the end
// of place(). Counted in f64 so a million-task batch never overflows.

import { M_NODES_EVALUATED, METRIC_COUNT } from './abi'

let base: usize = 0

export function metricsInit(ptr: usize): void {
  base = ptr
  memory.fill(ptr, 0, <usize>METRIC_COUNT << 3)
}

@inline export function addMetric(index: i32, amount: f64): void {
  const at = base + (<usize>index << 3)
  store<f64>(at, load<f64>(at) + amount)
}

@inline export function addEvaluated(): void {
  addMetric(M_NODES_EVALUATED, 1.0)
}
