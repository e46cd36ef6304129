// Multi-node parallel jobs as AWS runs them: validation of node properties and
// overrides, the main node first and the others once it runs, each node on an
// instance of its own, the MNP environment, the main node's exit ending the
// job (children stopped, retries of the whole job), nodes addressable as
// <jobId>#<index>, ListJobs multiNodeJobId, terminate and cancel — on the
// simulated runner (manual clock) and on the process runner, where the main
// node really listens on its address and the child nodes really connect to it.
import t, { type Test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Stratus, InvalidArgumentError, LimitExceededError, type Job, type NodeProperties } from '../../../sdk/index.js'
import { MemoryStore } from '../../../runtime/index.js'
import type { ContainerSpec } from '../../../runtime/runners/runner.js'
import { recordEvents, settle, sim, simulatedCloud, statusesOf, type Cloud } from './fixtures.js'

const MAIN_EXITED = 'Main node exited: the multi-node parallel job ended'
const NOT_STARTED = 'The multi-node parallel job ended before this node started'

interface Started { id: string; containers: ContainerSpec[] }

function recordStarts(t: Test): Started[] {
  const starts: Started[] = []
  const listener = (message: unknown) => {
    starts.push(message as Started)
  }
  subscribe('stratus:runner:start', listener)
  t.teardown(() => {
    unsubscribe('stratus:runner:start', listener)
  })
  return starts
}

/** A MANAGED environment of m5.large instances (2 vCPUs each) and its queue. */
async function environment(cloud: Cloud, vcpus: { min?: number; max: number } = { min: 8, max: 8 }) {
  const ce = await cloud.batch.computeEnvironment('mnp').managed().minVcpus(vcpus.min ?? 0).maxVcpus(vcpus.max).instanceTypes('m5.large').create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  return { ce, queue }
}

/** A definition of `numNodes` nodes of 1 vCPU: node 0 the main one (lasting `main` s), the others `child` s. */
function definition(cloud: Cloud, numNodes: number, main: Record<string, string>, child: Record<string, string>) {
  return cloud.batch.jobDefinition('mnp').vcpus(1).memory(512).multiNode({ numNodes, mainNode: 0 })
    .nodeRange('0', (c) => c.command('main').env(main))
    .nodeRange('1:', (c) => c.command('child').env(child))
}

async function nodeStatuses(job: Job, numNodes: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < numNodes; i++) out.push((await job.node(i).describe()).status)
  return out
}

async function refused(t: Test, attempt: Promise<unknown>, field: string, message: string, kind: 'InvalidArgument' | 'LimitExceeded' = 'InvalidArgument') {
  const error = await attempt.then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof (kind === 'InvalidArgument' ? InvalidArgumentError : LimitExceededError), `${message}: ${kind}`)
  t.match(error, { code: 'ClientException', field }, message)
  t.match((error as Error).message, field.split('[')[0], `${message}: the message names the field`)
}

