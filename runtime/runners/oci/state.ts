// What the OCI runner keeps on disk, so that a runner of the same engine and
// state dir finds its sandboxes after a restart (even after a SIGKILL):
//   <stateDir>/sandboxes/<key>.json   one SandboxRecord per sandbox, written at
//                                     start (state 'starting') and once it runs
//   <bundle>/events                   the shim's event lines (shim.c), the
//                                     container's own record of how it ended
// Records are written whole to a temporary file and renamed over the old one.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkBinding, SandboxSpec } from '../runner.js'

export interface ContainerRecord {
  name: string
  essential: boolean
  runtimeId: string
  imageDigest?: string
  bundle: string
  logPath: string
  /** The container ports it publishes (its share of the sandbox's bindings). */
  containerPorts: number[]
  /** The container's init on the host (once it ran). */
  pid?: number
  shimPid?: number
  /** Its memory cgroup directory (cgroup v1 memory hierarchy, or v2), to read OOM kills from. */
  memoryCgroup?: string
  /** Its own SIGTERM → SIGKILL grace (ContainerSpec.stopTimeoutSeconds). */
  stopTimeoutSeconds?: number
  /** An ephemeral sandbox's: its workDir, removed at its end. */
  workDir?: string
}

export interface SandboxRecord {
  version: 1
  id: string
  labels: Record<string, string>
  address?: string
  networkMode: NonNullable<SandboxSpec['networkMode']>
  state: 'starting' | 'running'
  startedAt?: number
  pullStartedAt?: number
  pullStoppedAt?: number
  containers: ContainerRecord[]
  bindings: NetworkBinding[]
  forwarder?: { pid: number; socket: string }
  /** SandboxSpec.ephemeralStorage: the containers' workDirs go at its end. */
  ephemeralStorage?: boolean
}

/** A short stable key of a sandbox id: file names and container ids are built from it. */
export function sandboxKey(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12)
}

/** The engine's part of every container id: `stratus-<engine8>-`. */
export function enginePrefix(engineId: string): string {
  return `stratus-${createHash('sha256').update(engineId).digest('hex').slice(0, 8)}-`
}

export class SandboxStore {
  readonly dir: string

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'sandboxes')
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
  }

  async write(record: SandboxRecord): Promise<void> {
    const path = join(this.dir, `${sandboxKey(record.id)}.json`)
    const tmp = `${path}.tmp-${process.pid}`
    await writeFile(tmp, JSON.stringify(record))
    await rename(tmp, path)
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${sandboxKey(id)}.json`), { force: true })
  }

  /** Every record left (a torn temporary file is dropped). */
  async list(): Promise<SandboxRecord[]> {
    const out: SandboxRecord[] = []
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name)
      if (!name.endsWith('.json')) {
        await rm(path, { force: true })
        continue
      }
      try {
        const record = JSON.parse(await readFile(path, 'utf8')) as SandboxRecord
        if (record.version === 1) out.push(record)
      } catch {
        await rm(path, { force: true })
      }
    }
    return out
  }
}

/** What a container's shim has said so far (shim.c's events). */
export interface ShimEvents {
  pid?: number
  /** The runtime could not start it (its exit status). */
  failed?: number
  /** Its init could not exec the program (errno). */
  execFailed?: number
  /** OOM kills in its memory cgroup, read by the shim once it ended. */
  oom?: number
  /** The shim deleted it from the runtime. */
  deleted?: boolean
  /** How it ended: an exit code or a signal number; `lost` when the shim could not wait for it. */
  ended?: { code: number } | { signal: number } | 'lost'
}

/** Folds one event line into `events`. */
export function applyEvent(events: ShimEvents, line: string): void {
  const [word, value] = line.trim().split(' ')
  const n = Number(value)
  if (word === 'pid') events.pid = n
  else if (word === 'failed') events.failed = n
  else if (word === 'execfail') events.execFailed = n
  else if (word === 'exit') events.ended = { code: n }
  else if (word === 'signal') events.ended = { signal: n }
  else if (word === 'lost') events.ended = 'lost'
  else if (word === 'oom') events.oom = n
  else if (word === 'deleted') events.deleted = true
}

export async function readEvents(path: string): Promise<ShimEvents> {
  const events: ShimEvents = {}
  const text = await readFile(path, 'utf8').catch(() => '')
  for (const line of text.split('\n')) if (line !== '') applyEvent(events, line)
  return events
}
