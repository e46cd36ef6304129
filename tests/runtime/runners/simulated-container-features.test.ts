// ECS's container features on the simulated runner and the manual clock:
// health checks counted as Docker counts them (STRATUS_SIM_HEALTHY_SECONDS
// makes a check start failing), dependsOn ordering container starts and
// ending the sandbox when a condition can no longer hold, changed() reports,
// per-container stop timeouts, ephemeral storage.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { instrument, SimulatedRunner, type Runner, type SandboxSpec } from '../../../runtime/runners/index.js'
import { observer, specMaker } from './conformance-kit.js'

const START = Date.UTC(2025, 0, 1)
const LONG = { STRATUS_SIM_SECONDS: '3600' }
const check = (o: Record<string, number> = {}) => ({ command: ['CMD-SHELL', 'true'], intervalSeconds: 5, ...o })

async function setUp(t: Test): Promise<{ clock: ManualClock; runner: Runner; spec: ReturnType<typeof specMaker>; dir: string }> {
  const clock = new ManualClock(START)
  const runner = instrument(new SimulatedRunner(clock, { graceMs: 10_000 }))
  const dir = await mkdtemp(join(tmpdir(), 'stratus-sim-features-'))
  t.teardown(async () => {
    await runner.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { clock, runner, spec: specMaker(dir, 'sim-features'), dir }
}

function run(runner: Runner, spec: SandboxSpec) {
  const seen = observer()
  runner.start(spec, seen.listener)
  return seen
}

const states = (info: { containers: Array<{ name: string; state: string; health?: string; exitCode?: number | null }> }) =>
  Object.fromEntries(info.containers.map((c) => [c.name, [c.state, c.health, c.exitCode].filter((v) => v !== undefined).join(' ')]))

t.test('a health check: UNKNOWN, HEALTHY at the first probe, UNHEALTHY after `retries` failures past the start period', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const s = spec.many([
    { name: 'web', env: { ...LONG, STRATUS_SIM_HEALTHY_SECONDS: '12' }, more: { healthCheck: check({ retries: 2 }) } },
    { name: 'slow', env: { ...LONG, STRATUS_SIM_HEALTHY_SECONDS: '0' }, more: { healthCheck: check({ retries: 1, startPeriodSeconds: 20 }) } }
  ])
  const seen = run(runner, s)
  await clock.advance(0)
  t.same(states(seen.info!), { web: 'running UNKNOWN', slow: 'running UNKNOWN' })
  await clock.advance(4_999)
  t.same(seen.changes, [], 'no probe before one interval')
  await clock.advance(1)
  t.same(seen.changes.map(states), [{ web: 'running HEALTHY', slow: 'running UNKNOWN' }], 'a pass at 5 s; a failure inside the start period does not count')
  // web's check fails from 12 s: probes at 15 and 20 s fail (retries 2) → UNHEALTHY at 20 s; slow's first counted failure is at 20 s.
  await clock.advance(10_000)
  t.equal(seen.changes.length, 1, 'one failure is not enough')
  await clock.advance(5_000)
  t.same(seen.changes.slice(1).map(states), [{ web: 'running UNHEALTHY', slow: 'running UNKNOWN' }, { web: 'running UNHEALTHY', slow: 'running UNHEALTHY' }],
    'one report per transition')
  t.match(runner.inspect(s.id), { containers: [{ name: 'web', health: 'UNHEALTHY' }, { name: 'slow', health: 'UNHEALTHY' }] })
  t.same(seen.calls, ['running'], 'an unhealthy container is reported, not stopped (the owner decides)')
})

t.test('dependsOn: each container starts once its conditions hold; running() once those without conditions run', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const s = spec.many([
    { name: 'app', env: LONG, more: { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }, { containerName: 'migrate', condition: 'SUCCESS' }] } },
    { name: 'db', env: LONG, more: { healthCheck: check() } },
    { name: 'migrate', essential: false, env: { STRATUS_SIM_SECONDS: '2' } },
    { name: 'sidecar', essential: false, env: LONG, more: { dependsOn: [{ containerName: 'db', condition: 'START' }] } },
    { name: 'report', essential: false, env: { STRATUS_SIM_SECONDS: '1' }, more: { dependsOn: [{ containerName: 'migrate', condition: 'COMPLETE' }] } }
  ])
  const seen = run(runner, s)
  await clock.advance(0)
  t.same(states(seen.info!), { app: 'starting', db: 'running UNKNOWN', migrate: 'running', sidecar: 'starting', report: 'starting' })
  t.same(seen.changes.map(states), [{ app: 'starting', db: 'running UNKNOWN', migrate: 'running', sidecar: 'running', report: 'starting' }],
    'START holds once the other has started: right after running()')
  await clock.advance(2_000)
  t.same(seen.changes.slice(1).map(states), [
    { app: 'starting', db: 'running UNKNOWN', migrate: 'exited 0', sidecar: 'running', report: 'starting' },
    { app: 'starting', db: 'running UNKNOWN', migrate: 'exited 0', sidecar: 'running', report: 'running' }
  ], 'migrate exits 0 (reported with its code): COMPLETE holds, SUCCESS too, but app still waits for HEALTHY')
  await clock.advance(1_000)
  t.same(states(seen.changes.at(-1)!).report, 'exited 0')
  await clock.advance(2_000)
  t.same(seen.changes.slice(-2).map(states), [
    { app: 'starting', db: 'running HEALTHY', migrate: 'exited 0', sidecar: 'running', report: 'exited 0' },
    { app: 'running', db: 'running HEALTHY', migrate: 'exited 0', sidecar: 'running', report: 'exited 0' }
  ], 'db HEALTHY at 5 s: app starts')
  runner.stop(s.id)
  const exit = await seen.done
  t.match(exit, { stopped: true, containers: [{ name: 'app', signal: 'SIGTERM' }, { name: 'db' }, { name: 'migrate', exitCode: 0 }, {}, {}] })
  t.notOk(exit.dependencyFailure)
  t.notOk(exit.containers.some((c) => c.notStarted))
})

