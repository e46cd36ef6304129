// The Batch benchmark's scenarios, importable: bench/batch.ts runs them on the
// memory store, bench/store.ts on the memory and the SQLite store in one run
// (o.engine: the engine options of the run, e.g. { dataDir }).
//
//   simulatedBatch  arrays x children on simulated nodes, from submission until
//                   every child SUCCEEDED; RSS per child retained
//   processBatch    jobs running `true` on the process runner, from submission
//                   until all SUCCEEDED; runner.start() call time and main-thread
//                   time per job; then `paced` more at `pace`/s for p50/p99
//                   submission-to-RUNNING (none when paced is 0)

import { performance } from 'node:perf_hooks'
import { Stratus, type EmbeddedOptions } from '../sdk/index.js'
import { uninstrumented } from '../runtime/runners/index.js'
import { onCleanup } from './cleanup.js'

/** The process phase's compute environment: PROCESS_NODES x NODE_VCPUS, each job 1 vCPU. */
export const PROCESS_NODES = 8
export const NODE_VCPUS = 64

export interface SimulatedOptions {
  arrays: number
  children: number
  nodes: number
  engine?: EmbeddedOptions
}

export interface ProcessOptions {
  jobs: number
  pace: number
  paced: number
  /** Jobs run before measuring (the launcher, the placement core, the JIT); default 100. */
  warmup?: number
  engine?: EmbeddedOptions
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) for (let i = 0; i < 3; i++) g()
}

export async function simulatedBatch(o: SimulatedOptions) {
  const { arrays: ARRAYS, children: CHILDREN, nodes: NODES } = o
  await using cloud = await Stratus.embedded({ ...o.engine, runner: 'simulated' })
  onCleanup(() => cloud.close()) // SIGINT/SIGTERM, unhandled rejections (close is idempotent)
  const own = await cloud.batch.computeEnvironment('sim-nodes').unmanaged().create()
  for (let i = 0; i < NODES; i++) await own.registerNode({ vcpus: 2, memory: 8192, instanceType: 'm5.large' })
  const queue = await cloud.batch.jobQueue('sim').priority(1).computeEnvironments(own).create()
  const def = await cloud.batch.jobDefinition('sim-task').command('true').vcpus(1).memory(512).register()
  gc()
  const rssBefore = process.memoryUsage().rss
  const rounds0 = cloud.engine.batch.rounds
  const start = performance.now()
  const jobs = []
  for (let a = 0; a < ARRAYS; a++) jobs.push(await cloud.batch.job(`sweep-${a}`).queue(queue).definition(def).array(CHILDREN).submit())
  const results = await Promise.all(jobs.map((j) => j.wait()))
  const seconds = (performance.now() - start) / 1000
  const rounds = cloud.engine.batch.rounds - rounds0
  const succeeded = results.reduce((sum, d) => sum + (d.arrayProperties?.statusSummary?.SUCCEEDED ?? 0), 0)
  gc()
  const rssAfter = process.memoryUsage().rss
  const children = ARRAYS * CHILDREN
  return {
    children,
    succeeded,
    seconds,
    jobsPerS: children / seconds,
    rssPerChild: Math.max(0, rssAfter - rssBefore) / children,
    rounds
  }
}

