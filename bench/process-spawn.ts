// How fast does the Batch process runner start processes? `true`, N times, through:
//   - a C posix_spawn loop (bench/c/posix-spawn-loop.c): the machine's ceiling;
//   - plain child_process.spawn: what the launcher replaces;
//   - the ProcessLauncher: native helper, with log files, with memory cgroups, and the
//     pure-Node fallback.
// Scenarios:
//   burst   all N requested at once, time until all exited (C and child_process.spawn keep
//           --window in flight, 64 by default, where the C loop has long reached its plateau)
//   paced   N requests arriving at --rate per second; request-to-pid latency is measured from
//           each request's scheduled time, so a blocked event loop shows up in it. The C loop
//           paced the same way gives the machine's own floor (a vfork child waiting for a CPU
//           holds its parent: on a busy machine that alone costs tens of milliseconds)
//   closed  --closed-window requests in flight, each replaced when it exits (a busy runner
//           slot pool): every job is a Node <-> helper round trip
// The headline contenders run interleaved for --rounds rounds and report their median
// round, so that a neighbour stealing CPU for a while hurts all of them alike.
// Prints a table; with --json, one JSON object as the last line. Never fails on time.
// Launchers, children and the scratch directory are cleaned up on every way out, failures
// and SIGINT/SIGTERM included (bench/cleanup.ts).
//
//   node dist/bench/process-spawn.js [--count 2000] [--rate 400] [--rounds 3] [--json]
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { ProcessLauncher, type LaunchRequest, type LauncherImplementation } from '../runtime/runners/launcher/index.js'
import { onCleanup, runBench, track } from './cleanup.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const COUNT = option('count', 2000)
const WINDOW = option('window', 64)
const CLOSED_WINDOW = option('closed-window', 8)
const RATE = option('rate', 400)
const ROUNDS = option('rounds', 3)
const CGROUP_COUNT = Math.min(COUNT, option('cgroup-count', 500))
const JSON_OUT = process.argv.includes('--json')
const TRUE = '/usr/bin/true'
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_BATCH_JOB_ID: 'bench', AWS_BATCH_JQ_NAME: 'bench-queue', AWS_BATCH_CE_NAME: 'bench-ce' }

interface Figures {
  name: string
  scenario: 'burst' | 'paced' | 'closed'
  count: number
  perSecond: number
  /** request -> pid known, ms */
  p50StartMs?: number
  p99StartMs?: number
  maxStartMs?: number
  /** main-thread busy time per launch (event-loop utilisation), ms */
  loopBusyMsPerLaunch?: number
  /** longest single event-loop stall, ms */
  loopDelayMaxMs?: number
  /** synchronous time inside the spawn call itself (the part that blocks the caller), ms */
  callMeanMs?: number
  callMaxMs?: number
  note?: string
}

/** Starting one job: resolves when its pid is known, then `exited` when it is gone. */
type StartOne = (i: number) => Promise<{ exited: Promise<unknown> }>

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

/** Synchronous durations of spawn calls, collected by the StartOne functions. */
const callTimes: number[] = []

function timedCall<T>(call: () => T): T {
  const t0 = performance.now()
  const result = call()
  callTimes.push(performance.now() - t0)
  return result
}

/** Runs `body`, which starts `count` jobs and records request -> pid latencies, and measures it. */
async function measure(name: string, scenario: Figures['scenario'], count: number,
  body: (latencies: number[]) => Promise<void>): Promise<Figures> {
  const latencies: number[] = []
  callTimes.length = 0
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const elu0 = performance.eventLoopUtilization()
  const t0 = performance.now()
  await body(latencies)
  const seconds = (performance.now() - t0) / 1000
  const elu = performance.eventLoopUtilization(elu0)
  delay.disable()
  latencies.sort((a, b) => a - b)
  return {
    name, scenario, count, perSecond: count / seconds,
    p50StartMs: percentile(latencies, 0.5), p99StartMs: percentile(latencies, 0.99), maxStartMs: latencies[latencies.length - 1],
    loopBusyMsPerLaunch: elu.active / count, loopDelayMaxMs: delay.max / 1e6,
    callMeanMs: callTimes.length ? callTimes.reduce((a, b) => a + b, 0) / callTimes.length : undefined,
    callMaxMs: callTimes.length ? Math.max(...callTimes) : undefined
  }
}

