// The TaskLauncher: the task row (intent) is committed before the runner is
// asked for anything; the runner's outcome becomes AWS's exit reasons (exit
// code, 128 + signal, OOM, failed to start, timeout, host terminated); a stop
// is sent to the runner once, even for a task stopped while still starting;
// the node gets its demand back in the transaction that tells the owner.
import t from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { NodePools } from '../../../runtime/cluster/index.js'
import { RUNNERS, type Runner, type SandboxListener, type SandboxSpec, type StopOptions } from '../../../runtime/runners/index.js'
import { TASKS, TaskLauncher, type TaskOutcome, type TaskRow } from '../../../runtime/tasks/index.js'

/** A runner that records what the launcher asks of it, over the simulated runner. */
function spy(inner: Runner, store: MemoryStore) {
  const calls = { starts: [] as Array<{ id: string; rowExisted: boolean }>, stops: [] as Array<{ id: string; options?: StopOptions }> }
  const runner: Runner = {
    kind: inner.kind,
    capabilities: inner.capabilities,
    start(spec: SandboxSpec, listener: SandboxListener) {
      calls.starts.push({ id: spec.id, rowExisted: store.get(TASKS, spec.id) !== undefined })
      inner.start(spec, listener)
    },
    stop(id, options) {
      calls.stops.push({ id, options })
      return inner.stop(id, options)
    },
    inspect: (id) => inner.inspect(id),
    list: (labels) => inner.list(labels),
    logs: (id, options) => inner.logs(id, options),
    exec: (id, c, cmd) => inner.exec(id, c, cmd),
    close: () => inner.close()
  }
  return { runner, calls }
}