t.test('RegisterJobDefinition: node properties validated as AWS documents them', async (t) => {
  await using cloud = await simulatedCloud()
  const container = { command: ['x'], resourceRequirements: [{ type: 'VCPU' as const, value: '1' }, { type: 'MEMORY' as const, value: '128' }] }
  const register = (nodeProperties: NodeProperties, extra: Record<string, unknown> = {}) =>
    cloud.batch.service.registerJobDefinition({ jobDefinitionName: 'm', type: 'multinode', nodeProperties, ...extra })
  const ranges = (...targets: string[]) => targets.map((targetNodes) => ({ targetNodes, container }))
  const np = 'nodeProperties'
  await refused(t, register({ numNodes: 0, mainNode: 0, nodeRangeProperties: ranges(':') }), `${np}.numNodes`, 'no nodes')
  await refused(t, register({ numNodes: 1001, mainNode: 0, nodeRangeProperties: ranges(':') }), `${np}.numNodes`, '1,001 nodes (the limit is 1,000)')
  await refused(t, register({ numNodes: 4, mainNode: 4, nodeRangeProperties: ranges(':') }), `${np}.mainNode`, 'main node outside [0, numNodes)')
  await refused(t, register({ numNodes: 4, mainNode: -1, nodeRangeProperties: ranges(':') }), `${np}.mainNode`, 'a negative main node')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: [] }), `${np}.nodeRangeProperties`, 'no range')
  await refused(t, register({ numNodes: 8, mainNode: 0, nodeRangeProperties: ranges('0', '1', '2', '3', '4', '5:') }), `${np}.nodeRangeProperties`, 'six node groups (at most 5)')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('a:b') }), `${np}.nodeRangeProperties[0].targetNodes`, 'not a range')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('3:1') }), `${np}.nodeRangeProperties[0].targetNodes`, 'a range ending before it starts')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('-1:') }), `${np}.nodeRangeProperties[0].targetNodes`, 'a negative index')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('0:9') }), `${np}.nodeRangeProperties[0].targetNodes`, 'a range past the last node')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('4:') }), `${np}.nodeRangeProperties[0].targetNodes`, 'a range starting past the last node')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('0:1', '3') }), `${np}.nodeRangeProperties`, 'node 2 in no range')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('0:2', '1:3') }), `${np}.nodeRangeProperties[1].targetNodes`, 'ranges overlapping without nesting')
  await refused(t, register({ numNodes: 4, mainNode: 0, nodeRangeProperties: ranges('1:', '1:3') }), `${np}.nodeRangeProperties[1].targetNodes`, 'the same nodes twice')
  await refused(t, register({ numNodes: 2, mainNode: 0, nodeRangeProperties: [{ targetNodes: ':' }] }), `${np}.nodeRangeProperties[0].container`, 'a range without container')
  await refused(t, register({ numNodes: 2, mainNode: 0, nodeRangeProperties: [{ targetNodes: ':', container: { ...container, mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] } }] }),
    `${np}.nodeRangeProperties[0].container.mountPoints[0].sourceVolume`, 'a node container is validated as a job\'s')
  await refused(t, register({ numNodes: 2, mainNode: 0, nodeRangeProperties: ranges(':') }, { platformCapabilities: ['FARGATE'] }), 'platformCapabilities', 'Fargate')
  await refused(t, register({ numNodes: 2, mainNode: 0, nodeRangeProperties: ranges(':') }, { containerProperties: container }), 'containerProperties', 'container properties on a multinode definition')
  await refused(t, cloud.batch.service.registerJobDefinition({ jobDefinitionName: 'c', type: 'container', containerProperties: container, nodeProperties: { numNodes: 2, mainNode: 0, nodeRangeProperties: ranges(':') } }),
    'nodeProperties', 'node properties on a container definition')
  t.same((await cloud.batch.service.describeJobDefinitions({})).jobDefinitions, [], 'nothing stored')

  // Nested ranges: the narrower one's container is what its nodes run.
  const nested = await register({ numNodes: 6, mainNode: 2, nodeRangeProperties: [{ targetNodes: ':', container }, { targetNodes: '2:3', container: { ...container, command: ['inner'] } }, { targetNodes: '5', container: { ...container, command: ['last'] } }] })
  const [stored] = (await cloud.batch.service.describeJobDefinitions({ jobDefinitions: [nested.jobDefinitionArn] })).jobDefinitions
  t.equal(stored.type, 'multinode')
  t.equal(stored.containerProperties, undefined)
  t.match(stored.nodeProperties, { numNodes: 6, mainNode: 2 })
  const { queue } = await environment(cloud, { min: 12, max: 12 })
  const job = await cloud.batch.job('nested').queue(queue).definition(nested.jobDefinitionArn).submit()
  const commands = []
  for (let i = 0; i < 6; i++) commands.push((await job.node(i).describe()).container.command[0])
  t.same(commands, ['x', 'x', 'inner', 'inner', 'x', 'last'])
})

