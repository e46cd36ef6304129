// The fallback when the C helper cannot be built: child_process.spawn on worker
// threads, so that the fork+exec blocks a worker and not the main loop.
import { Worker } from 'node:worker_threads'
import { LauncherError } from './errors.js'
import type { FromWorker, ToWorker, WorkerInit, WorkerOp } from './node-messages.js'
import type { BackendEvents, LaunchBackend, LaunchSpec, MemoryLimitSupport } from './types.js'

export interface NodeBackendOptions {
  workers: number
  cgroup: WorkerInit['cgroup']
  startTimeoutMs: number
}

// From dist/, or from source when tests run the TypeScript through tsx. A
// worker does not reliably get tsx's hooks from the --import it inherits (it
// depends on the order the hooks thread comes up), so from source the worker
// registers tsx itself before it imports the TypeScript.
const fromSource = import.meta.url.endsWith('.ts')
const workerUrl = new URL(fromSource ? './node-worker.ts' : './node-worker.js', import.meta.url)

function newWorker(workerData: WorkerInit): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData })
  const tsx = import.meta.resolve('tsx/esm/api')
  const source = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}) })`
  return new Worker(source, { eval: true, workerData })
}

interface Lane {
  readonly worker: Worker
  ops: WorkerOp[]
  closed: Promise<void>
}

export class NodeBackend implements LaunchBackend {
  readonly implementation = 'node' as const
  readonly memoryLimit: MemoryLimitSupport
  readonly #lanes: Lane[]
  readonly #laneOf = new Map<number, Lane>()
  readonly #events: BackendEvents
  #next = 0
  #flushQueued = false
  #closing = false

  private constructor(lanes: Lane[], events: BackendEvents, memoryLimit: MemoryLimitSupport) {
    this.#lanes = lanes
    this.#events = events
    this.memoryLimit = memoryLimit
  }

  static async start(options: NodeBackendOptions, events: BackendEvents): Promise<NodeBackend> {
    let backend: NodeBackend | undefined
    const starting = Array.from({ length: Math.max(1, options.workers) }, () => {
      const worker = newWorker({ cgroup: options.cgroup })
      let onClosed: () => void = () => {}
      const lane: Lane = { worker, ops: [], closed: new Promise<void>((resolve) => { onClosed = resolve }) }
      const ready = new Promise<MemoryLimitSupport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new LauncherError('Unavailable', 'LauncherUnavailable',
          `the launcher worker did not start within ${options.startTimeoutMs} ms`)), options.startTimeoutMs)
        worker.on('message', (message: FromWorker) => {
          if (message.t === 'ready') {
            clearTimeout(timer)
            resolve(message.memoryLimit)
          } else if (message.t === 'closed') {
            onClosed()
          } else {
            if (backend) backend.#receive(message)
          }
        })
        worker.once('error', (cause) => {
          clearTimeout(timer)
          reject(new LauncherError('Unavailable', 'LauncherUnavailable', `the launcher worker failed: ${cause.message}`, { cause }))
          if (backend && !backend.#closing) {
            events.lost(new LauncherError('Unavailable', 'LauncherLost', `a launcher worker failed: ${cause.message}`, { cause }))
          }
        })
        worker.once('exit', (code) => {
          onClosed()
          if (backend && !backend.#closing) {
            events.lost(new LauncherError('Unavailable', 'LauncherLost', `a launcher worker exited unexpectedly (code ${code})`))
          }
        })
      })
      return { lane, ready }
    })
    let support: MemoryLimitSupport[]
    try {
      support = await Promise.all(starting.map((s) => s.ready))
    } catch (error) {
      await Promise.all(starting.map((s) => s.lane.worker.terminate()))
      throw error
    }
    backend = new NodeBackend(starting.map((s) => s.lane), events, support[0])
    backend.setActive(false)
    return backend
  }

  #receive(message: FromWorker): void {
    if (message.t !== 'events') return
    for (const e of message.events) {
      if (e.k === 'started') this.#events.started(e.wireId, e.pid, e.enforced)
      else if (e.k === 'failed') {
        this.#laneOf.delete(e.wireId)
        this.#events.failed(e.wireId, e.errno, e.stage)
      } else {
        this.#laneOf.delete(e.wireId)
        this.#events.exited(e.wireId, e.pid, e.code, e.signal, e.oom, null)
      }
    }
  }

  #queue(lane: Lane, op: WorkerOp): void {
    lane.ops.push(op)
    if (this.#flushQueued) return
    this.#flushQueued = true
    queueMicrotask(() => {
      this.#flushQueued = false
      for (const l of this.#lanes) {
        if (l.ops.length === 0) continue
        l.worker.postMessage({ t: 'ops', ops: l.ops } satisfies ToWorker)
        l.ops = []
      }
    })
  }

  spawn(spec: LaunchSpec): void {
    const lane = this.#lanes[this.#next++ % this.#lanes.length]
    this.#laneOf.set(spec.wireId, lane)
    this.#queue(lane, { op: 'spawn', spec })
  }

  signal(wireId: number, signal: number, graceMs: number): void {
    const lane = this.#laneOf.get(wireId)
    if (lane) this.#queue(lane, { op: 'signal', wireId, signal, graceMs })
  }

  setActive(active: boolean): void {
    for (const lane of this.#lanes) {
      if (active) lane.worker.ref()
      else lane.worker.unref()
    }
  }

  async close(graceMs: number): Promise<void> {
    if (!this.#closing) {
      this.#closing = true
      this.setActive(true)
      for (const lane of this.#lanes) {
        if (lane.ops.length > 0) lane.worker.postMessage({ t: 'ops', ops: lane.ops } satisfies ToWorker)
        lane.ops = []
        lane.worker.postMessage({ t: 'close', graceMs } satisfies ToWorker)
      }
    }
    // Workers exit once every process is reaped; do not wait forever for a stuck one.
    const guard = setTimeout(() => { for (const lane of this.#lanes) void lane.worker.terminate() }, graceMs + 15_000)
    await Promise.all(this.#lanes.map((lane) => lane.closed))
    clearTimeout(guard)
    await Promise.all(this.#lanes.map((lane) => lane.worker.terminate()))
  }
}