async function setUp(options: { store?: MemoryStore; runner?: Runner } = {}) {
  const clock = new ManualClock(1_000_000)
  const store = options.store ?? new MemoryStore()
  const partition = makePartition()
  const pools = new NodePools({ store, partition, now: () => clock.now() })
  const sim = options.runner ?? await RUNNERS.simulated({ clock, engineId: 'test-engine' })
  const { runner, calls } = spy(sim, store)
  const launcher = new TaskLauncher({ store, clock, partition, pools, runners: new Map([['simulated', runner]]), engineId: 'engine-1' })
  const ended: Array<{ row: TaskRow; outcome: TaskOutcome; nodeRunning: number }> = []
  const running: TaskRow[] = []
  launcher.registerOwner('test', {
    running: (_tx, row) => running.push(row),
    // Inside the ending transaction the node already has its demand back.
    ended: (tx, row, outcome) => ended.push({ row, outcome, nodeRunning: pools.node(row.poolId, row.nodeId, tx)!.running })
  })
  if (store.get('cluster:pools', 'p') === undefined) {
    store.transaction((tx) => {
      pools.createPool(tx, { poolId: 'p', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c', runner: 'simulated' })
      pools.addNode(tx, 'p', { id: 'i-0abc', instanceType: 'm5.large', vcpus: 2, memory: 8192, gpus: 0, managed: false })
    })
  }
  let n = 0
  const launch = (env: Record<string, string>, timeout?: { ms: number; reason: string }) => store.transaction((tx) => {
    const demand = { cpu: 1000, memory: 512, gpu: 0 }
    const node = pools.reserve(tx, 'p/i-0abc', demand)
    return launcher.intend(tx, {
      owner: 'test', ownerKey: `k${++n}`, attempt: 1, node, demand, timeout,
      containers: [{ name: 'main', command: ['true'], env, vcpus: 1, memoryMiB: 512, gpus: 0, logPath: '/dev/null', workDir: '/tmp' }]
    })
  })
  const close = async () => {
    launcher.close()
    await runner.close()
  }
  return { clock, store, pools, launcher, calls, ended, running, launch, close, runner }
}

t.test('the task row is committed before the runner starts anything, with a deterministic id and labels', async (t) => {
  const s = await setUp()
  const row = s.launch({ STRATUS_SIM_SECONDS: '5' })
  t.equal(row.runId, 'test:k1#1')
  t.match(s.launcher.taskArn(row), /^arn:aws:ecs:us-east-1:000000000000:task\/c\/[0-9a-f]{32}$/)
  t.match(row.address, /^127\.(?!0\.)\d+\.\d+\.\d+$/, 'its own address from 127.0.0.0/8 (not 127.0.x)')
  t.same(row.spec.labels, { 'stratus.engine': 'engine-1', 'stratus.owner': 'test' })
  t.equal(row.spec.id, row.runId, 'the sandbox is the run')
  t.same(s.calls.starts, [{ id: 'test:k1#1', rowExisted: true }], 'the runner was asked after the row was there')
  await s.clock.settle()
  t.equal(s.running.length, 1)
  t.equal(s.launcher.get('test:k1#1')!.lastStatus, 'RUNNING')
  await s.clock.advance(5000)
  t.equal(s.launcher.get('test:k1#1'), undefined, 'the row goes when the task ends')
  t.match(s.ended[0].outcome, { kind: 'exited', exitCode: 0, stoppedReason: 'Essential container in task exited', oomKilled: false })
  t.equal(s.ended[0].nodeRunning, 0, 'the node has its demand back in the transaction that tells the owner')
  await s.close()
})

t.test('outcomes: an exit code, the kernel\'s OOM kill, a start failure', async (t) => {
  const s = await setUp()
  s.launch({ STRATUS_SIM_EXIT: '3' })
  s.launch({ STRATUS_SIM_OOM: '1', STRATUS_SIM_SECONDS: '1' })
  s.launch({ STRATUS_SIM_FAIL: 'no such image' })
  await s.clock.advance(2000)
  const byKey = Object.fromEntries(s.ended.map((e) => [e.row.ownerKey, e.outcome]))
  t.match(byKey.k1, { kind: 'exited', exitCode: 3 })
  t.match(byKey.k2, { kind: 'exited', exitCode: 137, oomKilled: true, reason: 'OutOfMemoryError: Container killed due to memory usage' })
  t.match(byKey.k3, { kind: 'failed-to-start', stoppedReason: 'Task failed to start' })
  t.match(byKey.k3.reason, /^CannotStartContainerError: .*no such image/)
  t.equal(byKey.k3.exitCode, undefined, 'it never ran: no exit code')
  await s.close()
})

t.test('a stop is decided once: sent to the runner once, even when asked twice', async (t) => {
  const s = await setUp()
  const row = s.launch({ STRATUS_SIM_SECONDS: '60' })
  await s.clock.settle()
  t.equal(s.launcher.stop(row.runId, { kind: 'terminate', reason: 'Terminated by user', graceMs: 100 }), true)
  t.equal(s.launcher.stop(row.runId, { kind: 'terminate', reason: 'again' }), true, 'a second request is accepted…')
  await s.clock.advance(1000)
  t.equal(s.calls.stops.length, 1, '…but the runner hears of it once')
  t.match(s.ended[0].outcome, { kind: 'exited', exitCode: 143, stoppedReason: 'Terminated by user', stop: { kind: 'terminate' }, escalated: false })
  t.equal(s.launcher.stop(row.runId, { kind: 'terminate', reason: 'late' }), false, 'an ended task cannot be stopped')
  await s.close()
})

t.test('regression: a task stopped while still starting is killed once, not twice', async (t) => {
  const s = await setUp()
  const row = s.launch({ STRATUS_SIM_SECONDS: '60' })
  // Stopped in the same turn it was launched: the runner has not reported it running.
  t.equal(s.launcher.stop(row.runId, { kind: 'terminate', reason: 'changed my mind' }), true)
  await s.clock.advance(20_000)
  t.equal(s.calls.stops.length, 1, 'one stop reached the runner')
  t.equal(s.ended.length, 1, 'it ended once')
  t.match(s.ended[0].outcome, { stoppedReason: 'changed my mind', stop: { kind: 'terminate' } })
  await s.close()
})

t.test('a container that ignores SIGTERM is SIGKILLed after the grace: the outcome says it was escalated', async (t) => {
  const s = await setUp()
  const row = s.launch({ STRATUS_SIM_SECONDS: '600', STRATUS_SIM_IGNORE_SIGTERM: '1' })
  await s.clock.settle()
  s.launcher.stop(row.runId, { kind: 'terminate', reason: 'Terminated', graceMs: 5000 })
  await s.clock.advance(4999)
  t.equal(s.ended.length, 0, 'still alive within the grace')
  await s.clock.advance(1)
  t.match(s.ended[0].outcome, { exitCode: 137, escalated: true })
  await s.close()
})

t.test('an attempt timeout stops the task with the owner\'s reason', async (t) => {
  const s = await setUp()
  s.launch({ STRATUS_SIM_SECONDS: '600' }, { ms: 60_000, reason: 'Job attempt duration exceeded timeout' })
  await s.clock.advance(59_999)
  t.equal(s.ended.length, 0)
  await s.clock.advance(1)
  await s.clock.settle()
  t.match(s.ended[0].outcome, { stoppedReason: 'Job attempt duration exceeded timeout', stop: { kind: 'timeout' } })
  await s.close()
})

t.test('recover(): tasks of an engine that stopped end with their host, as AWS reports it', async (t) => {
  const store = new MemoryStore()
  const first = await setUp({ store })
  first.launch({ STRATUS_SIM_SECONDS: '600' })
  await first.clock.settle()
  // The engine goes away without a word (its runner's sandboxes are gone; its rows are not).
  first.launcher.close()
  await first.runner.close()
  t.equal(store.count(TASKS), 1, 'the row outlived its engine')
  const second = await setUp({ store })
  t.equal(second.launcher.recover(), 1)
  t.equal(store.count(TASKS), 0)
  t.match(second.ended[0].outcome, { kind: 'host-terminated', stoppedReason: 'Host EC2 (instance i-0abc) terminated.' })
  t.equal(second.pools.node('p', 'i-0abc')!.running, 0, 'the node\'s room is given back')
  await second.close()
})

t.test('recover(): a sandbox a runner still has for a row of an engine that went away is stopped, and the task ends once', async (t) => {
  const store = new MemoryStore()
  const clock = new ManualClock(1_000_000)
  const shared = await RUNNERS.simulated({ clock, engineId: 'test-engine' })
  const first = await setUp({ store, runner: shared })
  first.launch({ STRATUS_SIM_SECONDS: '10' })
  await first.clock.settle()
  first.launcher.close() // the engine goes away; its runner (shared here) keeps the sandbox
  t.equal(shared.list().length, 1, 'the sandbox outlived its engine')
  const second = await setUp({ store, runner: shared })
  t.equal(second.launcher.recover(), 1)
  await clock.advance(60_000)
  t.equal(shared.list().length, 0, 'recovery stopped it')
  t.equal(store.count(TASKS), 0)
  t.equal(second.ended.length, 1, 'it ended once')
  t.match(second.ended[0].outcome, { kind: 'host-terminated' })
  t.equal(second.pools.node('p', 'i-0abc')!.running, 0)
  await second.close()
})

t.test('recover(): an owner that throws for one task leaves that row for the next start; the other tasks end', async (t) => {
  const store = new MemoryStore()
  const first = await setUp({ store })
  for (let i = 0; i < 3; i++) first.launch({ STRATUS_SIM_SECONDS: '600' })
  await first.clock.settle()
  first.launcher.close()
  await first.runner.close()
  const second = await setUp({ store })
  // Registered again over the set-up's owner: judging k2 fails.
  second.launcher.registerOwner('test', {
    running: () => {},
    ended: (_tx, row) => {
      if (row.ownerKey === 'k2') throw new Error('cannot judge k2')
    }
  })
  const ended: string[] = []
  second.launcher.watch((event) => ended.push(`${event.type}:${event.row.ownerKey}`))
  t.equal(second.launcher.recover(), 3)
  t.same(ended.sort(), ['ended:k1', 'ended:k3'], 'the others ended, once each')
  t.same(store.scan(TASKS).map((r) => r.key), ['test:k2#1'], 'k2\'s row is left whole for the next start')
  t.equal(second.pools.node('p', 'i-0abc')!.running, 1, 'and still holds its room')
  await second.close()
})

t.test('watch(): every committed running and ended transition, after commit', async (t) => {
  const s = await setUp()
  const seen: string[] = []
  const stop = s.launcher.watch((event) => seen.push(`${event.type}:${event.row.ownerKey}:${s.store.get(TASKS, event.row.runId) === undefined ? 'gone' : 'there'}`))
  s.launch({ STRATUS_SIM_SECONDS: '1' })
  await s.clock.advance(1000)
  stop()
  s.launch({ STRATUS_SIM_SECONDS: '1' })
  await s.clock.advance(1000)
  t.same(seen, ['running:k1:there', 'ended:k1:gone'], 'in order, each after its commit; nothing after the watcher stopped')
  await s.close()
})

t.test('reports of the same tick are one commit, a task running and ending in the same tick included; watchers hear each, in order', async (t) => {
  const s = await setUp()
  const commits: number[] = []
  s.store.watch(TASKS, () => commits.push(s.store.revision))
  const seen: string[] = []
  s.launcher.watch((event) => seen.push(`${event.type}:${event.row.ownerKey}`))
  // Both start in the simulated runner's one round: their two running reports, one transaction.
  s.launch({ STRATUS_SIM_SECONDS: '5' })
  s.launch({ STRATUS_SIM_SECONDS: '5' })
  commits.length = 0
  await new Promise((resolve) => setImmediate(resolve))
  t.same(s.running.map((r) => r.ownerKey), ['k1', 'k2'], 'the owner hears of each')
  t.equal(new Set(commits).size, 1, 'in one commit')
  t.ok(s.store.scan<TaskRow>(TASKS).every((r) => r.value.lastStatus === 'RUNNING'))
  await s.clock.advance(5000)
  t.same(s.ended.map((e) => [e.row.ownerKey, e.outcome.exitCode, e.nodeRunning]), [['k1', 0, 1], ['k2', 0, 0]], 'each ended, the node given back both demands')
  // A task of no duration: running, then ended in the same tick, one commit.
  s.launch({ STRATUS_SIM_SECONDS: '0' })
  commits.length = 0
  await s.clock.advance(0)
  t.equal(new Set(commits).size, 1, 'its running and its end are one commit')
  t.same(seen, ['running:k1', 'running:k2', 'ended:k1', 'ended:k2', 'running:k3', 'ended:k3'], 'watchers hear of every transition, in order')
  t.ok(s.ended[2].outcome.startedAt !== undefined, 'its end knows when it started')
  await s.close()
})
