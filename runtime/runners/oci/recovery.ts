// What a new OCI runner finds of a previous one with the same engine id and
// state dir (it was closed badly, or killed with SIGKILL): its shims and
// containers live on, each shim's events file says how far its container got.
//   record 'running'   adopted: list() shows it `recovered`; its containers are
//                      watched (their events files polled) until they end, its
//                      ports published again (the old host listeners died with
//                      the old runner) through a new forwarder
//   record 'starting'  nobody ever heard it run: removed
//   no record          a container id of this engine the runtime still has, or a
//                      bundle: removed
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { removeBundle } from './bundle.js'
import { publish, spawnForwarder } from './port-forward.js'
import type { OciRuntime } from './runtime.js'
import { OciContainer, OciSandbox } from './sandbox.js'
import { readEvents, type SandboxRecord, type SandboxStore } from './state.js'

export interface RecoveryContext {
  store: SandboxStore
  runtime: OciRuntime
  prefix: string
  stateDir: string
  /** Makes a recovered sandbox live (list() shows it). */
  adopt(sandbox: OciSandbox): void
  /** A container's events say it ended. */
  ended(sandbox: OciSandbox, container: OciContainer): Promise<void>
  settle(sandbox: OciSandbox): void
  watcher: EventsWatcher
}

/**
 * Containers whose shim this runner cannot hear (a previous runner started them, or
 * the shim server died): their events files are polled until they end. Like a shim's
 * pipe, the watch keeps the process alive while a watched container runs.
 */
export class EventsWatcher {
  readonly #watched: Array<[OciSandbox, OciContainer]> = []
  readonly #ended: (sandbox: OciSandbox, container: OciContainer) => Promise<void>
  #timer: NodeJS.Timeout | undefined
  #polling = false

  constructor(ended: (sandbox: OciSandbox, container: OciContainer) => Promise<void>) {
    this.#ended = ended
  }

  watch(sandbox: OciSandbox, container: OciContainer): void {
    this.#watched.push([sandbox, container])
    this.#timer ??= setInterval(() => void this.#poll(), POLL_MS)
  }

  async #poll(): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      for (let i = this.#watched.length - 1; i >= 0; i--) {
        const [s, c] = this.#watched[i]
        if (c.state === 'running') {
          // Looked at before the events: a shim that writes its last line and exits in between is not taken for lost.
          const shimAlive = alive(c.record.shimPid)
          const events = await readEvents(join(c.record.bundle, 'events'))
          if (events.ended === undefined && !shimAlive) events.ended = 'lost'
          if (events.ended === undefined) continue
          c.events = events
          await this.#ended(s, c)
        }
        this.#watched.splice(i, 1)
      }
    } finally {
      this.#polling = false
    }
    if (this.#watched.length === 0) this.stop()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

const POLL_MS = 100

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kills a process only when its command line is still what we started (pids are reused). */
async function killIfOurs(pid: number | undefined, mark: string): Promise<void> {
  if (pid === undefined) return
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  if (!cmdline.includes(mark)) return
  try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
}

async function discard(context: RecoveryContext, record: SandboxRecord): Promise<void> {
  await killIfOurs(record.forwarder?.pid, record.forwarder?.socket ?? '\0')
  for (const c of record.containers) {
    await context.runtime.delete(c.runtimeId).catch(() => {})
    await removeBundle(c.bundle)
  }
  await context.store.remove(record.id)
}

/** The old host listeners are gone: listen again, through a fresh forwarder in the sandbox's namespace. */
async function republish(s: OciSandbox): Promise<void> {
  const record = s.record
  if (record.bindings.length === 0 || record.forwarder === undefined) return
  const socket = record.forwarder.socket
  await killIfOurs(record.forwarder.pid, socket)
  const inside = s.running()[0]
  if (inside === undefined) return
  const forwarder = spawnForwarder(`/proc/${inside.record.pid}/ns/net`, socket)
  record.forwarder = { pid: forwarder.pid!, socket }
  const kept = []
  for (const b of record.bindings) {
    try {
      const port = await publish(b.bindIP, b.hostPort, b.containerPort, socket)
      s.ports.push(port)
      kept.push(b)
    } catch {
      // Taken meanwhile by someone else: that binding is lost.
    }
  }
  record.bindings = kept
}

export async function recoverSandboxes(context: RecoveryContext): Promise<void> {
  const records = await context.store.list()
  const listed = new Map((await context.runtime.list()).map((c) => [c.id, c]))
  const known = new Set<string>()
  const watched: Array<[OciSandbox, OciContainer]> = []
  for (const record of records) {
    for (const c of record.containers) known.add(c.runtimeId)
    if (record.state !== 'running') {
      await discard(context, record)
      continue
    }
    const containers = record.containers.map((r) => new OciContainer({
      name: r.name, essential: r.essential, logPath: r.logPath, portMappings: r.containerPorts.map((containerPort) => ({ containerPort })),
      stopTimeoutSeconds: r.stopTimeoutSeconds
    }, r))
    const s = new OciSandbox({ id: record.id, labels: record.labels, address: record.address, networkMode: record.networkMode }, containers, undefined, true, record)
    s.state = 'running'
    s.startedAt = record.startedAt
    s.pullStartedAt = record.pullStartedAt
    s.pullStoppedAt = record.pullStoppedAt
    const ended: OciContainer[] = []
    for (const c of containers) {
      c.created = true
      // Looked at before the events: a shim that writes its last line and exits in between is not taken for lost.
      const shimAlive = alive(c.record.shimPid)
      c.events = await readEvents(join(c.record.bundle, 'events'))
      const status = listed.get(c.record.runtimeId)?.status
      if (c.events.ended === undefined && (status === 'running' || status === 'created' || shimAlive)) {
        c.state = 'running'
        watched.push([s, c])
      } else {
        c.events.ended ??= 'lost'
        ended.push(c)
      }
    }
    context.adopt(s)
    await republish(s)
    await context.store.write(record)
    for (const c of ended) await context.ended(s, c)
    context.settle(s)
  }
  for (const id of listed.keys()) if (id.startsWith(context.prefix) && !known.has(id)) await context.runtime.delete(id).catch(() => {})
  const bundles = join(context.stateDir, 'bundles')
  for (const name of await readdir(bundles).catch(() => [] as string[])) {
    if (!known.has(name)) await rm(join(bundles, name), { recursive: true, force: true })
  }

  for (const [sandbox, container] of watched) context.watcher.watch(sandbox, container)
}