t.test('SubmitJob: queues, overrides and resources of multi-node jobs validated', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await environment(cloud)
  const own = await cloud.batch.computeEnvironment('own').unmanaged().create()
  const unmanaged = await cloud.batch.jobQueue('own').priority(1).computeEnvironments(own).create()
  const spot = await cloud.batch.computeEnvironment('spot').managed().spot().maxVcpus(8).instanceTypes('m5.large').create()
  const spotQueue = await cloud.batch.jobQueue('spot').priority(1).computeEnvironments(spot).create()
  const open = await definition(cloud, 4, sim(1), sim(1)).register()
  const closed = await cloud.batch.jobDefinition('closed').vcpus(1).memory(512).multiNode({ numNodes: 3, mainNode: 2 })
    .nodeRange('0:1', (c) => c.command('a')).nodeRange('2', (c) => c.command('b')).register()
  const job = cloud.batch.job('j').queue(queue).definition(open)
  await refused(t, job.queue(unmanaged).submit(), 'jobQueue', 'an UNMANAGED environment')
  await refused(t, job.queue(spotQueue).submit(), 'jobQueue', 'a SPOT environment')
  await refused(t, job.definition(closed).nodes(5).submit(), 'nodeOverrides.numNodes', 'numNodes overridden without an open-ended range')
  await refused(t, job.nodes(1).submit(), 'nodeOverrides.numNodes', 'numNodes at the start of the range 1:')
  await refused(t, job.nodes(1001).submit(), 'nodeOverrides.numNodes', 'numNodes past the limit')
  await refused(t, job.nodeOverride('7', { command: ['x'] }).submit(), 'nodeOverrides.nodePropertyOverrides[0].targetNodes', 'an override of a node the job does not have')
  await refused(t, cloud.batch.service.submitJob({
    jobName: 'j', jobQueue: 'q', jobDefinition: open.arn, nodeOverrides: { nodePropertyOverrides: [{ targetNodes: '1:', containerOverrides: { command: 'x' as unknown as string[] } }] }
  }), 'nodeOverrides.nodePropertyOverrides[0].containerOverrides.command', 'a bad override')
  await refused(t, job.nodeOverride(':', { vcpus: 4 }).submit(), 'resources', 'a node bigger than every instance', 'LimitExceeded')
  await refused(t, job.env({ A: '1' }).submit(), 'containerOverrides', 'containerOverrides on a multi-node job')
  await refused(t, job.array(2).submit(), 'arrayProperties', 'an array of multi-node jobs')
  t.equal(await cloud.batch.service.countJobs(), 0, 'nothing stored')
})

t.test('the main node starts first, the other nodes once it runs, each on an instance of its own, with the MNP environment', async (t) => {
  const starts = recordStarts(t)
  await using cloud = await simulatedCloud()
  const events = recordEvents(cloud)
  const { ce, queue } = await environment(cloud)
  const def = await definition(cloud, 4, sim(10), sim(100)).register()
  const job = await cloud.batch.job('gang').queue(queue).definition(def).submit()
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING')
  t.same(await nodeStatuses(job, 4), ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING'])
  // Order: the main node RUNNING before any other node was even STARTING.
  const at = (id: string, status: string) => events.findIndex((e) => e.detail.jobId === id && e.detail.status === status)
  const mainRunning = at(`${job.id}#0`, 'RUNNING')
  t.ok(mainRunning >= 0)
  for (const i of [1, 2, 3]) t.ok(at(`${job.id}#${i}`, 'STARTING') > mainRunning, `node ${i} started after the main node ran`)
  t.same(statusesOf(events, job.id), ['RUNNABLE', 'STARTING', 'RUNNING'], 'the job STARTING with its main node, RUNNING once it runs')
  // Four nodes of 1 vCPU on four instances of 2 vCPUs: never two on one.
  const instances = []
  for (let i = 0; i < 4; i++) instances.push((await job.node(i).describe()).container.containerInstanceArn)
  t.equal(new Set(instances).size, 4, 'four distinct instances')
  t.same((await ce.nodes()).map((n) => n.running).sort(), [1, 1, 1, 1])

  // The environment of each node; the main node's address is its task's 127.x address.
  const main = await job.node(0).describe()
  const address = main.container.networkInterfaces![0].privateIpv4Address!
  t.match(address, /^127\.\d+\.\d+\.\d+$/)
  for (let i = 0; i < 4; i++) {
    const env = starts.find((s) => s.id.includes(`${job.id}#${i}#`))!.containers[0].env
    t.match(env, {
      AWS_BATCH_JOB_ID: `${job.id}#${i}`, AWS_BATCH_JOB_ATTEMPT: '1', AWS_BATCH_JQ_NAME: 'q', AWS_BATCH_CE_NAME: 'mnp',
      AWS_BATCH_JOB_NODE_INDEX: String(i), AWS_BATCH_JOB_NUM_NODES: '4', AWS_BATCH_JOB_MAIN_NODE_INDEX: '0',
      AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS: address
    }, `node ${i}`)
  }
})

t.test('managed capacity: instances are launched until every node has one of its own', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue } = await environment(cloud, { min: 0, max: 16 })
  const job = await cloud.batch.job('gang').queue(queue).definition(await definition(cloud, 4, sim(10), sim(100)).register()).submit()
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING')
  t.same(await nodeStatuses(job, 4), ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING'])
  t.equal((await ce.nodes()).length, 4, 'four instances, one per node (two nodes would have fit on one)')
})