/** At most `window` in flight, each replaced as it exits. */
function windowed(name: string, scenario: Figures['scenario'], count: number, window: number, startOne: StartOne): Promise<Figures> {
  return measure(name, scenario, count, async (latencies) => {
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        const requested = performance.now()
        const job = await startOne(i)
        latencies.push(performance.now() - requested)
        await job.exited
      }
    }
    await Promise.all(Array.from({ length: Math.min(window, count) }, lane))
  })
}

/** All requested in the same tick. */
function burst(name: string, count: number, startOne: StartOne): Promise<Figures> {
  return measure(name, 'burst', count, async (latencies) => {
    const requested = performance.now()
    const jobs = Array.from({ length: count }, (_, i) => startOne(i).then((job) => {
      latencies.push(performance.now() - requested)
      return job.exited
    }))
    await Promise.all(jobs)
  })
}

/** Requests arriving at `rate` per second; latency counted from each one's scheduled time. */
function paced(name: string, count: number, rate: number, startOne: StartOne): Promise<Figures> {
  return measure(name, 'paced', count, async (latencies) => {
    const t0 = performance.now()
    const jobs: Array<Promise<unknown>> = []
    let issued = 0
    while (issued < count) {
      const due = Math.min(count, Math.floor(((performance.now() - t0) * rate) / 1000) + 1)
      for (; issued < due; issued++) {
        const scheduled = t0 + (issued * 1000) / rate
        jobs.push(startOne(issued).then((job) => {
          latencies.push(performance.now() - scheduled)
          return job.exited
        }))
      }
      await sleep(1)
    }
    await Promise.all(jobs)
  })
}

function cLoop(window: number, scenario: Figures['scenario']): Figures | undefined {
  const binary = findUp('build/bench/posix-spawn-loop')
  if (!binary) return undefined
  const run = spawnSync(binary, [String(COUNT), String(window), TRUE], { encoding: 'utf8' })
  if (run.status !== 0) return undefined
  const parsed = JSON.parse(run.stdout.trim()) as { spawns_per_s: number }
  return { name: `C posix_spawn loop (${window})`, scenario, count: COUNT, perSecond: parsed.spawns_per_s }
}

/** The C loop starting a child every 1/rate s: the same-run floor for request-to-pid latency. */
function cPaced(): Figures | undefined {
  const binary = findUp('build/bench/posix-spawn-loop')
  if (!binary) return undefined
  const run = spawnSync(binary, [String(COUNT), '1', TRUE, String(RATE)], { encoding: 'utf8' })
  if (run.status !== 0) return undefined
  const parsed = JSON.parse(run.stdout.trim()) as { seconds: number; p50_ms: number; p99_ms: number; max_ms: number }
  return {
    name: 'C posix_spawn loop', scenario: 'paced', count: COUNT, perSecond: COUNT / parsed.seconds,
    p50StartMs: parsed.p50_ms, p99StartMs: parsed.p99_ms, maxStartMs: parsed.max_ms
  }
}

const nodeStart: StartOne = async () => {
  const child = track(timedCall(() => spawn(TRUE, [], { stdio: 'ignore', env: ENV })))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  return { exited }
}

/** Starts a launcher, warms it up, runs `run` with its StartOne, closes it. */
async function withLauncher<T>(implementation: LauncherImplementation, request: (i: number) => LaunchRequest,
  run: (startOne: StartOne, launcher: ProcessLauncher) => Promise<T>): Promise<T | undefined> {
  let launcher: ProcessLauncher
  try {
    launcher = await ProcessLauncher.start({ implementation })
  } catch (error) {
    console.error(`(${implementation} launcher unavailable: ${(error as Error).message})`)
    return undefined
  }
  onCleanup(() => launcher.close()) // a signal mid-run; close is idempotent
  try {
    for (let i = 0; i < 50; i++) await (await launcher.spawn(request(-i - 1))).exited
    return await run((i) => timedCall(() => launcher.spawn(request(i))), launcher)
  } finally {
    await launcher.close()
  }
}

