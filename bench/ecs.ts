// ECS figures, each beside a baseline measured in the same run:
//   scale       a REPLICA service scaled 0 → 50 on the docker runner, time to all
//               RUNNING, against a loop of 50 `docker run -d` of the same image
//               (ecs_scale_ratio = service / loop; target ≤ 1.0)
//   rolling     a rolling deployment of a 20-task service to a new revision
//               (seconds until the new deployment is COMPLETED and the old one gone),
//               beside the same 20 tasks' first start (the scale-up it must redo)
//   simulated   10,000 tasks on 1,000 simulated container instances, RunTask of 10
//               with spread(attribute:ecs.availability-zone) + binpack(memory)
//               (tasks_per_s; target ≥ 5,000), and placement ms per RunTask of 10
//               from the placement engineer's benchEcsPlacement (WASM vs twin)
// Prints a table; with --json, one JSON object as the last line. Targets are
// printed, never failed on. Everything it starts is gone when it ends, also
// when it fails (bench/cleanup.ts; docker containers carry stratus.bench=<run id>,
// the engine's own are removed when it closes).
//
//   node dist/bench/ecs.js [--json] [--skip-docker] [--tasks 10000] [--instances 1000]
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Engine } from '../runtime/engine.js'
import { loadBusyboxIntoDocker, BUSYBOX_TAG } from '../tests/fixtures/busybox-image.js'
import { exec, onCleanup, runBench } from './cleanup.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const JSON_OUT = process.argv.includes('--json')
const SKIP_DOCKER = process.argv.includes('--skip-docker')
const SIM_TASKS = option('tasks', 10_000)
const SIM_INSTANCES = option('instances', 1000)
const SCALE = 50
const ROLLING = 20
const RUN = `bench-${randomUUID().slice(0, 8)}`
const log = (line: string) => { if (!JSON_OUT) console.log(line) }

/** Polls check() every 50 ms (real clock) until it holds; throws after `boundMs`. */
async function until(what: string, check: () => Promise<boolean>, boundMs = 300_000): Promise<void> {
  const end = performance.now() + boundMs
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`${what}: not reached in ${boundMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function removeBenchContainers(): Promise<void> {
  const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=stratus.bench=${RUN}`])
  const ids = stdout.split('\n').filter(Boolean)
  if (ids.length > 0) await exec('docker', ['rm', '-f', ...ids])
}

interface DockerFigures { service_scale_s: number; docker_run_loop_s: number; ecs_scale_ratio: number; rolling_deployment_s: number; rolling_first_start_s: number }

async function dockerScenarios(): Promise<DockerFigures> {
  await loadBusyboxIntoDocker()
  onCleanup(() => removeBenchContainers())
  // The baseline: 50 `docker run -d` one after another.
  let t0 = performance.now()
  for (let i = 0; i < SCALE; i++) await exec('docker', ['run', '-d', '--label', `stratus.bench=${RUN}`, BUSYBOX_TAG, 'sleep', '3600'])
  const loop = (performance.now() - t0) / 1000
  await removeBenchContainers()

  const engine = await Engine.start({ runner: 'docker', ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  onCleanup(() => engine.close())
  const ecs = engine.ecs
  await ecs.createCluster({ clusterName: 'bench' })
  // Two m5.4xlarge-sized instances (16 vCPU, 64 GiB each): room for 50 tasks, and for 40 during the rolling update.
  for (let i = 0; i < 2; i++) {
    await ecs.registerContainerInstance({ cluster: 'bench', instanceIdentityDocument: JSON.stringify({ instanceType: 'm5.4xlarge', availabilityZone: `us-east-1${'ab'[i]}` }) })
  }
  const container = { name: 'app', image: BUSYBOX_TAG, command: ['sleep', '3600'], cpu: 64, memory: 64 }
  await ecs.registerTaskDefinition({ family: 'bench', containerDefinitions: [container] })
  const describe = async (name: string) => (await ecs.describeServices({ cluster: 'bench', services: [name] })).services![0]

  await ecs.createService({ cluster: 'bench', serviceName: 'scale', taskDefinition: 'bench', desiredCount: 0 })
  t0 = performance.now()
  await ecs.updateService({ cluster: 'bench', service: 'scale', desiredCount: SCALE })
  await until(`${SCALE} tasks RUNNING`, async () => (await describe('scale')).runningCount === SCALE)
  const scale = (performance.now() - t0) / 1000
  await ecs.updateService({ cluster: 'bench', service: 'scale', desiredCount: 0 })
  await until('scale service at 0', async () => (await describe('scale')).runningCount === 0)
  await ecs.deleteService({ cluster: 'bench', service: 'scale', force: true })

  t0 = performance.now()
  await ecs.createService({ cluster: 'bench', serviceName: 'roll', taskDefinition: 'bench', desiredCount: ROLLING })
  await until(`${ROLLING} tasks RUNNING`, async () => (await describe('roll')).runningCount === ROLLING)
  const firstStart = (performance.now() - t0) / 1000
  await ecs.registerTaskDefinition({ family: 'bench', containerDefinitions: [{ ...container, command: ['sleep', '3601'] }] })
  t0 = performance.now()
  await ecs.updateService({ cluster: 'bench', service: 'roll', taskDefinition: 'bench:2' })
  await until('the rolling deployment COMPLETED', async () => {
    const s = await describe('roll')
    const deployments = s.deployments ?? []
    return deployments.length === 1 && deployments[0].rolloutState === 'COMPLETED' && s.runningCount === ROLLING
  })
  const rolling = (performance.now() - t0) / 1000
  await ecs.updateService({ cluster: 'bench', service: 'roll', desiredCount: 0 })
  await ecs.deleteService({ cluster: 'bench', service: 'roll', force: true })
  await engine.close()
  return {
    service_scale_s: round(scale), docker_run_loop_s: round(loop), ecs_scale_ratio: round(scale / loop),
    rolling_deployment_s: round(rolling), rolling_first_start_s: round(firstStart)
  }
}

interface SimulatedFigures {
  tasks: number; instances: number; run_task_calls: number; tasks_per_s: number; placed: number; failures: number; run_task_ms_per_call: number
  /** Tasks per second of this process's own CPU time: steadier than wall time on a shared, loaded machine. */
  tasks_per_cpu_s: number
}

async function simulatedScenario(): Promise<SimulatedFigures> {
  const engine = await Engine.start({ clock: 'manual', runner: 'simulated', ecs: { defaultInstances: { count: 0, instanceType: 'm5.xlarge' } } })
  onCleanup(() => engine.close())
  const ecs = engine.ecs
  await ecs.createCluster({ clusterName: 'sim' })
  for (let i = 0; i < SIM_INSTANCES; i++) {
    await ecs.registerContainerInstance({ cluster: 'sim', instanceIdentityDocument: JSON.stringify({ instanceType: 'm5.xlarge', availabilityZone: `us-east-1${'abc'[i % 3]}` }) })
  }
  await ecs.registerTaskDefinition({
    family: 'sim', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 512, environment: [{ name: 'STRATUS_SIM_SECONDS', value: '86400' }] }]
  })
  const calls = Math.ceil(SIM_TASKS / 10)
  let placed = 0
  let failures = 0
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  for (let c = 0; c < calls; c++) {
    const r = await ecs.runTask({
      cluster: 'sim', taskDefinition: 'sim', count: 10,
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }]
    })
    placed += r.tasks?.length ?? 0
    failures += r.failures?.length ?? 0
  }
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuMs = (cpu.user + cpu.system) / 1000
  await engine.close()
  return {
    tasks: calls * 10, instances: SIM_INSTANCES, run_task_calls: calls, tasks_per_s: Math.round((placed * 1000) / ms), placed, failures,
    run_task_ms_per_call: round(ms / calls, 3), tasks_per_cpu_s: Math.round((placed * 1000) / cpuMs)
  }
}

