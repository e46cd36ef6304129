// The fast path: one long-lived C helper (launcher.c) per launcher. Requests made
// in one tick go out in one write; the helper's replies are parsed line by line.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Socket } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { LauncherError } from './errors.js'
import { FrameWriter, LineSplitter, parseReply, PROTOCOL_VERSION, type Reply } from './protocol.js'
import type { BackendEvents, LaunchBackend, LaunchSpec, MemoryLimitSupport } from './types.js'

export interface NativeBackendOptions {
  binary: string
  cgroup: 'auto' | 'none' | { version: 1 | 2; parent: string }
  startTimeoutMs: number
}

function cgroupArg(cgroup: NativeBackendOptions['cgroup']): string {
  if (typeof cgroup === 'string') return `--cgroup=${cgroup}`
  return `--cgroup=v${cgroup.version}:${cgroup.parent}`
}

export class NativeBackend implements LaunchBackend {
  readonly implementation = 'native' as const
  readonly memoryLimit: MemoryLimitSupport
  readonly #child: ChildProcessByStdio<Writable, Readable, null>
  readonly #events: BackendEvents
  readonly #frames = new FrameWriter()
  #flushQueued = false
  #closing = false
  #closed: Promise<void>

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>, events: BackendEvents, memoryLimit: MemoryLimitSupport, closed: Promise<void>) {
    this.#child = child
    this.#events = events
    this.memoryLimit = memoryLimit
    this.#closed = closed
  }

  static async start(options: NativeBackendOptions, events: BackendEvents): Promise<NativeBackend> {
    const child = spawn(options.binary, [cgroupArg(options.cgroup)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {} // the helper needs nothing; each job gets exactly its own env
    })
    child.stdout.setEncoding('utf8')
    const lines = new LineSplitter()
    let backend: NativeBackend | undefined
    let onHello: ((reply: Reply & { kind: 'hello' }) => void) | undefined

    const closed = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        resolve()
        if (backend && !backend.#closing) {
          events.lost(new LauncherError('Unavailable', 'LauncherLost',
            `the launcher helper exited unexpectedly (${signal ?? `code ${code}`}); its processes are no longer watched`))
        }
      })
    })
    child.stdin.on('error', () => { /* EPIPE when the helper dies: reported by 'close' */ })
    child.on('error', () => { /* spawn failure is handled below; later errors surface as 'close' */ })
    child.stdout.on('data', (chunk: string) => {
      lines.push(chunk, (line) => {
        const reply = parseReply(line)
        if (!reply) return
        if (reply.kind === 'hello') onHello?.(reply)
        else if (backend) backend.#dispatch(reply)
      })
    })

    const hello = await new Promise<Reply & { kind: 'hello' }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new LauncherError('Unavailable', 'LauncherUnavailable', `the launcher helper ${options.binary} did not start within ${options.startTimeoutMs} ms`))
      }, options.startTimeoutMs)
      child.once('error', (cause) => {
        clearTimeout(timer)
        reject(new LauncherError('Unavailable', 'LauncherUnavailable', `cannot run the launcher helper ${options.binary}: ${cause.message}`, { cause }))
      })
      void closed.then(() => {
        clearTimeout(timer)
        reject(new LauncherError('Unavailable', 'LauncherUnavailable', `the launcher helper ${options.binary} exited before saying hello`))
      })
      onHello = (reply) => {
        clearTimeout(timer)
        resolve(reply)
      }
    })
    if (hello.protocol !== PROTOCOL_VERSION) {
      child.kill('SIGKILL')
      throw new LauncherError('Unavailable', 'LauncherUnavailable',
        `the launcher helper ${options.binary} speaks protocol ${hello.protocol}, not ${PROTOCOL_VERSION}: rebuild it with \`npm run build:native\``)
    }
    const memoryLimit: MemoryLimitSupport = hello.cgroup === 'none'
      ? { enforced: false, mechanism: 'none', reason: hello.note }
      : { enforced: true, mechanism: hello.cgroup === 'v1' ? 'cgroup-v1' : 'cgroup-v2', cgroup: hello.note }
    backend = new NativeBackend(child, events, memoryLimit, closed)
    backend.setActive(false)
    return backend
  }

  #dispatch(reply: Reply): void {
    switch (reply.kind) {
      case 'started':
        this.#events.started(reply.wireId, reply.pid, reply.enforced)
        break
      case 'failed':
        this.#events.failed(reply.wireId, reply.errno, reply.stage)
        break
      case 'exited':
        this.#events.exited(reply.wireId, reply.pid, reply.code, reply.signal, reply.oom, {
          userCpuMs: reply.userUs / 1000, systemCpuMs: reply.sysUs / 1000, maxRssKiB: reply.maxRssKiB
        })
        break
    }
  }

  #queueFlush(): void {
    if (this.#flushQueued) return
    this.#flushQueued = true
    queueMicrotask(() => {
      this.#flushQueued = false
      if (this.#frames.length > 0 && this.#child.stdin.writable) this.#child.stdin.write(this.#frames.take())
    })
  }

  spawn(spec: LaunchSpec): void {
    this.#frames.spawn(spec)
    this.#queueFlush()
  }

  signal(wireId: number, signal: number, graceMs: number): void {
    this.#frames.kill(wireId, signal, graceMs)
    this.#queueFlush()
  }

  setActive(active: boolean): void {
    // The pipes and the child handle keep Node alive; only while processes run.
    const pipes = [this.#child.stdout, this.#child.stdin] as unknown as Socket[]
    if (active) {
      this.#child.ref()
      for (const pipe of pipes) pipe.ref()
    } else {
      this.#child.unref()
      for (const pipe of pipes) pipe.unref()
    }
  }

  async close(graceMs: number): Promise<void> {
    if (!this.#closing) {
      this.#closing = true
      this.setActive(true)
      this.#frames.quit(graceMs)
      if (this.#child.stdin.writable) this.#child.stdin.end(this.#frames.take())
      // The helper exits once every process is reaped; do not wait forever for a stuck one.
      const guard = setTimeout(() => this.#child.kill('SIGKILL'), graceMs + 15_000)
      await this.#closed
      clearTimeout(guard)
    }
    await this.#closed
  }
}
