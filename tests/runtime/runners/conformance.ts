// The runner conformance suite: one body, run unchanged against every runner
// (as distribution runs one suite against every storage driver), each wrapped
// by instrument() as the engine uses it. Every container is written so that
// every runner honours it: a real command for runners that execute
// (`sh -c 'exit 3'`) AND the simulated runner's variables (STRATUS_SIM_EXIT=3,
// STRATUS_SIM_SECONDS, STRATUS_SIM_OUTPUT, STRATUS_SIM_IGNORE_SIGTERM,
// STRATUS_SIM_FAIL). Cases about a capability (several containers, ports,
// exec) run where the runner has it, and check that the wrapper refuses the
// spec where it has not. Not a test file: conformance.test.ts runs it.
import type { Test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunnerError, type Runner, type SandboxSpec } from '../../../runtime/runners/index.js'
import { collect, logLines, observer, specMaker, starter, until, withoutTime } from './conformance-kit.js'

export interface RunnerFactory {
  name: string
  /** A fresh runner, wrapped by instrument(); the suite closes it (its last case is about close()). */
  create(): Promise<Runner>
}

const LONG = { STRATUS_SIM_SECONDS: '30' }

export function conformance(t: Test, factory: RunnerFactory): void {
  t.test(`runner conformance: ${factory.name}`, async (t) => {
    const runner = await factory.create()
    const dir = await mkdtemp(join(tmpdir(), `stratus-conformance-${factory.name}-`))
    t.teardown(async () => {
      await runner.close()
      await rm(dir, { recursive: true, force: true })
    })
    const spec = specMaker(dir, `conformance-${factory.name}-${process.pid}`)
    const start = starter(runner)
    const caps = runner.capabilities
    /** Lets the runner work off what it has in flight: a sandbox started after it has ended. */
    const barrier = async () => { await start(spec.one()).done }

    t.test('says what it can do', async (t) => {
      t.type(runner.kind, 'string')
      t.ok(caps.memoryLimits === 'enforced' || caps.memoryLimits === 'not-enforced')
      for (const c of ['multiContainer', 'ports', 'exec', 'images'] as const) t.type(caps[c], 'boolean', c)
    })

    t.test('reports running, then the exit of a sandbox that ends by itself', async (t) => {
      const s = spec.one({ script: 'exit 0' }, { case: 'exit-0' })
      const seen = start(s)
      const exit = await seen.done
      t.same(seen.calls, ['running', 'exited'])
      t.match(seen.info, { id: s.id, labels: s.labels, state: 'running', startedAt: Number, containers: [{ name: 'main', state: 'running' }] })
      t.ok(seen.info!.startedAt! > 0)
      t.same(withoutTime(exit), {
        exitCode: 0, signal: null, oomKilled: false, stopped: false, escalated: false,
        containers: [{ name: 'main', exitCode: 0, signal: null, oomKilled: false }]
      })
      t.ok(exit.stoppedAt >= seen.info!.startedAt!, 'stoppedAt is on the same clock, after startedAt')
    })

    t.test('reports the exit code', async (t) => {
      t.match(await start(spec.one({ script: 'exit 3', env: { STRATUS_SIM_EXIT: '3' } })).done, { exitCode: 3, signal: null, oomKilled: false, stopped: false })
      t.match(await start(spec.one({ script: 'exit 255', env: { STRATUS_SIM_EXIT: '255' } })).done, { exitCode: 255, containers: [{ exitCode: 255 }] })
    })

    t.test('gives the container its environment', async (t) => {
      const s = spec.one({ script: 'echo "$GREETING"', env: { GREETING: 'hello there', STRATUS_SIM_OUTPUT: 'hello there' } })
      t.match(await start(s).done, { exitCode: 0 })
      t.same(await logLines(s.containers[0].logPath), ['hello there'])
    })

    t.test('writes stdout and stderr to the log file', async (t) => {
      const s = spec.one({ script: 'echo out; echo err >&2', env: { STRATUS_SIM_OUTPUT: 'out\nerr' } })
      await start(s).done
      t.same((await logLines(s.containers[0].logPath)).sort(), ['err', 'out'])
    })

    t.test('stop sends SIGTERM to a running sandbox', async (t) => {
      const s = spec.one({ script: 'exec sleep 30', env: LONG })
      const seen = start(s)
      await seen.running
      t.match(runner.inspect(s.id), { id: s.id, state: 'running' })
      t.equal(runner.stop(s.id, { graceMs: 5000 }), true)
      const exit = await seen.done
      t.same(withoutTime(exit), {
        exitCode: null, signal: 'SIGTERM', oomKilled: false, stopped: true, escalated: false,
        containers: [{ name: 'main', exitCode: null, signal: 'SIGTERM', oomKilled: false }]
      })
      t.same(seen.calls, ['running', 'exited'])
      t.equal(runner.inspect(s.id), undefined, 'gone once it exited')
      t.equal(runner.stop(s.id), false, 'nothing left to stop')
    })

    t.test('stop escalates to SIGKILL once the grace is over, and says so, only for a container that ignores SIGTERM', async (t) => {
      const stubborn = spec.one({
        script: 'trap "" TERM; echo ready; while :; do sleep 0.05; done',
        env: { ...LONG, STRATUS_SIM_IGNORE_SIGTERM: '1', STRATUS_SIM_OUTPUT: 'ready' }
      })
      const polite = spec.one({ script: 'echo ready; exec sleep 30', env: { ...LONG, STRATUS_SIM_OUTPUT: 'ready' } })
      const seenStubborn = start(stubborn)
      const seenPolite = start(polite)
      for (const s of [stubborn, polite]) await until(async () => (await logLines(s.containers[0].logPath)).includes('ready'))
      t.equal(runner.stop(stubborn.id, { graceMs: 200 }), true)
      t.equal(runner.stop(polite.id, { graceMs: 200 }), true)
      t.match(await seenStubborn.done, { exitCode: null, signal: 'SIGKILL', oomKilled: false, stopped: true, escalated: true })
      t.match(await seenPolite.done, { exitCode: null, signal: 'SIGTERM', stopped: true, escalated: false })
    })

    t.test('stop while starting is applied once it runs, and reported once', async (t) => {
      const s = spec.one({ script: 'exec sleep 30', env: LONG })
      const seen = start(s)
      t.match(runner.inspect(s.id), { id: s.id, state: 'starting' }, 'known from start()')
      t.equal(runner.stop(s.id), true)
      t.equal(runner.stop(s.id), true, 'asking twice is still one stop')
      const exit = await seen.done
      t.match(exit, { exitCode: null, signal: 'SIGTERM', stopped: true, escalated: false })
      await barrier()
      t.same(seen.calls, ['running', 'exited'])
    })

    t.test('inspect', async (t) => {
      t.equal(runner.inspect('no-such-sandbox'), undefined)
      t.equal(runner.stop('no-such-sandbox'), false)
      const s = spec.one({ script: 'exec sleep 30', env: LONG }, { case: 'inspect' })
      const seen = start(s)
      await seen.running
      const info = runner.inspect(s.id)
      t.match(info, { id: s.id, labels: { case: 'inspect' }, state: 'running', containers: [{ name: 'main', state: 'running' }] })
      t.equal(info?.startedAt, seen.info?.startedAt)
      runner.stop(s.id)
      await seen.done
      t.equal(runner.inspect(s.id), undefined)
    })

    t.test('labels: list() filters the live sandboxes', async (t) => {
      const run = `list-${Date.now()}`
      const specs = ['a', 'a', 'b'].map((group) => spec.one({ script: 'exec sleep 30', env: LONG }, { run, group }))
      const all = specs.map((s) => start(s))
      await Promise.all(all.map((s) => s.running))
      const ids = (labels?: Record<string, string>) => runner.list(labels).map((i) => i.id).filter((id) => specs.some((s) => s.id === id)).sort()
      t.same(ids({ run }), specs.map((s) => s.id).sort())
      t.same(ids({ run, group: 'a' }), [specs[0].id, specs[1].id].sort())
      t.same(ids({ run, group: 'c' }), [])
      t.same(ids(), specs.map((s) => s.id).sort(), 'no filter: every live sandbox')
      t.match(runner.list({ run, group: 'b' }), [{ id: specs[2].id, labels: { run, group: 'b' }, state: 'running' }])
      t.throws(() => runner.list({ run: 1 as unknown as string }), { code: 'RunnerInvalidArgument', field: 'labels.run' })
      for (const s of specs) runner.stop(s.id)
      await Promise.all(all.map((s) => s.done))
      t.same(ids({ run }), [], 'ended sandboxes are not listed')
    })

    t.test('runs many sandboxes at once, each with its own exit code', async (t) => {
      const specs = Array.from({ length: 40 }, (_, i) => spec.one({ script: `sleep 0.1; exit ${i}`, env: { STRATUS_SIM_EXIT: String(i), STRATUS_SIM_SECONDS: '0.1' } }))
      const all = specs.map((s) => start(s))
      const exits = await Promise.all(all.map((s) => s.done))
      t.same(exits.map((e) => e.exitCode), specs.map((_, i) => i))
      t.ok(all.every((s) => s.calls.join() === 'running,exited'))
    })

    t.test('a sandbox that cannot be started is reported failed, and nothing else', async (t) => {
      const s = spec.one({ command: ['/no/such/program'], env: { STRATUS_SIM_FAIL: 'cannot run /no/such/program' } })
      const seen = start(s)
      await t.rejects(seen.done, { code: 'RunnerStartFailed' })
      t.type(seen.error, RunnerError)
      t.equal(runner.inspect(s.id), undefined)
      await barrier()
      t.same(seen.calls, ['failed'])
    })

    t.test('a second sandbox with a live id is refused, and the first runs on', async (t) => {
      const s = spec.one({ script: 'exec sleep 30', env: LONG })
      const first = start(s)
      const second = observer()
      t.throws(() => runner.start({ ...s, labels: { other: 'yes' } }, second.listener), { code: 'RunnerDuplicateId', kind: 'Conflict', field: 'id' })
      await first.running
      t.match(runner.inspect(s.id), { state: 'running', labels: s.labels })
      runner.stop(s.id)
      t.match(await first.done, { signal: 'SIGTERM' })
      t.same(second.calls, [])
    })

    t.test('logs(): what was written; with follow, until the sandbox has ended', async (t) => {
      const s = spec.one({ script: 'echo one; echo two; exec sleep 30', env: { ...LONG, STRATUS_SIM_OUTPUT: 'one\ntwo' } })
      const seen = start(s)
      await until(async () => (await logLines(s.containers[0].logPath)).length === 2)
      t.same(await collect(runner.logs(s.id)), ['one', 'two'], 'without follow: what is there now, while it runs')
      t.same(await collect(runner.logs(s.id, { container: 'main' })), ['one', 'two'])
      t.throws(() => runner.logs(s.id, { container: 'nope' }), { code: 'RunnerInvalidArgument', field: 'container' })
      runner.stop(s.id)
      await seen.done

      const f = spec.one({ script: 'echo first; sleep 0.3; echo second', env: { STRATUS_SIM_SECONDS: '0.3', STRATUS_SIM_OUTPUT: 'first\nsecond' } })
      const followed = start(f)
      const lines = await collect(runner.logs(f.id, { follow: true }))
      t.same(lines, ['first', 'second'])
      t.same(followed.calls, ['running', 'exited'], 'following ends once the sandbox has ended')
      t.same(await collect(runner.logs(f.id)), [], 'an ended sandbox is unknown to the runner (its log file stays)')
      t.same(await collect(runner.logs('no-such-sandbox', { follow: true })), [])
    })

    t.test('exec', async (t) => {
      const s = spec.one({ script: 'exec sleep 30', env: LONG })
      const seen = start(s)
      await seen.running
      if (caps.exec) {
        t.match(await runner.exec(s.id, 'main', ['sh', '-c', 'echo hi']), { exitCode: 0, output: 'hi\n' })
      } else {
        await t.rejects(runner.exec(s.id, 'main', ['true']), { code: 'RunnerExecUnsupported' })
      }
      runner.stop(s.id)
      await seen.done
    })

    t.test('invalid specs are refused before anything starts, naming the field', async (t) => {
      const cases: Array<[string, (s: SandboxSpec) => SandboxSpec, string, string]> = [
        ['an empty id', (s) => ({ ...s, id: '' }), 'RunnerInvalidSpec', 'id'],
        ['a label that is no string', (s) => ({ ...s, labels: { a: 1 as unknown as string } }), 'RunnerInvalidSpec', 'labels.a'],
        ['no containers', (s) => ({ ...s, containers: [] }), 'RunnerInvalidSpec', 'containers'],
        ['no essential container', (s) => ({ ...s, containers: [{ ...s.containers[0], essential: false }] }), 'RunnerInvalidSpec', 'containers'],
        ['a negative memory', (s) => ({ ...s, containers: [{ ...s.containers[0], memoryMiB: -1 }] }), 'RunnerInvalidSpec', 'containers[0].memoryMiB'],
        ['a memory that is no number', (s) => ({ ...s, containers: [{ ...s.containers[0], memoryMiB: NaN }] }), 'RunnerInvalidSpec', 'containers[0].memoryMiB'],
        ['infinite vCPUs', (s) => ({ ...s, containers: [{ ...s.containers[0], vcpus: Infinity }] }), 'RunnerInvalidSpec', 'containers[0].vcpus'],
        ['half a GPU', (s) => ({ ...s, containers: [{ ...s.containers[0], gpus: 0.5 }] }), 'RunnerInvalidSpec', 'containers[0].gpus'],
        ['an environment value that is no string', (s) => ({ ...s, containers: [{ ...s.containers[0], env: { N: 1 as unknown as string } }] }), 'RunnerInvalidSpec', 'containers[0].env.N'],
        ['a relative log path', (s) => ({ ...s, containers: [{ ...s.containers[0], logPath: 'logs/x.log' }] }), 'RunnerInvalidSpec', 'containers[0].logPath'],
        ['an address off loopback', (s) => ({ ...s, address: '10.0.0.1' }), 'RunnerInvalidSpec', 'address'],
        ['two containers of one name', (s) => ({ ...s, containers: [s.containers[0], { ...s.containers[0] }] }),
          caps.multiContainer ? 'RunnerInvalidSpec' : 'RunnerUnsupported', caps.multiContainer ? 'containers[1].name' : 'containers'],
        ['a port 0 mapping', (s) => ({ ...s, containers: [{ ...s.containers[0], portMappings: [{ containerPort: 0 }] }] }),
          caps.ports ? 'RunnerInvalidSpec' : 'RunnerUnsupported', caps.ports ? 'containers[0].portMappings[0].containerPort' : 'containers[0].portMappings']
      ]
      const refused = cases.map(([what, change, code, field]) => {
        const s = change(spec.one({ script: 'exit 0' }))
        const seen = observer()
        t.throws(() => runner.start(s, seen.listener), { name: 'RunnerError', code, field, kind: 'InvalidArgument' }, what)
        t.equal(runner.inspect(s.id), undefined, `${what}: nothing started`)
        return seen
      })
      t.throws(() => runner.stop('no-such-sandbox', { graceMs: -1 }), { code: 'RunnerInvalidArgument', field: 'graceMs' })
      t.throws(() => runner.stop('no-such-sandbox', { signal: 'SIGNOPE' as NodeJS.Signals }), { code: 'RunnerInvalidArgument', field: 'signal' })
      await barrier()
      t.ok(refused.every((seen) => seen.calls.length === 0), 'no listener heard of a refused spec')
    })

    t.test('several containers: the essential ones decide', async (t) => {
      // The main container runs until stopped: the sidecar's exit is awaited, not raced against a sleep.
      const sidecarExits = spec.many([
        { name: 'main', script: 'exec sleep 30', env: LONG },
        { name: 'sidecar', essential: false, script: 'exit 5', env: { STRATUS_SIM_EXIT: '5' } }
      ])
      if (!caps.multiContainer) {
        const seen = observer()
        t.throws(() => runner.start(sidecarExits, seen.listener), { code: 'RunnerUnsupported', field: 'containers', limit: 1 })
        t.equal(runner.inspect(sidecarExits.id), undefined)
        return
      }
      const first = start(sidecarExits)
      if (caps.containerReports) {
        await until(() => first.changes.some((i) => i.containers[1]?.state === 'exited'))
        t.match(first.changes, [{ state: 'running', containers: [{ name: 'main', state: 'running' }, { name: 'sidecar', state: 'exited', exitCode: 5 }] }],
          'changed(): the non-essential exit, with its code, while the sandbox lives')
      } else {
        await first.running
      }
      t.match(runner.inspect(sidecarExits.id), { state: 'running' }, 'a non-essential container that exits ends nothing')
      t.same(first.calls, ['running'], 'no exit reported')
      t.equal(runner.stop(sidecarExits.id), true)
      t.match(withoutTime(await first.done), {
        exitCode: null, signal: 'SIGTERM', stopped: true,
        containers: [{ name: 'main', exitCode: null, signal: 'SIGTERM' }, { name: 'sidecar', exitCode: 5, signal: null }]
      }, 'stopped later, the exit keeps the sidecar\'s code')

      const mainExits = spec.many([
        { name: 'main', script: 'sleep 0.1; exit 3', env: { STRATUS_SIM_SECONDS: '0.1', STRATUS_SIM_EXIT: '3' } },
        { name: 'sidecar', essential: false, script: 'exec sleep 30', env: LONG }
      ])
      const second = start(mainExits)
      t.match(withoutTime(await second.done), {
        exitCode: 3, stopped: false, escalated: false,
        containers: [{ name: 'main', exitCode: 3 }, { name: 'sidecar', exitCode: null, signal: 'SIGTERM' }]
      }, 'an essential container that exits ends the sandbox; the others are stopped')

      // Regression (oci): the first container's namespace was shared only once it ran; one that exited at once failed the start.
      const quickFirst = spec.many([
        { name: 'init', essential: false, script: 'exit 0' },
        { name: 'main', script: 'sleep 0.3; exit 2', env: { STRATUS_SIM_SECONDS: '0.3', STRATUS_SIM_EXIT: '2' } }
      ])
      const third = start(quickFirst)
      t.match(withoutTime(await third.done), {
        exitCode: 2, stopped: false,
        containers: [{ name: 'init', exitCode: 0, signal: null }, { name: 'main', exitCode: 2 }]
      }, 'a first container that exits at once reports its exit, and the sandbox runs on')
      t.same(third.calls, ['running', 'exited'])
    })

    t.test('port mappings are published on the sandbox address', async (t) => {
      const make = () => ({ ...spec.one({ script: 'exec sleep 30', env: LONG, portMappings: [{ containerPort: 8080 }] }), address: '127.0.0.1' })
      if (!caps.ports) {
        const s = make()
        t.throws(() => runner.start(s, observer().listener), { code: 'RunnerUnsupported', field: 'containers[0].portMappings' })
        t.equal(runner.inspect(s.id), undefined)
        return
      }
      const a = make()
      const b = make()
      const seenA = start(a)
      const seenB = start(b)
      const [infoA, infoB] = await Promise.all([seenA.running, seenB.running])
      const binding = { bindIP: '127.0.0.1', containerPort: 8080, hostPort: Number, protocol: 'tcp' }
      t.match(infoA.containers[0].networkBindings, [binding])
      t.match(infoB.containers[0].networkBindings, [binding])
      const portA = infoA.containers[0].networkBindings![0].hostPort
      const portB = infoB.containers[0].networkBindings![0].hostPort
      t.ok(portA > 0 && portB > 0 && portA !== portB, 'hostPort 0: each sandbox gets its own ephemeral port')
      t.same(runner.inspect(a.id)?.containers[0].networkBindings, infoA.containers[0].networkBindings)
      runner.stop(a.id)
      runner.stop(b.id)
      await Promise.all([seenA.done, seenB.done])
    })

    t.test('ECS container features the runner lacks are refused, naming the field', async (t) => {
      const hc = { command: ['CMD-SHELL', 'true'] }
      const pair = (more: Partial<SandboxSpec['containers'][number]>) => spec.many([{ name: 'main', more }, { name: 'side', essential: false }])
      const probes: Array<[keyof typeof caps, SandboxSpec, string]> = [
        ['healthChecks', spec.one({ more: { healthCheck: hc } }), 'containers[0].healthCheck'],
        ['stopTimeout', spec.one({ more: { stopTimeoutSeconds: 1 } }), 'containers[0].stopTimeoutSeconds'],
        ['dockerLabels', spec.one({ more: { dockerLabels: { team: 'a' } } }), 'containers[0].dockerLabels'],
        ['volumes', spec.one({ more: { volumes: [{ volume: 'data', containerPath: '/data' }] } }), 'containers[0].volumes'],
        ['ephemeralStorage', { ...spec.one(), ephemeralStorage: true }, 'ephemeralStorage']
      ]
      if (caps.multiContainer) {
        probes.push(['dependsOn', pair({ dependsOn: [{ containerName: 'side', condition: 'START' }] }), 'containers[0].dependsOn'])
        probes.push(['volumesFrom', pair({ volumesFrom: [{ sourceContainer: 'side' }] }), 'containers[0].volumesFrom'])
      }
      for (const [capability, s, field] of probes) {
        if (caps[capability] === true) continue
        t.throws(() => runner.start(s, observer().listener), { code: 'RunnerUnsupported', field }, `${capability}: refused`)
        t.equal(runner.inspect(s.id), undefined)
      }
    })

    t.test('dependsOn and health checks order the starts; changed() reports each step', async (t) => {
      if (!(caps.healthChecks && caps.dependsOn && caps.containerReports)) return
      const s = spec.many([
        { name: 'app', script: 'echo app started; exec sleep 30', env: { ...LONG, STRATUS_SIM_OUTPUT: 'app started' },
          more: { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }, { containerName: 'init', condition: 'SUCCESS' }] } },
        { name: 'db', script: 'touch /tmp/ready; exec sleep 30', env: LONG,
          more: { healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], intervalSeconds: 5, startPeriodSeconds: 5 } } },
        { name: 'init', essential: false, script: 'exit 0' }
      ])
      const seen = start(s)
      const info = await seen.running
      t.match(info.containers, [{ name: 'app', state: 'starting' }, { name: 'db', state: 'running' }, { name: 'init' }], 'running() before app waits')
      await until(() => seen.changes.some((i) => i.containers[0].state === 'running'))
      const steps = seen.changes.map((i) => i.containers.map((c) => `${c.name}:${c.state}${c.health ? `:${c.health}` : ''}${c.exitCode !== undefined ? `:${c.exitCode}` : ''}`).join(' '))
      t.ok(steps.some((step) => step.includes('init:exited:0')), 'init exited 0, reported')
      t.ok(steps.some((step) => step.includes('db:running:HEALTHY') && step.includes('app:starting')), 'db HEALTHY before app starts')
      t.equal(steps.at(-1), 'app:running db:running:HEALTHY init:exited:0', 'app started once both held')
      await until(async () => (await logLines(s.containers[0].logPath)).includes('app started'))
      runner.stop(s.id)
      t.match(await seen.done, { stopped: true, containers: [{ name: 'app', signal: 'SIGTERM' }, { name: 'db' }, { name: 'init', exitCode: 0 }] })

      const broken = spec.many([
        { name: 'app', script: 'exec sleep 30', env: LONG, more: { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] } },
        { name: 'init', essential: false, script: 'exit 1', env: { STRATUS_SIM_EXIT: '1' } }
      ])
      const failed = start(broken)
      t.match(await failed.done, {
        stopped: false, dependencyFailure: { container: 'app', dependency: 'init', condition: 'SUCCESS' },
        reason: 'DependencyConditionNotMet: container app dependency init did not reach SUCCESS',
        containers: [{ name: 'app', notStarted: true }, { name: 'init', exitCode: 1 }]
      }, 'a condition that can no longer hold ends the sandbox; the waiting container never started')
      t.same(failed.calls, ['running', 'exited'])
    })

    t.test('stopTimeoutSeconds: a container that ignores SIGTERM gets SIGKILL after its own grace', async (t) => {
      if (!caps.stopTimeout) return
      const stubborn = (more: Partial<SandboxSpec['containers'][number]>) => spec.one({
        script: 'trap "" TERM; echo ready; while :; do sleep 0.05; done',
        env: { ...LONG, STRATUS_SIM_IGNORE_SIGTERM: '1', STRATUS_SIM_OUTPUT: 'ready' }, more
      })
      const own = stubborn({ stopTimeoutSeconds: 1 })
      const other = stubborn({})
      const seenOwn = start(own)
      const seenOther = start(other)
      for (const s of [own, other]) await until(async () => (await logLines(s.containers[0].logPath)).includes('ready'))
      runner.stop(own.id)
      runner.stop(other.id, { graceMs: 2500 })
      const first = await Promise.race([seenOwn.done.then(() => 'own 1 s'), seenOther.done.then(() => 'graceMs 2500')])
      t.equal(first, 'own 1 s', 'its own timeout, not the runner\'s 10 s grace')
      t.match(await seenOwn.done, { signal: 'SIGKILL', stopped: true, escalated: true })
      t.match(await seenOther.done, { signal: 'SIGKILL', stopped: true, escalated: true })
    })

    t.test('ephemeral storage: the workDirs are gone when the exit is reported', async (t) => {
      if (!caps.ephemeralStorage) return
      const s = { ...spec.one({ script: 'exit 0' }), ephemeralStorage: true }
      await mkdir(s.containers[0].workDir, { recursive: true })
      await writeFile(join(s.containers[0].workDir, 'scratch'), 'task data')
      await start(s).done
      t.notOk(existsSync(s.containers[0].workDir))
    })

    t.test('diagnostics channels publish start, exit and error', async (t) => {
      const seen: Array<[string, Record<string, unknown>]> = []
      const on = (name: string) => (message: unknown) => { seen.push([name, message as Record<string, unknown>]) }
      const handlers = { start: on('start'), exit: on('exit'), error: on('error') }
      for (const [name, fn] of Object.entries(handlers)) subscribe(`stratus:runner:${name}`, fn)
      t.teardown(() => { for (const [name, fn] of Object.entries(handlers)) unsubscribe(`stratus:runner:${name}`, fn) })

      const ok = spec.one({ script: 'exit 4', env: { STRATUS_SIM_EXIT: '4' } }, { case: 'channels' })
      await start(ok).done
      const broken = spec.one({ command: ['/no/such/program'], env: { STRATUS_SIM_FAIL: 'cannot run /no/such/program' } })
      await start(broken).done.catch(() => {})
      const invalid = { ...spec.one(), containers: [{ ...spec.one().containers[0], memoryMiB: -1 }] }
      t.throws(() => runner.start(invalid, observer().listener), { code: 'RunnerInvalidSpec' })

      const mine = seen.filter(([, m]) => [ok.id, broken.id, invalid.id].includes(m.id as string))
      t.match(mine, [
        ['start', { id: ok.id, kind: runner.kind, labels: { case: 'channels' }, containers: [{ name: 'main' }] }],
        ['exit', { id: ok.id, kind: runner.kind, exit: { exitCode: 4, stopped: false } }],
        ['start', { id: broken.id, kind: runner.kind }],
        ['error', { id: broken.id, kind: runner.kind, error: { code: 'RunnerStartFailed' } }],
        ['error', { id: invalid.id, kind: runner.kind, error: { code: 'RunnerInvalidSpec', field: 'containers[0].memoryMiB' } }]
      ])
      t.equal(mine.length, 5)
    })

    t.test('close() ends what runs, and the runner then refuses work', async (t) => {
      const s = spec.one({ script: 'exec sleep 30', env: LONG })
      const seen = start(s)
      await seen.running
      await runner.close()
      const exit = await seen.done
      t.equal(exit.exitCode, null)
      t.match(exit, { signal: 'SIGKILL', stopped: true })
      const after = start(spec.one())
      await t.rejects(after.done, { code: 'RunnerClosed', kind: 'Unavailable' })
      t.same(after.calls, ['failed'])
    })
  })
}