t.test('a condition that can no longer hold ends the sandbox: the waiting container never starts', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const failedSuccess = run(runner, spec.many([
    { name: 'app', env: LONG, more: { dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }] } },
    { name: 'migrate', essential: false, env: { STRATUS_SIM_SECONDS: '1', STRATUS_SIM_EXIT: '3' } },
    { name: 'proxy', env: LONG }
  ]))
  const unhealthy = run(runner, spec.many([
    { name: 'app', env: LONG, more: { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] } },
    { name: 'db', env: { ...LONG, STRATUS_SIM_HEALTHY_SECONDS: '0' }, more: { healthCheck: check({ retries: 1 }) } }
  ]))
  await clock.advance(1_000)
  const exit = await failedSuccess.done
  t.match(exit, {
    stopped: false, exitCode: null,
    dependencyFailure: { container: 'app', dependency: 'migrate', condition: 'SUCCESS' },
    reason: 'DependencyConditionNotMet: container app dependency migrate did not reach SUCCESS',
    containers: [{ name: 'app', notStarted: true, exitCode: null, signal: null }, { name: 'migrate', exitCode: 3 }, { name: 'proxy', signal: 'SIGTERM' }]
  })
  await clock.advance(4_000)
  t.match(await unhealthy.done, {
    dependencyFailure: { container: 'app', dependency: 'db', condition: 'HEALTHY' },
    containers: [{ name: 'app', notStarted: true }, { name: 'db', signal: 'SIGTERM' }]
  })
  t.same(unhealthy.calls, ['running', 'exited'])
})

t.test('stopTimeoutSeconds: each container its own grace; an explicit graceMs wins', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const stubborn = { ...LONG, STRATUS_SIM_IGNORE_SIGTERM: '1' }
  const s = spec.many([
    { name: 'quick', env: stubborn, more: { stopTimeoutSeconds: 2 } },
    { name: 'patient', env: stubborn, more: { stopTimeoutSeconds: 30 } },
    { name: 'default', env: stubborn }
  ])
  const seen = run(runner, s)
  await clock.advance(0)
  runner.stop(s.id)
  await clock.advance(2_000)
  t.same(seen.calls, ['running'], 'still ending')
  await clock.advance(8_000)
  t.same(seen.calls, ['running'])
  await clock.advance(20_000)
  t.match(await seen.done, { escalated: true, stoppedAt: START + 30_000, containers: [{ signal: 'SIGKILL' }, { signal: 'SIGKILL' }, { signal: 'SIGKILL' }] })

  const explicit = spec.many([{ name: 'patient', env: stubborn, more: { stopTimeoutSeconds: 30 } }])
  const seenExplicit = run(runner, explicit)
  await clock.advance(0)
  runner.stop(explicit.id, { graceMs: 1_000 })
  await clock.advance(1_000)
  t.match(await seenExplicit.done, { escalated: true, stoppedAt: START + 31_000 })
})

t.test('changed() is optional: a listener without it hears running and exited only', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const calls: string[] = []
  runner.start(spec.many([
    { name: 'main', env: { STRATUS_SIM_SECONDS: '2' } },
    { name: 'side', essential: false, env: { STRATUS_SIM_SECONDS: '1' } }
  ]), { running: () => calls.push('running'), exited: () => calls.push('exited'), failed: () => calls.push('failed') })
  await clock.advance(2_000)
  t.same(calls, ['running', 'exited'])
})

t.test('ephemeralStorage: the workDirs are gone when the exit is reported; without it they stay', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const ephemeral = { ...spec.one(), ephemeralStorage: true }
  const kept = spec.one()
  for (const s of [ephemeral, kept]) {
    await mkdir(s.containers[0].workDir, { recursive: true })
    await writeFile(join(s.containers[0].workDir, 'scratch'), 'data')
  }
  const a = run(runner, ephemeral)
  const b = run(runner, kept)
  await clock.advance(0)
  await a.done
  await b.done
  t.notOk(existsSync(ephemeral.containers[0].workDir), 'an ephemeral sandbox leaves no storage')
  t.ok(existsSync(join(kept.containers[0].workDir, 'scratch')))
})