t.test('a job needing more distinct instances than its environment can have stays RUNNABLE, and says why', async (t) => {
  await using cloud = await simulatedCloud()
  // At most 4 vCPUs: two m5.large instances, for three nodes.
  const { ce, queue } = await environment(cloud, { min: 0, max: 4 })
  const job = await cloud.batch.job('too-wide').queue(queue).definition(await definition(cloud, 3, sim(10), sim(10)).register()).submit()
  await cloud.clock.advance(60_000)
  t.equal((await job.describe()).status, 'RUNNABLE')
  t.same(await nodeStatuses(job, 3), ['RUNNABLE', 'RUNNABLE', 'RUNNABLE'], 'no node started, not even the main one')
  t.equal((await ce.nodes()).length, 2, 'the two instances it can have')
  t.match(await job.explain(), { computeEnvironment: 'mnp', reason: 'CONSTRAINT_UNSATISFIED' }, 'distinct instances ruled the nodes out')
  t.match(await job.node(1).explain(), { reason: 'CONSTRAINT_UNSATISFIED' }, 'a node explains its job')
  // Small single jobs still run on those instances.
  const single = await cloud.batch.job('small').queue(queue).definition(await cloud.batch.jobDefinition('s').command('x').vcpus(1).memory(128).register()).submit()
  await cloud.clock.advance(1_000)
  t.equal((await single.wait()).status, 'SUCCEEDED')
  await job.cancel('too wide')
  t.same(await nodeStatuses(job, 3), ['FAILED', 'FAILED', 'FAILED'])
  t.equal((await job.node(2).describe()).statusReason, 'too wide')
})

t.test('the main node\'s exit ends the job with its exit code, and the other nodes are stopped', async (t) => {
  await using cloud = await simulatedCloud({ batch: { killGraceMs: 0 } })
  const { queue } = await environment(cloud)
  const def = await definition(cloud, 3, sim(10), sim(100)).register()
  const ok = await cloud.batch.job('ok').queue(queue).definition(def).submit()
  await settle(cloud)
  await cloud.clock.advance(10_000)
  const d = await ok.wait()
  t.equal(d.status, 'SUCCEEDED')
  t.equal(d.container.exitCode, 0)
  t.equal(d.attempts.length, 1)
  await settle(cloud)
  for (const i of [1, 2]) {
    const node = await ok.node(i).wait()
    t.equal(node.status, 'FAILED', `node ${i} was stopped`)
    t.equal(node.statusReason, MAIN_EXITED)
    t.equal(node.container.exitCode, 143, 'SIGTERM')
  }
  t.equal((await ok.node(0).describe()).status, 'SUCCEEDED')

  const failing = await cloud.batch.job('failing').queue(queue).definition(def).nodeOverride('0', { env: { STRATUS_SIM_EXIT: '3' } }).submit()
  await settle(cloud)
  await cloud.clock.advance(10_000)
  const f = await failing.wait()
  t.equal(f.status, 'FAILED')
  t.equal(f.container.exitCode, 3, 'the main node\'s exit code')
})

t.test('a child node that fails changes nothing else, and is not retried', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await environment(cloud)
  const def = await definition(cloud, 3, sim(10), sim(2)).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).retry({ attempts: 3 }).nodeOverride('2', { env: { STRATUS_SIM_EXIT: '1' } }).submit()
  await settle(cloud)
  await cloud.clock.advance(2_000)
  t.equal((await job.node(2).describe()).status, 'FAILED')
  t.equal((await job.node(1).describe()).status, 'SUCCEEDED')
  t.equal((await job.describe()).status, 'RUNNING', 'the job runs on')
  await cloud.clock.advance(8_000)
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED')
  t.equal(d.attempts.length, 1, 'no retry for a child node')
  t.equal((await job.node(2).describe()).attempts.length, 1)
})

