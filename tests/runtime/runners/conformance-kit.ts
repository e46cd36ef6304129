// What the runner conformance suite (conformance.ts) builds its cases from:
// sandbox specs that every runner honours, and a listener that records what
// it was told. Not a test file.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ContainerSpec, Runner, SandboxExit, SandboxInfo, SandboxListener, SandboxSpec } from '../../../runtime/runners/index.js'

/** What a listener saw, in order. */
export interface Observed {
  calls: Array<'running' | 'exited' | 'failed'>
  info?: SandboxInfo
  /** What changed() reported, in order (not in calls). */
  changes: SandboxInfo[]
  exit?: SandboxExit
  error?: Error
  listener: SandboxListener
  /** Resolves with the exit, or rejects with the start failure. */
  done: Promise<SandboxExit>
  /** Resolves when running() was called. */
  running: Promise<SandboxInfo>
}

export function observer(): Observed {
  const seen: Partial<Observed> & { calls: Observed['calls'] } = { calls: [], changes: [] }
  let markRunning!: (info: SandboxInfo) => void
  let resolve!: (exit: SandboxExit) => void
  let reject!: (error: Error) => void
  seen.running = new Promise((r) => (markRunning = r))
  seen.done = new Promise<SandboxExit>((res, rej) => {
    resolve = res
    reject = rej
  })
  seen.done.catch(() => {})
  seen.listener = {
    running: (info) => {
      seen.calls.push('running')
      seen.info = info
      markRunning(info)
    },
    exited: (exit) => {
      seen.calls.push('exited')
      seen.exit = exit
      resolve(exit)
    },
    failed: (error) => {
      seen.calls.push('failed')
      seen.error = error
      reject(error)
    },
    changed: (info) => {
      seen.changes!.push(info)
    }
  }
  return seen as Observed
}

export interface ContainerOptions {
  name?: string
  essential?: boolean
  /** A shell script for runners that execute (`sh -c script`). */
  script?: string
  /** The simulated runner's variables, and anything the container should see. */
  env?: Record<string, string>
  command?: string[]
  memoryMiB?: number
  portMappings?: SandboxSpec['containers'][number]['portMappings']
  /** Any other field of the container. */
  more?: Partial<ContainerSpec>
}

let counter = 0

/** Builds sandbox specs under one directory; each gets a fresh id. */
export function specMaker(dir: string, suite: string) {
  const container = (id: string, o: ContainerOptions): SandboxSpec['containers'][number] => {
    const name = o.name ?? 'main'
    return {
      name, essential: o.essential, image: 'busybox:1.36',
      command: o.command ?? ['sh', '-c', o.script ?? 'exit 0'], env: o.env ?? {},
      vcpus: 1, memoryMiB: o.memoryMiB ?? 256, gpus: 0, portMappings: o.portMappings,
      logPath: join(dir, 'logs', id, `${name}.log`), workDir: join(dir, 'work', id, name),
      ...o.more
    }
  }
  return {
    /** One container named main. */
    one(o: ContainerOptions = {}, labels: Record<string, string> = {}): SandboxSpec {
      const id = `sandbox-${++counter}`
      return { id, labels: { suite, ...labels }, containers: [container(id, o)] }
    },
    many(containers: ContainerOptions[], labels: Record<string, string> = {}): SandboxSpec {
      const id = `sandbox-${++counter}`
      return { id, labels: { suite, ...labels }, containers: containers.map((o) => container(id, o)) }
    }
  }
}

export function starter(runner: Runner) {
  return (spec: SandboxSpec): Observed => {
    const seen = observer()
    runner.start(spec, seen.listener)
    return seen
  }
}

export async function logLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')
}

/**
 * Polls `check` until it holds; throws after `boundMs` (a bound, not a timing assertion:
 * generous, so that a loaded machine passes, and a condition that never holds fails the
 * test at once instead of at tap's timeout).
 */
export async function until(check: () => Promise<boolean> | boolean, boundMs = 60_000): Promise<void> {
  const deadline = Date.now() + boundMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`the condition did not hold within ${boundMs} ms: ${check.toString().slice(0, 200)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = []
  for await (const line of lines) all.push(line)
  return all
}

/** Exit fields a test compares exactly (stoppedAt is a time: checked separately). */
export function withoutTime(exit: SandboxExit): Omit<SandboxExit, 'stoppedAt'> {
  const { stoppedAt: _, ...rest } = exit
  return rest
}