/** The placement engineer's benchmark (bench/ecs-placement.ts), when it has landed on this branch. */
async function placementFigures(): Promise<Record<string, unknown> | undefined> {
  const path = fileURLToPath(new URL('./ecs-placement.js', import.meta.url))
  if (!existsSync(path)) return undefined
  const mod = await import(path) as { benchEcsPlacement(o?: { calls?: number; instances?: number }): Promise<Record<string, unknown>> }
  return mod.benchEcsPlacement({ instances: SIM_INSTANCES })
}

function round(x: number, digits = 2): number {
  return Number(x.toFixed(digits))
}

await runBench(async () => {
  const out: Record<string, unknown> = { run: RUN, targets: { ecs_scale_ratio: '<= 1.0', tasks_per_s: '>= 5000' } }
  const sim = await simulatedScenario()
  out.simulated = sim
  log(`simulated: ${sim.placed} of ${sim.tasks} tasks on ${sim.instances} instances via ${sim.run_task_calls} RunTask of 10 (spread az + binpack memory): ` +
    `${sim.tasks_per_s.toLocaleString('en-US')} tasks/s (${sim.tasks_per_cpu_s.toLocaleString('en-US')} per CPU-second), ${sim.run_task_ms_per_call} ms per RunTask; ${sim.failures} failures (target ≥ 5,000 tasks/s)`)
  const placement = await placementFigures()
  out.placement = placement ?? 'bench/ecs-placement.ts not on this branch'
  if (placement) {
    log(`placement alone: ${String(placement.wasm_ms_per_call)} ms per placeTasks of 10 on ${String(placement.instances)} instances (WASM), twin ${String(placement.ts_ms_per_call)} ms (x${String(placement.ratio)})`)
    out.run_task_over_placement = round(sim.run_task_ms_per_call / Number(placement.wasm_ms_per_call))
  }
  if (!SKIP_DOCKER) {
    const docker = await dockerScenarios()
    out.docker = docker
    out.ecs_scale_ratio = docker.ecs_scale_ratio
    log(`scale 0 → ${SCALE} on docker: ${docker.service_scale_s} s; ${SCALE} × docker run -d: ${docker.docker_run_loop_s} s; ecs_scale_ratio ${docker.ecs_scale_ratio} (target ≤ 1.0)`)
    log(`rolling deployment of ${ROLLING} tasks: ${docker.rolling_deployment_s} s (their first start: ${docker.rolling_first_start_s} s)`)
  }
  out.tasks_per_s = sim.tasks_per_s
  out.load_average = os.loadavg().map((x) => round(x))
  console.log(JSON.stringify(out))
})