t.test('retries: a failed main node starts a new attempt of every node', async (t) => {
  const starts = recordStarts(t)
  await using cloud = await simulatedCloud({ batch: { killGraceMs: 0 } })
  const { queue } = await environment(cloud)
  const def = await definition(cloud, 3, sim(10, 1), sim(100)).retry({ attempts: 2 }).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  await settle(cloud)
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING', 'attempt 2 runs')
  t.same(await nodeStatuses(job, 3), ['RUNNING', 'RUNNING', 'RUNNING'])
  await cloud.clock.advance(10_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.same(d.attempts.map((a) => a.container.exitCode), [1, 1])
  await settle(cloud)
  for (let i = 0; i < 3; i++) {
    const node = await job.node(i).describe()
    t.equal(node.attempts.length, 2, `node ${i} ran in both attempts`)
    const attempts = starts.filter((s) => s.id.includes(`${job.id}#${i}#`)).map((s) => s.containers[0].env.AWS_BATCH_JOB_ATTEMPT)
    t.same(attempts, ['1', '2'])
  }
})

t.test('nodes in DescribeJobs (<jobId>#<index>) and ListJobs (multiNodeJobId); the job shows its node properties', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await environment(cloud)
  const def = await definition(cloud, 3, sim(10), sim(100)).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).nodes(4).submit()
  await settle(cloud)
  const parent = await job.describe()
  t.match(parent.nodeProperties, { numNodes: 4, mainNode: 0, nodeRangeProperties: [{ targetNodes: '0' }, { targetNodes: '1:' }] }, 'numNodes as overridden')
  const [main, child] = await cloud.batch.describeJobs(`${job.id}#0`, `${job.id}#3`, `${job.id}#4`, `${job.id}:1`)
  t.match(main, { jobId: `${job.id}#0`, jobArn: `${job.arn}#0`, jobName: 'j', status: 'RUNNING', nodeDetails: { nodeIndex: 0, isMainNode: true }, container: { command: ['main'] } })
  t.match(child, { jobId: `${job.id}#3`, status: 'RUNNING', nodeDetails: { nodeIndex: 3, isMainNode: false }, container: { command: ['child'] } })
  t.equal((await cloud.batch.describeJobs(`${job.id}#4`)).length, 0, 'a node the job does not have is not there')
  t.equal(child.container.logStreamName, `mnp/default/${job.id}#3-1`)
  const listed = await cloud.batch.service.listJobs({ multiNodeJobId: job.id })
  t.same(listed.jobSummaryList.map((s) => [s.jobId, s.status, s.nodeProperties]), [0, 1, 2, 3].map((i) => [`${job.id}#${i}`, 'RUNNING', { isMainNode: i === 0, numNodes: 4, nodeIndex: i }]))
  t.same((await cloud.batch.service.listJobs({ multiNodeJobId: job.id, jobStatus: 'SUCCEEDED' })).jobSummaryList, [])
  t.same((await job.nodes()).map((n) => n.id), [0, 1, 2, 3].map((i) => `${job.id}#${i}`))
  const inQueue = (await cloud.batch.listJobs({ queue })).map((s) => [s.jobId, s.nodeProperties])
  t.same(inQueue, [[job.id, { numNodes: 4 }]], 'the queue lists the job, not its nodes')
  await t.rejects(cloud.batch.service.listJobs({ multiNodeJobId: 'nope' }), { code: 'ClientException', field: 'multiNodeJobId' })

  // Purged with its job after the retention time.
  await cloud.clock.advance(10_000)
  t.equal((await job.wait()).status, 'SUCCEEDED')
  await cloud.clock.advance(24 * 3_600_000)
  t.same(await cloud.batch.describeJobs(job.id, `${job.id}#0`, `${job.id}#3`), [], 'the job and its nodes are gone')
  t.equal(cloud.engine.store.count('batch:nodes'), 0)
})