export async function processBatch(o: ProcessOptions) {
  const { jobs: JOBS, pace: PACE, paced: PACED, warmup = 100 } = o
  await using cloud = await Stratus.embedded({ ...o.engine, runner: 'process' })
  onCleanup(() => cloud.close()) // SIGINT/SIGTERM, unhandled rejections (close is idempotent)
  const own = await cloud.batch.computeEnvironment('local').unmanaged().create()
  for (let i = 0; i < PROCESS_NODES; i++) await own.registerNode({ vcpus: NODE_VCPUS, memory: 262144 })
  const queue = await cloud.batch.jobQueue('local').priority(1).computeEnvironments(own).create()
  const def = await cloud.batch.jobDefinition('true').command('true').vcpus(1).memory(64).register()
  const submit = (name: string) => cloud.batch.job(name).queue(queue).definition(def).submit()
  // Warm up: the launcher, the placement core, the JIT.
  await Promise.all((await Promise.all(Array.from({ length: warmup }, (_, i) => submit(`warm-${i}`)))).map((j) => j.wait()))

  // Time spent inside the synchronous runner.start() call (the rest of a launch runs
  // off the event loop), and performance.now() when each job's first attempt runs.
  const runner = cloud.engine.runner
  const start0 = runner.start.bind(runner)
  let startCallMs = 0
  let launches = 0
  const runningAt = new Map<string, number>() // job id -> performance.now()
  runner.start = (spec, listener) => {
    const jobId = spec.id.slice(spec.id.indexOf(':') + 1, spec.id.lastIndexOf('#')) // run ids are batch:<jobId>#<attempt>
    const wrapped: typeof listener = {
      running: (info) => {
        if (!runningAt.has(jobId)) runningAt.set(jobId, performance.now())
        listener.running(info)
      },
      exited: (exit) => listener.exited(exit),
      failed: (error) => listener.failed(error)
    }
    const t0 = performance.now()
    start0(spec, wrapped)
    startCallMs += performance.now() - t0
    launches++
  }

  // Throughput: submit every job at once, wait for all.
  const rounds0 = cloud.engine.batch.rounds
  const elu0 = performance.eventLoopUtilization()
  const start = performance.now()
  const jobs = []
  for (let i = 0; i < JOBS; i++) jobs.push(await submit(`true-${i}`))
  const details = await Promise.all(jobs.map((j) => j.wait()))
  const seconds = (performance.now() - start) / 1000
  const elu = performance.eventLoopUtilization(elu0)
  // Snapshot before the paced phase adds its own rounds and launches.
  const rounds = cloud.engine.batch.rounds - rounds0
  const throughputStartCallMs = startCallMs
  const throughputLaunches = launches

  // Latency: jobs submitted at a steady PACE per second; submission to RUNNING per job.
  const paced = []
  const submittedAt = new Map<string, number>() // job id -> performance.now() just before submit
  const pacedStart = performance.now()
  for (let i = 0; i < PACED; i++) {
    const due = pacedStart + (i * 1000) / PACE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const t0 = performance.now()
    const job = await submit(`paced-${i}`)
    submittedAt.set(job.id, t0)
    paced.push(job)
  }
  const pacedDetails = await Promise.all(paced.map((j) => j.wait()))
  // A job that never reached RUNNING has no submission-to-RUNNING time: excluded, and counted.
  const delays: number[] = []
  for (const job of paced) {
    const ran = runningAt.get(job.id)
    if (ran !== undefined) delays.push(ran - submittedAt.get(job.id)!)
  }
  delays.sort((a, b) => a - b)
  const percentile = (q: number) => (delays.length === 0 ? null : delays[Math.min(delays.length - 1, Math.floor(delays.length * q))])
  return {
    jobs: JOBS,
    succeeded: details.filter((d) => d.status === 'SUCCEEDED').length,
    paced: PACED,
    pacedSucceeded: pacedDetails.filter((d) => d.status === 'SUCCEEDED').length,
    pacedNeverRan: PACED - delays.length,
    seconds,
    jobsPerS: JOBS / seconds,
    p99StartMs: percentile(0.99),
    p50StartMs: percentile(0.5),
    loopBusyMsPerLaunch: elu.active / JOBS,
    startCallMsPerLaunch: throughputLaunches === 0 ? null : throughputStartCallMs / throughputLaunches,
    launches: throughputLaunches,
    rounds,
    implementation: (uninstrumented(cloud.engine.runner) as { launcher?: { implementation: string } }).launcher?.implementation ?? 'unknown'
  }
}

