// What does a simulated sandbox cost, and what does instrument() add to it?
// N one-container sandboxes (each lasting 60 s of a manual clock, started in
// waves, as Batch starts array children) through:
//   raw            the SimulatedRunner itself: the baseline
//   instrumented   instrument(runner), nobody subscribed (the engine's usual case)
//   observed       instrument(runner) with subscribers on stratus:runner:start/exit/error
// The three run interleaved for --rounds rounds; each reports its median round (wall
// time and this process's CPU time: on a shared machine the CPU figure is the steadier)
// and its ratio to the raw runner of the same run. Never fails on time.
//
//   node dist/bench/runner-overhead.js [--count 1000000] [--wave 50000] [--rounds 3] [--json]
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { ManualClock } from '../runtime/clock/clock.js'
import { instrument, SimulatedRunner, type Runner, type SandboxListener, type SandboxSpec } from '../runtime/runners/index.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const COUNT = option('count', 1_000_000)
const WAVE = Math.min(COUNT, option('wave', 50_000))
const ROUNDS = option('rounds', 3)
const JSON_OUT = process.argv.includes('--json')

type Variant = 'raw' | 'instrumented' | 'observed'
const VARIANTS: Variant[] = ['raw', 'instrumented', 'observed']
const CHANNELS = ['stratus:runner:start', 'stratus:runner:exit', 'stratus:runner:error']

/** A spec as Batch builds one for an array child (its own id, labels, env and paths). */
function childSpec(i: number): SandboxSpec {
  const id = `job-${i >> 10}:${i & 1023}#1`
  return {
    id,
    labels: { 'stratus.task': id },
    containers: [{
      name: 'default', command: ['sh', '-c', 'true'],
      env: { STRATUS_SIM_SECONDS: '60', AWS_BATCH_JOB_ID: id, AWS_BATCH_JOB_ARRAY_INDEX: String(i & 1023) },
      vcpus: 1, memoryMiB: 128, gpus: 0, logPath: `/tmp/stratus-bench/logs/${id}`, workDir: `/tmp/stratus-bench/work/${id}`
    }]
  }
}

async function round(variant: Variant): Promise<{ ms: number; cpuMs: number }> {
  const clock = new ManualClock(0)
  const simulated = new SimulatedRunner(clock)
  const runner: Runner = variant === 'raw' ? simulated : instrument(simulated)
  let published = 0
  const count = (): void => { published++ }
  if (variant === 'observed') for (const name of CHANNELS) subscribe(name, count)
  let exited = 0
  const listener: SandboxListener = {
    running: () => {},
    exited: () => { exited++ },
    failed: (error) => { throw error }
  }
  try {
    const started = performance.now()
    const cpu = process.cpuUsage()
    for (let first = 0; first < COUNT; first += WAVE) {
      const last = Math.min(COUNT, first + WAVE)
      for (let i = first; i < last; i++) runner.start(childSpec(i), listener)
      await clock.advance(60_000)
    }
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    const cpuMs = (used.user + used.system) / 1000
    if (exited !== COUNT) throw new Error(`${variant}: ${exited} of ${COUNT} sandboxes exited`)
    if (variant === 'observed' && published !== 2 * COUNT) throw new Error(`observed: ${published} messages for ${COUNT} sandboxes`)
    return { ms, cpuMs }
  } finally {
    if (variant === 'observed') for (const name of CHANNELS) unsubscribe(name, count)
    await runner.close()
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const wall: Record<Variant, number[]> = { raw: [], instrumented: [], observed: [] }
const cpu: Record<Variant, number[]> = { raw: [], instrumented: [], observed: [] }
for (let r = 0; r < ROUNDS; r++) {
  for (const variant of VARIANTS) {
    globalThis.gc?.()
    const { ms, cpuMs } = await round(variant)
    wall[variant].push(ms)
    cpu[variant].push(cpuMs)
  }
}
const baseWall = median(wall.raw)
const baseCpu = median(cpu.raw)
const rows = VARIANTS.map((variant) => {
  const ms = median(wall[variant])
  const cpuMs = median(cpu[variant])
  return {
    variant, ms: Math.round(ms), cpuMs: Math.round(cpuMs), cpuUsPerSandbox: +(cpuMs * 1000 / COUNT).toFixed(3),
    perSecond: Math.round(COUNT / (ms / 1000)), ratio: +(ms / baseWall).toFixed(3), cpuRatio: +(cpuMs / baseCpu).toFixed(3)
  }
})
console.log(`simulated sandboxes: ${COUNT.toLocaleString('en')} in waves of ${WAVE.toLocaleString('en')}, median of ${ROUNDS} interleaved rounds`)
console.log('variant        wall ms   cpu ms   cpu µs/sandbox   sandboxes/s   wall vs raw   cpu vs raw')
for (const r of rows) {
  console.log(`${r.variant.padEnd(14)} ${String(r.ms).padStart(7)}  ${String(r.cpuMs).padStart(7)}   ${r.cpuUsPerSandbox.toFixed(3).padStart(14)}   ${r.perSecond.toLocaleString('en').padStart(11)}   ${r.ratio.toFixed(3).padStart(10)}x   ${r.cpuRatio.toFixed(3).padStart(9)}x`)
}
if (JSON_OUT) console.log(JSON.stringify({ count: COUNT, wave: WAVE, rounds: ROUNDS, rows }))