t.test('terminating the job stops every node; a node alone is not terminated', async (t) => {
  await using cloud = await simulatedCloud({ batch: { killGraceMs: 0 } })
  const { queue } = await environment(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(await definition(cloud, 3, sim(100), sim(100)).register()).retry({ attempts: 3 }).submit()
  await settle(cloud)
  await t.rejects(job.node(1).terminate('just this one'), { code: 'ClientException', field: 'jobId' })
  t.same(await nodeStatuses(job, 3), ['RUNNING', 'RUNNING', 'RUNNING'])
  await job.terminate('enough')
  await settle(cloud)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'enough')
  t.equal(d.attempts.length, 1, 'not retried')
  t.same(await nodeStatuses(job, 3), ['FAILED', 'FAILED', 'FAILED'])
  for (let i = 0; i < 3; i++) t.equal((await job.node(i).describe()).container.exitCode, 143)
})

t.test('the job\'s timeout applies to the whole job', async (t) => {
  await using cloud = await simulatedCloud({ batch: { killGraceMs: 0 } })
  const { queue } = await environment(cloud)
  const job = await cloud.batch.job('slow').queue(queue).definition(await definition(cloud, 2, sim(1000), sim(1000)).timeout(60).register()).submit()
  await settle(cloud)
  await cloud.clock.advance(60_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'Job attempt duration exceeded timeout')
  await settle(cloud)
  t.equal((await job.node(1).describe()).statusReason, MAIN_EXITED)
})

t.test('a node that never started FAILS, saying so, when the job ends', async (t) => {
  await using cloud = await simulatedCloud()
  // Two instances: the job's main node takes one, a single job of 2 vCPUs placed in the same round the other.
  const { queue } = await environment(cloud, { min: 4, max: 4 })
  const job = await cloud.batch.job('j').queue(queue).definition(await definition(cloud, 2, sim(10), sim(100)).register()).submit()
  const blocker = await cloud.batch.job('blocker').queue(queue).definition(await cloud.batch.jobDefinition('b').command('x').vcpus(2).memory(512).register())
    .env(sim(1000)).submit()
  await settle(cloud)
  t.equal((await blocker.describe()).status, 'RUNNING')
  t.equal((await job.describe()).status, 'RUNNING')
  t.equal((await job.node(1).describe()).status, 'RUNNABLE', 'no instance of its own is free for node 1')
  t.match(await job.explain(), { reason: 'INSUFFICIENT_CPU' }, 'the job explains why its node waits: the one instance without a node of it is full')
  await cloud.clock.advance(10_000)
  t.equal((await job.wait()).status, 'SUCCEEDED', 'the main node decides')
  const node = await job.node(1).wait()
  t.equal(node.status, 'FAILED')
  t.equal(node.statusReason, NOT_STARTED)
  t.same(node.attempts, [])
})

t.test('the store is the state: a second engine over the first one\'s store ends the lost attempt once and retries the whole job', async (t) => {
  const store = new MemoryStore()
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store })
  const { queue } = await environment(first)
  const def = await definition(first, 3, sim(10), sim(100)).retry({ attempts: 2 }).register()
  const job = await first.batch.job('j').queue(queue).definition(def).submit()
  await settle(first)
  t.equal((await job.describe()).status, 'RUNNING')
  const now = first.clock.now()
  await first.close()

  await using second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store, startTime: now })
  const events = recordEvents(second)
  const again = await second.batch.jobById(job.id)
  await settle(second)
  const running = await again.describe()
  t.equal(running.status, 'RUNNING', 'attempt 2 runs in the second engine')
  t.match(running.attempts[0].statusReason, /^Host EC2 \(instance i-[0-9a-f]+\) terminated\.$/)
  t.same(await nodeStatuses(again, 3), ['RUNNING', 'RUNNING', 'RUNNING'])
  await second.clock.advance(10_000)
  t.equal((await again.wait()).status, 'SUCCEEDED')
  t.equal(events.filter((e) => e.detail.jobId === job.id && ['SUCCEEDED', 'FAILED'].includes(e.detail.status)).length, 1, 'the job ended once')
})

// ---- the process runner: real processes, a real exchange over the main node's address --------------------

async function logOf(job: Job): Promise<string[]> {
  const lines: string[] = []
  for await (const line of job.logs({ follow: false })) lines.push(line)
  return lines
}

