// The contract both placement cores (WebAssembly and the TypeScript twin) meet.

import * as abi from './abi.js'
import type { BatchShape, PlacementBatch } from './placement-batch.js'

export interface PlanMetrics {
  placed: number
  failed: number
  /** Leaves visited by searches, probes and failure scans. */
  nodesEvaluated: number
  filtered: { cpu: number; memory: number; gpu: number; constraint: number; inactive: number }
  /**
   * Nodes ruled out because a static host port the task needs is taken there
   * (kept out of `filtered`, whose shape Batch's callers and tests compare whole).
   */
  filteredPorts: number
  reservations: number
  /** Failures explained by a scan of every node (each distinct failing (cpu, memory) pair costs one). */
  failureScans: number
  /** Spread contexts built (a new group or attribute to spread over). */
  contextBuilds: number
  /** Capacity-index records searches descended into: the cost of placement, next to nodesEvaluated. */
  indexVisits: number
}

export interface PlacementCore {
  readonly kind: 'wasm' | 'typescript'
  /** A batch whose columns live where this core reads them; zero-filled, defaults set. */
  allocate(shape: BatchShape): PlacementBatch
  /** Validates, places every task, fills batch.plan; throws a typed error on bad input. */
  place(batch: PlacementBatch): PlanMetrics
  /** Dispatch order of jobs (see core-as/queue.ts): priority desc, env order, sequence. */
  orderJobs(priority: Int32Array, envOrder: Int32Array, sequence: Int32Array): Int32Array
  /** Gives the batch's memory back (WebAssembly); the batch must not be used afterwards. */
  release(batch: PlacementBatch): void
}

export function readMetrics(m: Float64Array): PlanMetrics {
  return {
    placed: m[abi.M_PLACED],
    failed: m[abi.M_FAILED],
    nodesEvaluated: m[abi.M_NODES_EVALUATED],
    filtered: {
      cpu: m[abi.M_FILTERED_CPU],
      memory: m[abi.M_FILTERED_MEMORY],
      gpu: m[abi.M_FILTERED_GPU],
      constraint: m[abi.M_FILTERED_CONSTRAINT],
      inactive: m[abi.M_FILTERED_INACTIVE]
    },
    filteredPorts: m[abi.M_FILTERED_PORTS],
    reservations: m[abi.M_RESERVATIONS],
    failureScans: m[abi.M_FAILURE_SCANS],
    contextBuilds: m[abi.M_CONTEXT_BUILDS],
    indexVisits: m[abi.M_INDEX_VISITS]
  }
}
