// The wrapper's checks of ECS's container features (validation.ts): health
// check ranges, dependsOn (names, conditions ECS accepts, cycles), stop
// timeouts, docker labels, named volumes, volumesFrom — each refused before
// anything starts, naming the field and the limit.
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { instrument, SimulatedRunner, type ContainerSpec, type SandboxSpec } from '../../../runtime/runners/index.js'
import { observer, specMaker } from './conformance-kit.js'

const runner = instrument(new SimulatedRunner(new ManualClock()))
t.teardown(() => runner.close())
const spec = specMaker('/tmp/stratus-never-written', 'validation')
const hc = { command: ['CMD-SHELL', 'true'] }

function two(a: Partial<ContainerSpec>, b: Partial<ContainerSpec> = {}): SandboxSpec {
  return spec.many([{ name: 'app', more: a }, { name: 'db', more: b }])
}

const cases: Array<[string, SandboxSpec, string, number?]> = [
  ['a health check interval below 5', two({ healthCheck: { ...hc, intervalSeconds: 4 } }), 'containers[0].healthCheck.intervalSeconds', 5],
  ['a health check interval above 300', two({ healthCheck: { ...hc, intervalSeconds: 301 } }), 'containers[0].healthCheck.intervalSeconds', 300],
  ['a timeout of 1', two({ healthCheck: { ...hc, timeoutSeconds: 1 } }), 'containers[0].healthCheck.timeoutSeconds', 2],
  ['11 retries', two({ healthCheck: { ...hc, retries: 11 } }), 'containers[0].healthCheck.retries', 10],
  ['a start period of 301', two({ healthCheck: { ...hc, startPeriodSeconds: 301 } }), 'containers[0].healthCheck.startPeriodSeconds', 300],
  ['half a second interval', two({ healthCheck: { ...hc, intervalSeconds: 5.5 } }), 'containers[0].healthCheck.intervalSeconds'],
  ['a command that is not CMD or CMD-SHELL', two({ healthCheck: { command: ['curl', 'x'] } }), 'containers[0].healthCheck.command[0]'],
  ['CMD-SHELL and nothing', two({ healthCheck: { command: ['CMD-SHELL'] } }), 'containers[0].healthCheck.command'],
  ['a dependency on no container', two({ dependsOn: [{ containerName: 'nope', condition: 'START' }] }), 'containers[0].dependsOn[0].containerName'],
  ['a dependency on itself', two({ dependsOn: [{ containerName: 'app', condition: 'START' }] }), 'containers[0].dependsOn[0].containerName'],
  ['an unknown condition', two({ dependsOn: [{ containerName: 'db', condition: 'READY' as 'START' }] }), 'containers[0].dependsOn[0].condition'],
  ['HEALTHY on a container without a health check', two({ dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }), 'containers[0].dependsOn[0].condition'],
  ['SUCCESS on an essential container', two({ dependsOn: [{ containerName: 'db', condition: 'SUCCESS' }] }), 'containers[0].dependsOn[0].condition'],
  ['a cycle', two({ dependsOn: [{ containerName: 'db', condition: 'START' }] }, { dependsOn: [{ containerName: 'app', condition: 'START' }] }), 'containers[1].dependsOn'],
  ['a negative stop timeout', two({ stopTimeoutSeconds: -1 }), 'containers[0].stopTimeoutSeconds', 0],
  ['a stop timeout above a day', two({ stopTimeoutSeconds: 86_401 }), 'containers[0].stopTimeoutSeconds', 86_400],
  ['a docker label that is no string', two({ dockerLabels: { team: 1 as unknown as string } }), 'containers[0].dockerLabels.team'],
  ['a docker label of the runner\'s', two({ dockerLabels: { 'stratus.engine': 'x' } }), 'containers[0].dockerLabels.stratus.engine'],
  ['a volume name with a slash', two({ volumes: [{ volume: 'a/b', containerPath: '/data' }] }), 'containers[0].volumes[0].volume', 255],
  ['a relative volume path', two({ volumes: [{ volume: 'data', containerPath: 'data' }] }), 'containers[0].volumes[0].containerPath'],
  ['an unknown scope', two({ volumes: [{ volume: 'data', containerPath: '/data', scope: 'global' as 'task' }] }), 'containers[0].volumes[0].scope'],
  ['a driver other than local', two({ volumes: [{ volume: 'data', containerPath: '/data', driver: 'rexray' as 'local' }] }), 'containers[0].volumes[0].driver'],
  ['one volume name in two scopes', two({ volumes: [{ volume: 'data', containerPath: '/d' }] }, { volumes: [{ volume: 'data', containerPath: '/d', scope: 'shared' }] }), 'containers[1].volumes'],
  ['volumesFrom no container', two({ volumesFrom: [{ sourceContainer: 'nope' }] }), 'containers[0].volumesFrom[0].sourceContainer'],
  ['ephemeralStorage that is no boolean', { ...two({}), ephemeralStorage: 'yes' as unknown as boolean }, 'ephemeralStorage']
]

t.test('bad ECS container features are refused, naming the field (and the limit)', async (t) => {
  for (const [what, s, field, limit] of cases) {
    const seen = observer()
    t.throws(() => runner.start(s, seen.listener), { name: 'RunnerError', code: 'RunnerInvalidSpec', kind: 'InvalidArgument', field, ...(limit !== undefined ? { limit } : {}) }, what)
    t.equal(runner.inspect(s.id), undefined, `${what}: nothing started`)
  }
  t.throws(() => runner.start(two({}), { ...observer().listener, changed: 5 as unknown as () => void }), { code: 'RunnerInvalidArgument', field: 'listener.changed' })
})

t.test('the cycle is named in the message', async (t) => {
  const s = spec.many([
    { name: 'a', more: { dependsOn: [{ containerName: 'b', condition: 'START' }] } },
    { name: 'b', more: { dependsOn: [{ containerName: 'c', condition: 'START' }] } },
    { name: 'c', more: { dependsOn: [{ containerName: 'a', condition: 'START' }] } }
  ])
  t.throws(() => runner.start(s, observer().listener), { field: 'containers[2].dependsOn', message: /a → b → c → a/ })
})
