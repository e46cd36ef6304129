// Messages between the fallback backend (main thread) and its worker threads.
import type { SpawnStage } from './errors.js'
import type { LaunchSpec, MemoryLimitSupport } from './types.js'

export interface WorkerInit {
  cgroup: 'auto' | 'none' | { version: 1 | 2; parent: string }
}

export type WorkerOp =
  | { op: 'spawn'; spec: LaunchSpec }
  | { op: 'signal'; wireId: number; signal: number; graceMs: number }

export type ToWorker =
  | { t: 'ops'; ops: WorkerOp[] }
  | { t: 'close'; graceMs: number }

export type WorkerEvent =
  | { k: 'started'; wireId: number; pid: number; enforced: boolean }
  | { k: 'failed'; wireId: number; errno: number; stage: SpawnStage }
  | { k: 'exited'; wireId: number; pid: number; code: number | null; signal: number; oom: boolean }

export type FromWorker =
  | { t: 'ready'; memoryLimit: MemoryLimitSupport }
  | { t: 'events'; events: WorkerEvent[] }
  | { t: 'closed' }