/** The round with the median value of `key` (rate by default). */
function medianBy(rounds: Array<Figures | undefined>, key: (f: Figures) => number, digits = 0): Figures | undefined {
  const ok = rounds.filter((r): r is Figures => r !== undefined && !Number.isNaN(key(r)))
  if (ok.length === 0) return undefined
  ok.sort((a, b) => key(a) - key(b))
  const mid = ok[(ok.length - 1) >> 1]
  return ok.length > 1 ? { ...mid, note: `median of ${ok.map((r) => key(r).toFixed(digits)).join(' ')}` } : mid
}

function median(rounds: Array<Figures | undefined>): Figures | undefined {
  return medianBy(rounds, (f) => f.perSecond)
}

const plain = (): LaunchRequest => ({ argv: [TRUE], env: ENV })
await runBench(async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stratus-bench-spawn-'))
  onCleanup(() => rmSync(scratch, { recursive: true, force: true }))
  // Headline throughput: interleaved rounds.
  const rounds: Array<Array<Figures | undefined>> = []
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push([
      cLoop(WINDOW, 'burst'),
      await windowed(`child_process.spawn (${WINDOW})`, 'burst', COUNT, WINDOW, nodeStart),
      await withLauncher('native', plain, (start) => burst('launcher', COUNT, start))
    ])
  }
  const [c, node, native] = [0, 1, 2].map((k) => median(rounds.map((round) => round[k])))

  // Latency under a steady arrival rate, interleaved too; the median round by p99.
  const pacedRounds: Array<Array<Figures | undefined>> = []
  for (let r = 0; r < ROUNDS; r++) {
    pacedRounds.push([
      cPaced(),
      await paced('child_process.spawn', COUNT, RATE, nodeStart),
      await withLauncher('native', plain, (start) => paced('launcher', COUNT, RATE, start))
    ])
  }
  const [cPace, nodePaced, nativePaced] = [0, 1, 2].map((k) => medianBy(pacedRounds.map((round) => round[k]), (f) => f.p99StartMs ?? NaN, 1))

  // A runner's slot pool: every job is a round trip.
  const cClosed = cLoop(CLOSED_WINDOW, 'closed')
  const nativeClosed = await withLauncher('native', plain, (start) => windowed(`launcher (${CLOSED_WINDOW})`, 'closed', COUNT, CLOSED_WINDOW, start))

  // Realistic variants and the fallback.
  const logs = await withLauncher('native', (i) => ({
    argv: [TRUE], env: ENV, stdout: join(scratch, `${i}.out`), stderr: join(scratch, `${i}.err`)
  }), (start) => burst('launcher + 2 log files', COUNT, start))
  let mechanism = 'none'
  const limited = await withLauncher('native', () => ({ argv: [TRUE], env: ENV, memoryLimitBytes: 64 << 20 }), (start, launcher) => {
    mechanism = launcher.memoryLimit.mechanism
    return burst('launcher + memory cgroup', CGROUP_COUNT, start)
  })
  if (limited) limited.note = `limits: ${mechanism}`
  const fallback = await withLauncher('node', plain, (start) => burst('launcher (node fallback)', COUNT, start))

  // What the disk alone charges for the log files of the "+ 2 log files" row.
  const files = join(scratch, 'files')
  mkdirSync(files)
  const f0 = performance.now()
  for (let i = 0; i < 2 * COUNT; i++) closeSync(openSync(join(files, String(i)), 'w'))
  const fileCreateMs = performance.now() - f0

  const fmt = (v: number | undefined, digits = 2): string => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits))
  const table = (title: string, base: Figures | undefined, rows: Array<Figures | undefined>): void => {
    console.log(title)
    console.log(['  what'.padEnd(32), 'jobs'.padStart(5), 'jobs/s'.padStart(7), 'vs C'.padStart(5), 'p50 ms'.padStart(7),
      'p99 ms'.padStart(7), 'max ms'.padStart(7), 'loop ms/job'.padStart(11), 'call ms'.padStart(8), 'stall ms'.padStart(9)].join(' '))
    for (const r of rows) {
      if (!r) continue
      console.log([`  ${r.name}`.padEnd(32), String(r.count).padStart(5), fmt(r.perSecond, 0).padStart(7),
        (base ? fmt(r.perSecond / base.perSecond) : '-').padStart(5), fmt(r.p50StartMs).padStart(7), fmt(r.p99StartMs).padStart(7),
        fmt(r.maxStartMs).padStart(7), fmt(r.loopBusyMsPerLaunch, 3).padStart(11), fmt(r.callMeanMs, 3).padStart(8),
        fmt(r.loopDelayMaxMs, 1).padStart(9),
        r.note ? ` ${r.note}` : ''].join(' '))
    }
    console.log('')
  }
  console.log(`process spawn: ${COUNT} x ${TRUE}, ${process.version}, ${ROUNDS} interleaved rounds\n`)
  table(`burst: all requested at once (C and child_process.spawn: ${WINDOW} in flight)`, c, [c, node, native, logs, limited, fallback])
  table(`paced: ${RATE} requests/s, latency from each request's scheduled time (median round by p99)`, undefined, [cPace, nodePaced, nativePaced])
  table(`closed: ${CLOSED_WINDOW} in flight, each replaced when it exits`, cClosed, [cClosed, nativeClosed])
  console.log('p50/p99/max: request to pid known. loop ms/job: main-thread busy time (event-loop utilisation)')
  console.log('per launch, everything included (paced: also the pacing timer). call ms: mean synchronous time')
  console.log('of the spawn call. stall: longest event-loop delay seen (includes CPU taken by neighbours).')
  console.log(`creating ${2 * COUNT} empty files in ${tmpdir()} alone took ${fileCreateMs.toFixed(0)} ms here (${(fileCreateMs * 1000 / (2 * COUNT)).toFixed(0)} us each).`)

  if (JSON_OUT) {
    const round = (v: number | undefined, digits = 3): number | null =>
      v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(digits))
    const ratio = (a: Figures | undefined, b: Figures | undefined): number | null =>
      a && b ? round(a.perSecond / b.perSecond) : null
    console.log(JSON.stringify({
      count: COUNT, rounds: ROUNDS, rate: RATE, window: WINDOW, closed_window: CLOSED_WINDOW,
      launcher_spawns_per_s: round(native?.perSecond, 1),
      launcher_p99_start_ms: round(nativePaced?.p99StartMs),
      launcher_p50_start_ms: round(nativePaced?.p50StartMs),
      // main-thread busy time per launch over the burst: encode, parse, promises, bookkeeping
      loop_block_ms_per_launch: round(native?.loopBusyMsPerLaunch),
      loop_block_ms_per_launch_paced: round(nativePaced?.loopBusyMsPerLaunch),
      loop_delay_max_ms: round(nativePaced?.loopDelayMaxMs),
      spawn_call_mean_ms: round(nativePaced?.callMeanMs, 4),
      spawn_call_max_ms: round(nativePaced?.callMaxMs),
      node_spawn_call_mean_ms: round(nodePaced?.callMeanMs, 4),
      node_spawn_per_s: round(node?.perSecond, 1),
      node_spawn_p99_start_ms: round(nodePaced?.p99StartMs),
      node_spawn_loop_block_ms_per_spawn: round(nodePaced?.loopBusyMsPerLaunch),
      c_posix_spawn_p99_start_ms: round(cPace?.p99StartMs),
      c_posix_spawn_per_s: round(c?.perSecond, 1),
      ratio_vs_c: ratio(native, c),
      ratio_vs_node: ratio(native, node),
      closed_launcher_per_s: round(nativeClosed?.perSecond, 1),
      closed_c_per_s: round(cClosed?.perSecond, 1),
      closed_ratio_vs_c: ratio(nativeClosed, cClosed),
      launcher_with_logs_per_s: round(logs?.perSecond, 1),
      file_create_us: round((fileCreateMs * 1000) / (2 * COUNT), 1),
      launcher_with_cgroup_per_s: round(limited?.perSecond, 1),
      cgroup_mechanism: mechanism,
      fallback_spawns_per_s: round(fallback?.perSecond, 1),
      fallback_loop_block_ms_per_launch: round(fallback?.loopBusyMsPerLaunch)
    }))
  }
})
