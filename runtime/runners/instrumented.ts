// instrument(runner): the one wrapper every runner the engine uses goes
// through (as undici composes interceptors around a dispatcher). It refuses a
// bad spec, or one the runner cannot honour, with a coded RunnerError thrown
// from start() before the runner sees it, and publishes what runners do on
// diagnostics channels:
//
//   stratus:runner:start   { id, kind, labels, containers }   start() accepted a spec
//   stratus:runner:exit    { id, kind, exit }                  a sandbox ended (its SandboxExit)
//   stratus:runner:error   { id, kind, error }                 a spec was refused, or a sandbox failed to start
//
// The hot path (a million simulated sandboxes) pays for validation and three
// hasSubscribers checks; a message is built only for a channel that has
// subscribers. A sandbox's exit and failure are observed when some channel had
// a subscriber at its start (the listener is only wrapped then).
import { channel } from 'node:diagnostics_channel'
import { checkExec, checkExecOptions, checkLabelFilter, checkListener, checkSpec, checkStopOptions } from './validation.js'
import { execUnsupported, invalidArgument } from './errors.js'
import type {
  ExecOptions, ExecResult, ExecSession, Runner, RunnerCapabilities, SandboxExit, SandboxInfo, SandboxListener, SandboxSpec, StopOptions
} from './runner.js'

export const startChannel = channel('stratus:runner:start')
export const exitChannel = channel('stratus:runner:exit')
export const errorChannel = channel('stratus:runner:error')

/** Forwards to the caller's listener, publishing exits and failures first. */
class ObservedListener implements SandboxListener {
  constructor(readonly kind: string, readonly id: string, readonly listener: SandboxListener) {}

  running(info: SandboxInfo): void {
    this.listener.running(info)
  }

  exited(exit: SandboxExit): void {
    if (exitChannel.hasSubscribers) exitChannel.publish({ id: this.id, kind: this.kind, exit })
    this.listener.exited(exit)
  }

  failed(error: Error): void {
    if (errorChannel.hasSubscribers) errorChannel.publish({ id: this.id, kind: this.kind, error })
    this.listener.failed(error)
  }
}

class InstrumentedRunner implements Runner {
  readonly inner: Runner
  readonly kind: string
  readonly capabilities: RunnerCapabilities

  constructor(inner: Runner) {
    this.inner = inner
    this.kind = inner.kind
    this.capabilities = inner.capabilities
  }

  start(spec: SandboxSpec, listener: SandboxListener): void {
    try {
      checkListener(listener)
      checkSpec(spec, this.capabilities, this.kind)
    } catch (error) {
      this.#refused(spec, error)
      throw error
    }
    const observed = startChannel.hasSubscribers || exitChannel.hasSubscribers || errorChannel.hasSubscribers
    if (!observed) {
      this.inner.start(spec, listener)
      return
    }
    try {
      this.inner.start(spec, new ObservedListener(this.kind, spec.id, listener))
    } catch (error) {
      this.#refused(spec, error) // a duplicate id: nothing started
      throw error
    }
    if (startChannel.hasSubscribers) {
      startChannel.publish({ id: spec.id, kind: this.kind, labels: spec.labels, containers: spec.containers })
    }
  }

  #refused(spec: SandboxSpec, error: unknown): void {
    if (!errorChannel.hasSubscribers) return
    const id = typeof spec === 'object' && spec !== null && typeof spec.id === 'string' ? spec.id : undefined
    errorChannel.publish({ id, kind: this.kind, error })
  }

  stop(id: string, options?: StopOptions): boolean {
    if (options !== undefined) checkStopOptions(options)
    return this.inner.stop(id, options)
  }

  inspect(id: string): SandboxInfo | undefined {
    return this.inner.inspect(id)
  }

  list(labels?: Readonly<Record<string, string>>): SandboxInfo[] {
    if (labels !== undefined) checkLabelFilter(labels)
    return this.inner.list(labels)
  }

  logs(id: string, options?: { container?: string; follow?: boolean }): AsyncIterable<string> {
    return this.inner.logs(id, options)
  }

  exec(id: string, container: string, command: readonly string[]): Promise<ExecResult> {
    try {
      checkExec(container, command)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.inner.exec(id, container, command)
  }

  execStream(id: string, container: string, command: readonly string[], options?: ExecOptions): Promise<ExecSession> {
    try {
      checkExec(container, command)
      checkExecOptions(options)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.inner.execStream === undefined) return Promise.reject(execUnsupported(this.kind))
    return this.inner.execStream(id, container, command, options)
  }

  attach(id: string, listener: SandboxListener): boolean {
    checkListener(listener)
    if (typeof id !== 'string') throw invalidArgument('id', 'must be a sandbox id')
    if (this.inner.attach === undefined) return false
    const observed = exitChannel.hasSubscribers || errorChannel.hasSubscribers
    return this.inner.attach(id, observed ? new ObservedListener(this.kind, id, listener) : listener)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/** Wraps a runner once (instrumenting an instrumented runner returns it as it is). */
export function instrument(runner: Runner): Runner {
  return runner instanceof InstrumentedRunner ? runner : new InstrumentedRunner(runner)
}

/** The runner inside an instrumented one (the runner itself otherwise). */
export function uninstrumented(runner: Runner): Runner {
  return runner instanceof InstrumentedRunner ? runner.inner : runner
}
