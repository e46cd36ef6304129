// The simulated runner on the manual clock: what its STRATUS_SIM_* variables
// make a container do, grace periods on the clock, several containers, ports.
// (What every runner does is in the conformance suite.)
import t, { type Test } from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { EPHEMERAL_FIRST, EPHEMERAL_LAST, instrument, SimulatedRunner, type Runner } from '../../../runtime/runners/index.js'
import { observer, specMaker, type ContainerOptions } from './conformance-kit.js'

const START = Date.UTC(2025, 0, 1)

async function setUp(t: Test, graceMs = 10_000): Promise<{ clock: ManualClock; runner: Runner; spec: ReturnType<typeof specMaker> }> {
  const clock = new ManualClock(START)
  const runner = instrument(new SimulatedRunner(clock, { graceMs }))
  const dir = await mkdtemp(join(tmpdir(), 'stratus-simulated-'))
  t.teardown(async () => {
    await runner.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { clock, runner, spec: specMaker(dir, 'simulated') }
}

function run(runner: Runner, spec: Parameters<Runner['start']>[0]) {
  const seen = observer()
  runner.start(spec, seen.listener)
  return seen
}

t.test('a container lasts STRATUS_SIM_SECONDS of the clock, then exits with STRATUS_SIM_EXIT', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const seen = run(runner, spec.one({ env: { STRATUS_SIM_SECONDS: '60', STRATUS_SIM_EXIT: '7' } }))
  await clock.advance(0)
  t.match(seen.info, { state: 'running', startedAt: START })
  await clock.advance(59_999)
  t.same(seen.calls, ['running'], 'still running a millisecond before its time')
  await clock.advance(1)
  t.match(seen.exit, { exitCode: 7, signal: null, oomKilled: false, stopped: false, escalated: false, stoppedAt: START + 60_000 })
})

t.test('STRATUS_SIM_OOM: when its time is up the kernel kills it', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const seen = run(runner, spec.one({ env: { STRATUS_SIM_SECONDS: '5', STRATUS_SIM_OOM: '1' } }))
  await clock.advance(5_000)
  t.match(seen.exit, {
    exitCode: null, signal: 'SIGKILL', oomKilled: true, stopped: false,
    containers: [{ name: 'main', exitCode: null, signal: 'SIGKILL', oomKilled: true }]
  })
})

t.test('STRATUS_SIM_IGNORE_SIGTERM: stop() waits the grace on the clock, then SIGKILLs it', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const stubborn = run(runner, spec.one({ env: { STRATUS_SIM_SECONDS: '3600', STRATUS_SIM_IGNORE_SIGTERM: '1' } }))
  await clock.advance(1_000)
  runner.stop(stubborn.info!.id, { graceMs: 5_000 })
  await clock.advance(4_999)
  t.same(stubborn.calls, ['running'], 'SIGTERM ignored: it still runs within the grace')
  await clock.advance(1)
  t.match(stubborn.exit, { exitCode: null, signal: 'SIGKILL', stopped: true, escalated: true, stoppedAt: START + 6_000 })

  const finishes = run(runner, spec.one({ env: { STRATUS_SIM_SECONDS: '2', STRATUS_SIM_EXIT: '4', STRATUS_SIM_IGNORE_SIGTERM: '1' } }))
  await clock.advance(0)
  runner.stop(finishes.info!.id, { graceMs: 5_000 })
  await clock.advance(2_000)
  t.match(finishes.exit, { exitCode: 4, signal: null, stopped: true, escalated: false }, 'its own end within the grace: no SIGKILL needed')

  const killed = run(runner, spec.one({ env: { STRATUS_SIM_SECONDS: '3600', STRATUS_SIM_IGNORE_SIGTERM: '1' } }))
  await clock.advance(0)
  runner.stop(killed.info!.id, { signal: 'SIGKILL' })
  await clock.advance(0)
  t.match(killed.exit, { signal: 'SIGKILL', stopped: true, escalated: false }, 'SIGKILL first is no escalation')
})