/** The main node: listens on its address (port 0), publishes the port in PORT_DIR, answers each child node, ends after the last. */
const MAIN = `
const net = require('node:net'), fs = require('node:fs'), path = require('node:path')
const address = process.env.AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS
let left = Number(process.env.AWS_BATCH_JOB_NUM_NODES) - 1
const server = net.createServer((socket) => {
  let text = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk) => {
    text += chunk
    if (!text.endsWith('\\n')) return
    console.log('main got ' + text.trim())
    socket.end('hello ' + text.trim() + '\\n')
  })
  socket.on('close', () => { if (--left === 0) server.close() })
})
server.listen(0, address, () => {
  console.log('main listening on ' + address)
  const file = path.join(process.env.PORT_DIR, 'port')
  fs.writeFileSync(file + '.tmp', String(server.address().port))
  fs.renameSync(file + '.tmp', file)
})
`

/** A child node: waits for the main node's port, connects to its address, says who it is, prints the answer. */
const CHILD = `
const net = require('node:net'), fs = require('node:fs'), path = require('node:path')
const address = process.env.AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS
const me = 'node ' + process.env.AWS_BATCH_JOB_NODE_INDEX
const file = path.join(process.env.PORT_DIR, 'port')
function talk() {
  if (!fs.existsSync(file)) return setTimeout(talk, 20)
  const socket = net.connect(Number(fs.readFileSync(file, 'utf8')), address, () => socket.write(me + '\\n'))
  let reply = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk) => { reply += chunk })
  socket.on('end', () => console.log('reply: ' + reply.trim()))
  socket.on('error', (error) => { console.log('error: ' + error.message); process.exitCode = 2 })
}
talk()
`

t.test('process runner: the main node listens on its address, the child nodes connect to it there', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const portDir = await mkdtemp(join(tmpdir(), 'stratus-mnp-'))
  t.teardown(() => rm(portDir, { recursive: true, force: true }))
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const { queue } = await environment(cloud)
  const def = await cloud.batch.jobDefinition('talk').vcpus(1).memory(256).env({ PORT_DIR: portDir }).multiNode({ numNodes: 3, mainNode: 0 })
    .nodeRange('0', (c) => c.command(process.execPath, '-e', MAIN))
    .nodeRange('1:', (c) => c.command(process.execPath, '-e', CHILD))
    .register()
  const job = await cloud.batch.job('talk').queue(queue).definition(def).submit()
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED', 'the main node answered both and exited 0')
  const main = await job.node(0).describe()
  const address = main.attempts[0].container.networkInterfaces![0].privateIpv4Address!
  t.match(address, /^127\.\d+\.\d+\.\d+$/)
  const mainLog = await logOf(job.node(0))
  t.equal(mainLog[0], `main listening on ${address}`, 'it bound its own 127.x address')
  t.same(mainLog.slice(1).sort(), ['main got node 1', 'main got node 2'])
  t.same(await logOf(job), mainLog, 'the job\'s log is its main node\'s')
  for (const i of [1, 2]) t.same(await logOf(job.node(i)), [`reply: hello node ${i}`], `node ${i} reached the main node and heard back`)
})

t.test('process runner: terminating the job stops the real process of every node', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process', batch: { killGraceMs: 2_000 } })
  const { queue } = await environment(cloud)
  const def = await cloud.batch.jobDefinition('sleepers').vcpus(1).memory(128).multiNode({ numNodes: 3 })
    .nodeRange(':', (c) => c.command('sh', '-c', 'echo started; exec sleep 600')).register()
  const job = await cloud.batch.job('sleepers').queue(queue).definition(def).submit()
  for (let i = 0; i < 3; i++) for await (const line of job.node(i).logs()) if (line === 'started') break
  t.same(await nodeStatuses(job, 3), ['RUNNING', 'RUNNING', 'RUNNING'])
  await job.terminate('no more sleeping')
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'no more sleeping')
  for (let i = 0; i < 3; i++) {
    const node = await job.node(i).wait()
    t.equal(node.status, 'FAILED')
    t.equal(node.container.exitCode, 143, `node ${i}: its process ended by SIGTERM`)
  }
})
