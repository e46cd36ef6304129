// The simulated runner runs nothing: each task lasts STRATUS_SIM_SECONDS
// (default 0) of the engine's clock and exits with STRATUS_SIM_EXIT (default
// 0). With STRATUS_SIM_OUTPUT it also writes that text to the task's log. It
// lets tests and benchmarks drive thousands of nodes and a million jobs.

import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { KillOptions, RunExit, RunInfo, RunListener, Runner, RunTask } from './runner-v1.js'

interface Live {
  listener: RunListener
  timer: TimerHandle | undefined
  startedAt: number
  exitCode: number
}

export class SimulatedRunner implements Runner {
  readonly kind = 'simulated'
  readonly memoryLimits = 'enforced' as const
  readonly #clock: Clock
  readonly #live = new Map<string, Live>()

  /** Outputs being written (a manual clock's advance() waits for them). */
  #writing = 0
  readonly #removeProbe: (() => void) | undefined

  constructor(clock: Clock) {
    this.#clock = clock
    const manual = clock as { addBusyProbe?: (probe: () => boolean) => () => void }
    this.#removeProbe = manual.addBusyProbe?.(() => this.#writing > 0)
  }

  start(task: RunTask, listener: RunListener): void {
    const seconds = Number(task.env.STRATUS_SIM_SECONDS ?? 0)
    const exitCode = Number(task.env.STRATUS_SIM_EXIT ?? 0)
    if (!Number.isFinite(seconds) || seconds < 0 || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
      queueMicrotask(() => listener.failed(new Error(
        `STRATUS_SIM_SECONDS must be a non-negative number and STRATUS_SIM_EXIT an integer 0-255 (got ${task.env.STRATUS_SIM_SECONDS}, ${task.env.STRATUS_SIM_EXIT})`)))
      return
    }
    const live: Live = { listener, timer: undefined, startedAt: this.#clock.now(), exitCode }
    this.#live.set(task.id, live)
    const output = task.env.STRATUS_SIM_OUTPUT
    queueMicrotask(() => {
      if (this.#live.get(task.id) !== live) return
      listener.running(live.startedAt)
      // The task lasts `seconds` of clock time from its start, however long its output takes to write;
      // it exits once both the time has passed and the output is written.
      let written = output === undefined
      let due = seconds === 0
      const finish = () => {
        if (written && due) this.#finish(task.id, live, { exitCode: live.exitCode, signal: null, oomKilled: false })
      }
      if (!due) {
        live.timer = this.#clock.setTimeout(() => {
          due = true
          finish()
        }, seconds * 1000)
      }
      if (output !== undefined) {
        this.#writing++
        mkdir(dirname(task.logPath), { recursive: true })
          .then(() => appendFile(task.logPath, output.endsWith('\n') ? output : `${output}\n`))
          .catch(() => {})
          .finally(() => {
            this.#writing--
            written = true
            finish()
          })
      }
      finish()
    })
  }

  #finish(id: string, live: Live, exit: RunExit): void {
    if (this.#live.get(id) !== live) return
    this.#live.delete(id)
    this.#clock.clearTimeout(live.timer)
    live.listener.exited(exit)
  }

  kill(id: string, options: KillOptions = {}): boolean {
    const live = this.#live.get(id)
    if (live === undefined) return false
    const signal = options.signal ?? 'SIGTERM'
    queueMicrotask(() => this.#finish(id, live, { exitCode: null, signal, oomKilled: false }))
    return true
  }

  inspect(id: string): RunInfo | undefined {
    const live = this.#live.get(id)
    return live && { id, state: 'running', startedAt: live.startedAt }
  }

  async close(): Promise<void> {
    this.#removeProbe?.()
    for (const [id, live] of [...this.#live]) this.#finish(id, live, { exitCode: null, signal: 'SIGKILL', oomKilled: false })
  }
}
