// How fast does the Batch process runner start processes? Runs `true` N times with a
// window of W in flight through: a C posix_spawn loop (the ceiling), plain
// child_process.spawn (what we replace), and the ProcessLauncher (native helper, then
// with log files, with memory limits, and the pure-Node fallback). Prints a table, and
// with --json one JSON object as the last line. Figures and ratios only; never fails on time.
//
// The three headline contenders run interleaved for R rounds and each reports its median
// round, so that a neighbour stealing CPU for a while hurts all of them alike.
//
//   node dist/bench/process-spawn.js [--count 2000] [--window 8] [--rounds 3] [--json]
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { ProcessLauncher, type LaunchRequest, type LauncherImplementation } from '../runtime/runners/launcher/index.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const COUNT = option('count', 2000)
const WINDOW = option('window', 8)
const ROUNDS = option('rounds', 3)
const CGROUP_COUNT = Math.min(COUNT, option('cgroup-count', 300))
const JSON_OUT = process.argv.includes('--json')
const TRUE = '/usr/bin/true'
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_BATCH_JOB_ID: 'bench', AWS_BATCH_JQ_NAME: 'bench-queue', AWS_BATCH_CE_NAME: 'bench-ce' }

interface Figures {
  name: string
  count: number
  perSecond: number
  /** request -> pid known */
  p50StartMs?: number
  p99StartMs?: number
  maxStartMs?: number
  /** main-thread busy time per launch (event-loop utilisation) */
  loopBusyMsPerLaunch?: number
  /** longest single event-loop stall seen */
  loopDelayMaxMs?: number
  note?: string
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

function findUp(relative: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    try {
      accessSync(join(dir, relative), constants.X_OK)
      return join(dir, relative)
    } catch { /* up */ }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return undefined
}

/** Runs `count` jobs keeping `window` in flight; measures throughput, start latency and loop cost. */
async function windowed(
  name: string, count: number,
  startOne: (i: number) => Promise<{ started: Promise<unknown>; exited: Promise<unknown> }>
): Promise<Figures> {
  const starts: number[] = []
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const elu0 = performance.eventLoopUtilization()
  const t0 = performance.now()
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      const requested = performance.now()
      const job = await startOne(i)
      await job.started
      starts.push(performance.now() - requested)
      await job.exited
    }
  }
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, lane))
  const seconds = (performance.now() - t0) / 1000
  const elu = performance.eventLoopUtilization(elu0)
  delay.disable()
  starts.sort((a, b) => a - b)
  return {
    name, count, perSecond: count / seconds,
    p50StartMs: percentile(starts, 0.5), p99StartMs: percentile(starts, 0.99), maxStartMs: starts[starts.length - 1],
    loopBusyMsPerLaunch: elu.active / count,
    loopDelayMaxMs: delay.max / 1e6
  }
}

function cBaseline(): Figures | undefined {
  const binary = findUp('build/bench/posix-spawn-loop')
  if (!binary) return undefined
  const run = spawnSync(binary, [String(COUNT), String(WINDOW), TRUE], { encoding: 'utf8' })
  if (run.status !== 0) return undefined
  const parsed = JSON.parse(run.stdout.trim()) as { spawns_per_s: number }
  return { name: 'C posix_spawn loop', count: COUNT, perSecond: parsed.spawns_per_s }
}

async function nodeSpawn(): Promise<Figures> {
  return windowed('child_process.spawn', COUNT, async () => {
    const child = spawn(TRUE, [], { stdio: 'ignore', env: ENV })
    const started = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    return { started, exited }
  })
}

async function viaLauncher(
  name: string, implementation: LauncherImplementation, count: number, request: (i: number) => LaunchRequest
): Promise<Figures | undefined> {
  let launcher: ProcessLauncher
  try {
    launcher = await ProcessLauncher.start({ implementation })
  } catch (error) {
    return { name, count: 0, perSecond: NaN, note: (error as Error).message }
  }
  try {
    // Warm up: JIT, the helper's page cache, the first cgroups.
    for (let i = 0; i < 50; i++) await (await launcher.spawn({ ...request(-i - 1) })).exited
    const figures = await windowed(name, count, async (i) => {
      const started = launcher.spawn(request(i))
      return { started, exited: started.then((p) => p.exited) }
    })
    if (request(0).memoryLimitBytes) figures.note = `memory limits: ${launcher.memoryLimit.mechanism}`
    return figures
  } finally {
    await launcher.close()
  }
}

