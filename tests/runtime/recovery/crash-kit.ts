// What the crash harness (crash-harness.test.ts) works with: an engine in a
// child process over a data directory (tests/fixtures/crash-engine.ts), a
// seeded PRNG, the processes a run left (found by a marker in their
// environment), the Docker objects an engine id left (crash-harness-docker),
// and polling helpers. Not a test file.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)

const FIXTURE = fileURLToPath(new URL('../../fixtures/crash-engine.ts', import.meta.url))
/** The built fixture starts in half the time; by default the loader this test runs under compiles the source. */
const BUILT = fileURLToPath(new URL('../../../dist/tests/fixtures/crash-engine.js', import.meta.url))

export interface ChildEngine {
  endpoint: string
  pid: number
  /** The engine's id (kept in its store): the label stratus.engine on what its runners start. */
  engineId: string
  child: ChildProcess
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>
  /** SIGTERM: the engine closes (its runners remove what they started); resolves with its exit code once it is gone. */
  close(): Promise<number | null>
}

export interface ChildEngineOptions {
  /** Images the engine builds into its registry (the test busybox) before it says it is ready. */
  images?: readonly string[]
}

/** Starts an engine over dataDir in a process of its own (with the loader this test runs under). */
export async function startChildEngine(dataDir: string, runner = 'process', options: ChildEngineOptions = {}): Promise<ChildEngine> {
  const loader = process.execArgv.filter((a) => a.includes('typescript') || a.includes('tsx'))
  // The built fixture only when asked (CRASH_BUILT=1 after npm run build:ts): a stale dist/ would test old code.
  const argv = process.env.CRASH_BUILT === '1' && existsSync(BUILT) ? [BUILT] : [...loader, FIXTURE]
  const child = spawn(process.execPath, [...argv, dataDir, runner, ...(options.images ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = await new Promise<{ endpoint: string; pid: number; engineId: string }>((resolve, reject) => {
    let line = ''
    child.stdout!.on('data', (chunk) => {
      line += chunk
      const nl = line.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(line.slice(0, nl)))
    })
    child.once('exit', (code, signal) => reject(new Error(`the engine exited (${code ?? signal}) before it was ready: ${output}`)))
  })
  return {
    ...ready,
    child,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const code = await exited
      if (code !== 0) throw new Error(`the engine's close exited ${code ?? child.signalCode}: ${output}`)
      return code
    }
  }
}

/** Why no Docker engine can be used here (docker info fails), or undefined when one answers. */
export async function dockerUnreachable(): Promise<string | undefined> {
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'])
    return undefined
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    return `no Docker engine is reachable (docker info: ${stderr ? stderr.split('\n')[0] : (error as Error).message})`
  }
}

/** What the engine id has in the local Docker engine: containers (id, name, state, published ports) and networks, by label. */
export async function dockerObjectsOf(engineId: string): Promise<{ containers: Array<{ id: string; name: string; state: string; ports: string; sandbox: string }>; networks: string[] }> {
  const filter = `label=stratus.engine=${engineId}`
  const [ps, nets] = await Promise.all([
    exec('docker', ['ps', '-a', '--no-trunc', '--filter', filter, '--format', '{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Ports}}\t{{.Label "stratus.sandbox"}}']),
    exec('docker', ['network', 'ls', '-q', '--filter', filter])
  ])
  const containers = ps.stdout.split('\n').filter(Boolean).map((line) => {
    const [id, name, state, ports, sandbox] = line.split('\t')
    return { id, name, state, ports, sandbox }
  })
  return { containers, networks: nets.stdout.split('\n').filter(Boolean) }
}

/** mulberry32: a small seeded PRNG (the seed is printed, so a failing round can be replayed). */
export function prng(seed: number): { next(): number; int(from: number, to: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (from, to) => from + Math.floor(next() * (to - from + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]
  }
}

/** The pids of live processes whose environment holds NAME=value. */
export function processesMarked(name: string, value: string): number[] {
  const needle = `${name}=${value}`
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0')
      if (!env.includes(needle)) continue
      // A zombie holds no environment worth counting, and is gone once reaped.
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(entry))
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out
}

/** Polls check (every 25 ms of real time) until it is truthy or ms have passed; returns its last result. */
export async function until<T>(check: () => T | Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const result = await check()
    if (result || Date.now() >= deadline) return result
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A process as a failure message shows it: pid, parent, state and command line. */
export function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()
    return `${pid} (ppid ${rest[1]}, ${rest[0]}): ${cmd}`
  } catch {
    return `${pid} (gone)`
  }
}

/** The pids of a process's children (every thread's). */
export function childrenOf(pid: number): number[] {
  const out: number[] = []
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim().split(' ')) if (child !== '') out.push(Number(child))
    }
  } catch {
    // Gone.
  }
  return out
}

/** The process launcher's cgroup directories (`stratus-launcher-<pid>`), anywhere under /sys/fs/cgroup (a few levels down). */
export function launcherCgroups(dir = '/sys/fs/cgroup', depth = 5): string[] {
  if (depth === 0) return []
  const out: string[] = []
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return out
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue
    if (e.name.startsWith('stratus-launcher-')) out.push(`${dir}/${e.name}`)
    else out.push(...launcherCgroups(`${dir}/${e.name}`, depth - 1))
  }
  return out
}
