// instrument(): every rule of a SandboxSpec, refused with the field named and
// nothing started, against real runners (the conformance suite checks a few
// rules on every runner; this checks each rule once). Also: wrapping twice
// is wrapping once, and a duplicate id is refused on the error channel.
import t from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { rm } from 'node:fs/promises'
import { ManualClock } from '../../../runtime/clock/clock.js'
import {
  instrument, MAX_CONTAINERS, MAX_ID_LENGTH, ProcessRunner, SimulatedRunner, uninstrumented, type ContainerSpec, type SandboxSpec
} from '../../../runtime/runners/index.js'
import { observer } from './conformance-kit.js'

const clock = new ManualClock(0)
const simulated = new SimulatedRunner(clock)
const runner = instrument(simulated)
t.teardown(async () => {
  await runner.close()
  await rm('/tmp/stratus-instrumented', { recursive: true, force: true })
})

const main: ContainerSpec = {
  name: 'main', command: ['sh', '-c', 'true'], env: {}, vcpus: 1, memoryMiB: 128, gpus: 0,
  logPath: '/tmp/stratus-instrumented/main.log', workDir: '/tmp/stratus-instrumented/main'
}
let n = 0
const good = (): SandboxSpec => ({ id: `s-${++n}`, labels: {}, containers: [main] })
const withMain = (change: Partial<ContainerSpec>): SandboxSpec => ({ ...good(), containers: [{ ...main, ...change }] })

t.test('wrapping twice is wrapping once; the runner inside stays reachable', async (t) => {
  t.equal(instrument(runner), runner)
  t.equal(uninstrumented(runner), simulated)
  t.equal(runner.kind, 'simulated')
  t.same(runner.capabilities, simulated.capabilities)
})

t.test('every rule of a spec, with the field it names', async (t) => {
  const cases: Array<[string, unknown, string, (number | string)?]> = [
    ['not an object', null, 'spec'],
    ['an id that is too long', { ...good(), id: 'x'.repeat(MAX_ID_LENGTH + 1) }, 'id', MAX_ID_LENGTH],
    ['an id with NUL', { ...good(), id: 'a\0b' }, 'id'],
    ['labels that are an array', { ...good(), labels: [] }, 'labels'],
    ['a bad network mode', { ...good(), networkMode: 'overlay' }, 'networkMode'],
    ['an address that is no address', { ...good(), address: '127.0.0.256' }, 'address'],
    ['too many containers', { ...good(), containers: Array.from({ length: MAX_CONTAINERS + 1 }, (_, i) => ({ ...main, name: `c${i}` })) }, 'containers', MAX_CONTAINERS],
    ['a container that is no object', { ...good(), containers: ['main'] }, 'containers[0]'],
    ['an empty container name', withMain({ name: '' }), 'containers[0].name'],
    ['essential that is no boolean', withMain({ essential: 'yes' as unknown as boolean }), 'containers[0].essential'],
    ['an empty image', withMain({ image: '' }), 'containers[0].image'],
    ['a command that is no array', withMain({ command: 'true' as unknown as string[] }), 'containers[0].command'],
    ['a command argument that is no string', withMain({ command: ['sh', 3 as unknown as string] }), 'containers[0].command[1]'],
    ['an entry point that is no array', withMain({ entryPoint: 'sh' as unknown as string[] }), 'containers[0].entryPoint'],
    ['an env that is no object', withMain({ env: 'A=1' as unknown as Record<string, string> }), 'containers[0].env'],
    ['an env name with =', withMain({ env: { 'A=B': '1' } }), 'containers[0].env'],
    ['an env value with NUL', withMain({ env: { A: 'x\0y' } }), 'containers[0].env.A'],
    ['a user that is no string', withMain({ user: 0 as unknown as string }), 'containers[0].user'],
    ['too many vCPUs', withMain({ vcpus: 5000 }), 'containers[0].vcpus', 1024],
    ['a fractional memory', withMain({ memoryMiB: 1.5 }), 'containers[0].memoryMiB'],
    ['a reservation above the limit', withMain({ memoryReservationMiB: 256 }), 'containers[0].memoryReservationMiB', 128],
    ['negative GPUs', withMain({ gpus: -1 }), 'containers[0].gpus', 0],
    ['port mappings that are no array', withMain({ portMappings: {} as unknown as [] }), 'containers[0].portMappings'],
    ['a host port above 65535', withMain({ portMappings: [{ containerPort: 80, hostPort: 70000 }] }), 'containers[0].portMappings[0].hostPort', 65535],
    ['a protocol that is neither tcp nor udp', withMain({ portMappings: [{ containerPort: 80, protocol: 'sctp' as 'tcp' }] }), 'containers[0].portMappings[0].protocol'],
    ['a container port mapped twice', withMain({ portMappings: [{ containerPort: 80 }, { containerPort: 80 }] }), 'containers[0].portMappings[1].containerPort'],
    ['a host port mapped twice across containers', {
      ...good(), containers: [
        { ...main, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
        { ...main, name: 'side', portMappings: [{ containerPort: 81, hostPort: 8080 }] }
      ]
    }, 'containers[1].portMappings[0].hostPort'],
    ['a relative work dir', withMain({ workDir: 'work' }), 'containers[0].workDir'],
    ['a missing log path', withMain({ logPath: undefined as unknown as string }), 'containers[0].logPath']
  ]
  for (const [what, spec, field, limit] of cases) {
    const seen = observer()
    t.throws(() => runner.start(spec as SandboxSpec, seen.listener), { code: 'RunnerInvalidSpec', field, ...(limit === undefined ? {} : { limit }) }, what)
    const id = (spec as SandboxSpec | null)?.id
    if (typeof id === 'string') t.equal(runner.inspect(id), undefined, `${what}: nothing started`)
  }
  t.throws(() => runner.start(good(), { running() {} } as never), { code: 'RunnerInvalidArgument', field: 'listener' })
  await clock.advance(0)
  t.same(runner.list(), [], 'nothing runs')
})

t.test('a runner without images needs a command; it ignores an image', async (t) => {
  const process = instrument(await ProcessRunner.create(() => clock.now()))
  t.teardown(() => process.close())
  t.throws(() => process.start(withMain({ command: [] }), observer().listener), { code: 'RunnerInvalidSpec', field: 'containers[0].command' })
  t.throws(() => process.start(withMain({ command: [''] }), observer().listener), { code: 'RunnerInvalidSpec', field: 'containers[0].command[0]' })
  const seen = observer()
  process.start(withMain({ image: 'busybox:1.36', command: ['true'], logPath: '/tmp/stratus-instrumented/p.log' }), seen.listener)
  t.match(await seen.done, { exitCode: 0 }, 'the image is ignored')
  const images = observer()
  runner.start(withMain({ command: [] }), images.listener)
  await clock.advance(0)
  t.same(images.calls, ['running', 'exited'], 'a runner with images takes an empty command (the image\'s own)')
})

t.test('a duplicate id is published on the error channel', async (t) => {
  const errors: unknown[] = []
  const onError = (message: unknown): void => { errors.push(message) }
  subscribe('stratus:runner:error', onError)
  t.teardown(() => unsubscribe('stratus:runner:error', onError))
  const spec = { ...withMain({ env: { STRATUS_SIM_SECONDS: '60' } }) }
  runner.start(spec, observer().listener)
  t.throws(() => runner.start(spec, observer().listener), { code: 'RunnerDuplicateId' })
  t.match(errors, [{ id: spec.id, kind: 'simulated', error: { code: 'RunnerDuplicateId' } }])
  await clock.advance(60_000)
})