t.test('bad STRATUS_SIM_* values fail the sandbox, naming the variable', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const cases: Array<[Record<string, string>, string]> = [
    [{ STRATUS_SIM_SECONDS: '-1' }, 'STRATUS_SIM_SECONDS'],
    [{ STRATUS_SIM_SECONDS: 'soon' }, 'STRATUS_SIM_SECONDS'],
    [{ STRATUS_SIM_SECONDS: '' }, 'STRATUS_SIM_SECONDS'],
    [{ STRATUS_SIM_EXIT: '256' }, 'STRATUS_SIM_EXIT'],
    [{ STRATUS_SIM_EXIT: '1.5' }, 'STRATUS_SIM_EXIT'],
    [{ STRATUS_SIM_IGNORE_SIGTERM: 'yes' }, 'STRATUS_SIM_IGNORE_SIGTERM'],
    [{ STRATUS_SIM_OOM: '2' }, 'STRATUS_SIM_OOM'],
    [{ STRATUS_SIM_FAIL: '' }, 'STRATUS_SIM_FAIL']
  ]
  const all = cases.map(([env]) => run(runner, spec.many([{ name: 'main' }, { name: 'helper', env }])))
  await clock.advance(0)
  cases.forEach(([, name], i) => {
    t.same(all[i].calls, ['failed'], name)
    t.match(all[i].error, { code: 'RunnerInvalidSpec', kind: 'InvalidArgument', field: `containers[1].env.${name}` }, name)
  })
})

t.test('STRATUS_SIM_FAIL: the sandbox cannot be started, with that message', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const s = spec.one({ env: { STRATUS_SIM_FAIL: 'image pull failed: manifest unknown' } })
  const seen = run(runner, s)
  t.match(runner.inspect(s.id), { state: 'starting' }, 'known until the failure is reported')
  await clock.advance(0)
  t.same(seen.calls, ['failed'])
  t.match(seen.error, { code: 'RunnerStartFailed', message: 'image pull failed: manifest unknown' })
  t.equal(runner.inspect(s.id), undefined)
})

t.test('advance() waits for output being written; the exit follows it', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const s = spec.one({ env: { STRATUS_SIM_OUTPUT: 'line one\nline two' } })
  const seen = run(runner, s)
  await clock.advance(0)
  t.same(seen.calls, ['running', 'exited'])
  t.equal(await readFile(s.containers[0].logPath, 'utf8'), 'line one\nline two\n')
})

t.test('an essential exit stops the others; one that ignores SIGTERM is killed after the runner\'s grace', async (t) => {
  const { clock, runner, spec } = await setUp(t, 30_000)
  const containers: ContainerOptions[] = [
    { name: 'app', env: { STRATUS_SIM_SECONDS: '10', STRATUS_SIM_EXIT: '2' } },
    { name: 'agent', essential: false, env: { STRATUS_SIM_SECONDS: '3600', STRATUS_SIM_IGNORE_SIGTERM: '1' } },
    { name: 'logger', essential: false, env: { STRATUS_SIM_SECONDS: '3600' } }
  ]
  const seen = run(runner, spec.many(containers))
  await clock.advance(10_000)
  t.same(seen.calls, ['running'], 'the sandbox waits for the agent that ignores SIGTERM')
  t.match(runner.inspect(seen.info!.id), { state: 'running', containers: [{ name: 'app', state: 'exited', exitCode: 2 }, { name: 'agent', state: 'running' }, { name: 'logger', state: 'exited' }] })
  await clock.advance(30_000)
  t.match(seen.exit, {
    exitCode: 2, stopped: false, escalated: true, stoppedAt: START + 40_000,
    containers: [{ name: 'app', exitCode: 2 }, { name: 'agent', signal: 'SIGKILL' }, { name: 'logger', signal: 'SIGTERM' }]
  })
})

t.test('host ports: taken once per address among live sandboxes; 0 is an ephemeral port', async (t) => {
  const { clock, runner, spec } = await setUp(t)
  const on = (address: string, hostPort: number) => ({ ...spec.one({ env: { STRATUS_SIM_SECONDS: '60' }, portMappings: [{ containerPort: 80, hostPort }] }), address })
  const first = run(runner, on('127.0.0.2', 8080))
  const clash = run(runner, on('127.0.0.2', 8080))
  const elsewhere = run(runner, on('127.0.0.3', 8080))
  const ephemeral = run(runner, on('127.0.0.2', 0))
  await clock.advance(0)
  t.match(first.info?.containers[0].networkBindings, [{ bindIP: '127.0.0.2', containerPort: 80, hostPort: 8080, protocol: 'tcp' }])
  t.match(clash.error, { code: 'RunnerStartFailed', field: 'containers[0].portMappings[0].hostPort' })
  t.match(elsewhere.info?.containers[0].networkBindings, [{ bindIP: '127.0.0.3', hostPort: 8080 }], 'another address has its own ports')
  const port = ephemeral.info!.containers[0].networkBindings![0].hostPort
  t.ok(port >= EPHEMERAL_FIRST && port <= EPHEMERAL_LAST, `ephemeral port ${port}`)
  await clock.advance(60_000)
  const again = run(runner, on('127.0.0.2', 8080))
  await clock.advance(0)
  t.same(again.calls, ['running'], 'the port is free again once its sandbox has ended')
})
