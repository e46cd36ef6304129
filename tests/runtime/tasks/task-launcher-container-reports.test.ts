// The TaskLauncher hands a runner's container reports (SandboxListener.changed)
// to an owner that has changed(tx, row, info), in a store transaction, in
// order with the running report; an owner without it (Batch) has the runner
// make none. The runner's exit (every container's, a dependsOn failure) is in
// the outcome.
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools } from '../../../runtime/cluster/index.js'
import { RUNNERS, type ContainerSpec, type SandboxInfo, type SandboxListener } from '../../../runtime/runners/index.js'
import { TASKS, TaskLauncher, type TaskOutcome } from '../../../runtime/tasks/index.js'

t.test('container reports reach an owner that wants them, in order, inside a transaction', async (t) => {
  const clock = new ManualClock(1_000_000)
  const store = new MemoryStore()
  const partition = makePartition()
  const pools = new NodePools({ store, partition, now: () => clock.now() })
  const sim = await RUNNERS.simulated({ clock, engineId: 'test-engine' })
  const listeners: SandboxListener[] = []
  const runner = { ...sim, kind: sim.kind, capabilities: sim.capabilities, start: (spec: Parameters<typeof sim.start>[0], listener: SandboxListener) => {
    listeners.push(listener)
    sim.start(spec, listener)
  }, inspect: sim.inspect.bind(sim), list: sim.list.bind(sim), stop: sim.stop.bind(sim), logs: sim.logs.bind(sim), exec: sim.exec.bind(sim), close: sim.close.bind(sim) }
  const launcher = new TaskLauncher({ store, clock, partition, pools, runners: new Map([['simulated', runner]]), engineId: 'engine-1' })
  t.teardown(async () => {
    launcher.close()
    await sim.close()
  })
  const heard: string[] = []
  const ended: TaskOutcome[] = []
  launcher.registerOwner('ecs', {
    running: (_tx, row) => heard.push(`running ${row.lastStatus}`),
    changed: (tx, row, info: SandboxInfo) => {
      t.ok(tx.get(TASKS, row.runId), 'inside a transaction that sees the row')
      heard.push(`changed ${row.lastStatus} ${info.containers.map((c) => `${c.name}:${c.state}${c.exitCode !== undefined ? `:${c.exitCode}` : ''}`).join(' ')}`)
    },
    ended: (_tx, _row, outcome) => ended.push(outcome)
  })
  launcher.registerOwner('batch', { running: () => {}, ended: () => {} })
  store.transaction((tx) => {
    pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', runner: 'simulated' })
    pools.addNode(tx, 'p', { id: 'i-0abc', instanceType: 'm5.large', vcpus: 2, memory: 8192, gpus: 0, managed: false })
  })
  const container = (name: string, env: Record<string, string>, more: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name, command: ['true'], env, vcpus: 0.25, memoryMiB: 128, gpus: 0, logPath: '/dev/null', workDir: '/nonexistent', ...more
  })
  const launch = (owner: string, containers: ContainerSpec[]) => store.transaction((tx) => {
    const demand = { cpu: 500, memory: 256, gpu: 0 }
    return launcher.intend(tx, { owner, ownerKey: `${owner}-1`, attempt: 1, node: pools.reserve(tx, 'p/i-0abc', demand), demand, containers })
  })
  launch('ecs', [
    container('app', { STRATUS_SIM_SECONDS: '10' }, { dependsOn: [{ containerName: 'migrate', condition: 'SUCCESS' }] }),
    container('migrate', { STRATUS_SIM_SECONDS: '1' }, { essential: false })
  ])
  launch('batch', [container('main', { STRATUS_SIM_SECONDS: '1' }), container('side', { STRATUS_SIM_SECONDS: '0.5' }, { essential: false })])
  await clock.advance(0)
  t.equal(listeners.length, 2)
  t.type(listeners[0].changed, 'function', 'the ECS owner has changed(): the runner is asked for reports')
  t.equal(listeners[1].changed, undefined, 'the Batch owner has none: the runner makes no reports')
  await clock.advance(1_000)
  t.same(heard, ['running RUNNING', 'changed RUNNING app:starting migrate:exited:0', 'changed RUNNING app:running migrate:exited:0'])
  await clock.advance(10_000)
  t.match(ended, [{ kind: 'exited', exitCode: 0, exit: { containers: [{ name: 'app', exitCode: 0 }, { name: 'migrate', exitCode: 0 }] } }])
})