/** The round with the median rate. */
function median(rounds: Array<Figures | undefined>): Figures | undefined {
  const ok = rounds.filter((r): r is Figures => r !== undefined && !Number.isNaN(r.perSecond))
  if (ok.length === 0) return rounds.find((r) => r !== undefined)
  ok.sort((a, b) => a.perSecond - b.perSecond)
  const mid = ok[(ok.length - 1) >> 1]
  return { ...mid, note: [mid.note, ok.length > 1 ? `median of ${ok.length}: ${ok.map((r) => r.perSecond.toFixed(0)).join(' ')}` : undefined].filter(Boolean).join('; ') }
}

const scratch = mkdtempSync(join(tmpdir(), 'stratus-bench-spawn-'))
try {
  const rounds: Array<[Figures | undefined, Figures, Figures | undefined]> = []
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push([
      cBaseline(),
      await nodeSpawn(),
      await viaLauncher('launcher (native)', 'native', COUNT, () => ({ argv: [TRUE], env: ENV }))
    ])
  }
  const c = median(rounds.map((r) => r[0]))
  const node = median(rounds.map((r) => r[1]))!
  const native = median(rounds.map((r) => r[2]))
  const logs = await viaLauncher('launcher + log files', 'native', COUNT, (i) => ({
    argv: [TRUE], env: ENV, stdout: join(scratch, `${i}.out`), stderr: join(scratch, `${i}.err`)
  }))
  const limited = await viaLauncher('launcher + memory cgroup', 'native', CGROUP_COUNT, () => ({
    argv: [TRUE], env: ENV, memoryLimitBytes: 64 << 20
  }))
  const fallback = await viaLauncher('launcher (node fallback)', 'node', COUNT, () => ({ argv: [TRUE], env: ENV }))

  const rows = [c, node, native, logs, limited, fallback].filter((r): r is Figures => r !== undefined)
  const fmt = (v: number | undefined, digits = 2): string => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits))
  const base = c?.perSecond
  console.log(`process spawn: ${COUNT} x ${TRUE}, window ${WINDOW} in flight, ${ROUNDS} rounds, ${process.version}`)
  console.log('')
  console.log(['what'.padEnd(26), 'jobs', 'jobs/s'.padStart(8), 'vs C'.padStart(6), 'p50 ms'.padStart(7), 'p99 ms'.padStart(7),
    'max ms'.padStart(7), 'loop ms/launch'.padStart(15), 'max stall ms'.padStart(13)].join(' '))
  for (const r of rows) {
    console.log([r.name.padEnd(26), String(r.count).padStart(4), fmt(r.perSecond, 0).padStart(8),
      (base ? fmt(r.perSecond / base) : '-').padStart(6), fmt(r.p50StartMs).padStart(7), fmt(r.p99StartMs).padStart(7),
      fmt(r.maxStartMs).padStart(7), fmt(r.loopBusyMsPerLaunch, 3).padStart(15), fmt(r.loopDelayMaxMs, 1).padStart(13),
      r.note ? ` ${r.note}` : ''].join(' '))
  }
  console.log('')
  console.log('p50/p99/max: spawn() request to pid known. loop ms/launch: main-thread busy time (event-loop')
  console.log('utilisation) divided by launches, everything included. max stall: longest event-loop delay.')
  if (native && base) console.log(`launcher vs C posix_spawn: ${fmt(native.perSecond / base)}x; vs child_process.spawn: ${fmt(native.perSecond / node.perSecond)}x`)

  if (JSON_OUT) {
    const round = (v: number | undefined, digits = 3): number | null =>
      v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(digits))
    console.log(JSON.stringify({
      count: COUNT,
      window: WINDOW,
      rounds: ROUNDS,
      launcher_spawns_per_s: round(native?.perSecond, 1),
      launcher_p50_start_ms: round(native?.p50StartMs),
      launcher_p99_start_ms: round(native?.p99StartMs),
      loop_block_ms_per_launch: round(native?.loopBusyMsPerLaunch),
      loop_delay_max_ms: round(native?.loopDelayMaxMs),
      node_spawn_per_s: round(node.perSecond, 1),
      node_spawn_loop_block_ms_per_spawn: round(node.loopBusyMsPerLaunch),
      c_posix_spawn_per_s: round(c?.perSecond, 1),
      ratio_vs_c: native && base ? round(native.perSecond / base) : null,
      ratio_vs_node: native ? round(native.perSecond / node.perSecond) : null,
      launcher_with_logs_per_s: round(logs?.perSecond, 1),
      launcher_with_cgroup_per_s: round(limited?.perSecond, 1),
      launcher_cgroup_mechanism: limited?.note ?? null,
      fallback_spawns_per_s: round(fallback?.perSecond, 1),
      fallback_loop_block_ms_per_launch: round(fallback?.loopBusyMsPerLaunch)
    }))
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
