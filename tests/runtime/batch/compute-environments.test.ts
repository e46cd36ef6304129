// Compute environments. MANAGED: instances are launched when runnable jobs
// need capacity (BEST_FIT, BEST_FIT_PROGRESSIVE), never above maxvCpus, and
// removed when idle, down to minvCpus; desiredvCpus follows. UNMANAGED: jobs
// run only on registered nodes. A disabled queue or environment does not
// dispatch; an environment may serve several queues; a queue has up to 3
// environments, tried in order.
import t from 'tap'
import { settle, sim, simulatedCloud, type Cloud } from './fixtures.js'

const IDLE = 5 * 60_000 // the engine's default scale-in idle time

async function managed(cloud: Cloud, build: (b: ReturnType<Cloud['batch']['computeEnvironment']>) => ReturnType<Cloud['batch']['computeEnvironment']>) {
  const ce = await build(cloud.batch.computeEnvironment('ce').managed()).create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(512).register()
  return { ce, queue, def }
}

const vcpusOf = (nodes: Array<{ totalCpu: number }>) => nodes.reduce((sum, n) => sum + n.totalCpu / 1000, 0)

t.test('managed: instances are launched for runnable jobs, and only then', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.minVcpus(0).maxVcpus(16).instanceTypes('m5.large'))
  t.same(await ce.nodes(), [], 'minvCpus 0: no instance while nothing runs')
  t.equal((await ce.describe()).computeResources?.desiredvCpus, 0)
  const jobs = []
  for (let i = 0; i < 3; i++) jobs.push(await cloud.batch.job(`j${i}`).queue(queue).definition(def).env(sim(60)).submit())
  await settle(cloud)
  const nodes = await ce.nodes()
  t.same(nodes.map((n) => n.instanceType), ['m5.large', 'm5.large'], 'two m5.large (2 vCPUs each) hold three 1-vCPU jobs')
  t.ok(nodes.every((n) => /^i-[0-9a-f]{16,17}$/.test(n.id)), 'EC2-style instance ids')
  t.equal((await ce.describe()).computeResources?.desiredvCpus, 4)
  for (const job of jobs) t.equal((await job.describe()).status, 'RUNNING')
  const instanceArns = new Set(await Promise.all(jobs.map(async (j) => (await j.describe()).container.containerInstanceArn)))
  t.equal(instanceArns.size, 2, 'the jobs run on the launched instances')
})

t.test('managed: never above maxvCpus; the rest waits RUNNABLE', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.maxVcpus(4).instanceTypes('m5'))
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(10).env(sim(10)).submit()
  let most = 0
  for (let round = 0; round < 3; round++) {
    await settle(cloud)
    const nodes = await ce.nodes()
    most = Math.max(most, vcpusOf(nodes))
    t.ok(vcpusOf(nodes) <= 4, `round ${round}: ${vcpusOf(nodes)} vCPUs of instances`)
    const summary = (await job.describe()).arrayProperties?.statusSummary
    t.equal(summary?.RUNNING, round < 2 ? 4 : 2, 'four at a time')
    await cloud.clock.advance(10_000)
  }
  t.equal(most, 4, 'up to the maximum')
  t.equal((await job.wait()).status, 'SUCCEEDED')
})

t.test('managed: a job bigger than the maximum is refused at submit, not left RUNNABLE', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await managed(cloud, (b) => b.maxVcpus(4).instanceTypes('m5'))
  await t.rejects(cloud.batch.job('big').queue(queue).definition(def).vcpus(8).submit(), { code: 'ClientException', kind: 'LimitExceeded', field: 'resources' })
  await t.rejects(cloud.batch.job('fat').queue(queue).definition(def).memory(400_000).submit(), { code: 'ClientException', kind: 'LimitExceeded', field: 'resources' })
})

t.test('managed: idle instances are removed after the idle time, down to minvCpus', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.minVcpus(2).maxVcpus(16).instanceTypes('m5.large'))
  t.same((await ce.nodes()).map((n) => n.instanceType), ['m5.large'], 'minvCpus: launched at creation')
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(8).env(sim(30)).submit()
  await settle(cloud)
  t.equal(vcpusOf(await ce.nodes()), 8)
  t.equal((await ce.describe()).computeResources?.desiredvCpus, 8)
  await cloud.clock.advance(30_000)
  t.equal((await job.wait()).status, 'SUCCEEDED')
  await cloud.clock.advance(IDLE - 1)
  t.equal(vcpusOf(await ce.nodes()), 8, 'idle, but not for long enough')
  await cloud.clock.advance(1)
  t.equal(vcpusOf(await ce.nodes()), 2, 'down to minvCpus')
  t.equal((await ce.describe()).computeResources?.desiredvCpus, 2)
  await cloud.clock.advance(24 * 3_600_000)
  t.equal(vcpusOf(await ce.nodes()), 2, 'never below')
})

t.test('managed: an instance that gets work again is not removed', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.minVcpus(0).maxVcpus(2).instanceTypes('m5.large'))
  await cloud.batch.job('a').queue(queue).definition(def).env(sim(10)).submit()
  await cloud.clock.advance(10_000)
  const [node] = await ce.nodes()
  await cloud.clock.advance(IDLE - 1000)
  const b = await cloud.batch.job('b').queue(queue).definition(def).env(sim(IDLE / 1000)).submit()
  await cloud.clock.advance(IDLE - 1000)
  t.equal((await b.describe()).status, 'RUNNING')
  t.same((await ce.nodes()).map((n) => n.id), [node.id], 'the same instance, still there')
  await cloud.clock.advance(1000 + IDLE)
  t.same(await ce.nodes(), [], 'removed once idle for the idle time (minvCpus 0)')
})

t.test('managed: desiredvCpus set by an update launches capacity, which scales in when idle', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce } = await managed(cloud, (b) => b.minVcpus(0).maxVcpus(16).instanceTypes('c5.large'))
  const detail = await ce.update({ desiredVcpus: 6 })
  t.equal(detail.computeResources?.desiredvCpus, 6)
  t.same((await ce.nodes()).map((n) => n.instanceType), ['c5.large', 'c5.large', 'c5.large'])
  await cloud.clock.advance(IDLE)
  t.same(await ce.nodes(), [])
  t.equal((await ce.describe()).computeResources?.desiredvCpus, 0)
  await t.rejects(ce.update({ desiredVcpus: 17 }), { code: 'ClientException', kind: 'InvalidArgument', field: 'computeResources.desiredvCpus', limit: 16 })
  await t.rejects(ce.update({ minVcpus: 20 }), { code: 'ClientException', kind: 'InvalidArgument', field: 'computeResources.minvCpus' })
})

t.test('managed: BEST_FIT launches one type for all; BEST_FIT_PROGRESSIVE may add cheaper types', async (t) => {
  // A needs an r5.large (16 GiB); B fits the cheaper c5.large. BEST_FIT picks one type that holds both
  // kinds of job (r5.large) for everything; BEST_FIT_PROGRESSIVE adds a c5.large for B.
  const launched = async (strategy: 'BEST_FIT' | 'BEST_FIT_PROGRESSIVE') => {
    await using cloud = await simulatedCloud()
    const { ce, queue, def } = await managed(cloud, (b) => b.maxVcpus(16).instanceTypes('c5.large', 'r5.large').allocationStrategy(strategy))
    t.equal((await ce.describe()).computeResources?.allocationStrategy, strategy)
    await cloud.batch.job('a').queue(queue).definition(def).vcpus(2).memory(15_000).env(sim(10)).submit()
    await cloud.batch.job('b').queue(queue).definition(def).vcpus(1).memory(1000).env(sim(10)).submit()
    await settle(cloud)
    t.equal((await cloud.batch.listJobs({ queue })).length, 2, `${strategy}: both run`)
    return (await ce.nodes()).map((n) => n.instanceType).sort()
  }
  t.same(await launched('BEST_FIT'), ['r5.large', 'r5.large'])
  t.same(await launched('BEST_FIT_PROGRESSIVE'), ['c5.large', 'r5.large'])
})

t.test('managed: the cheapest type that fits; GPUs from a GPU family', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.maxVcpus(64).instanceTypes('optimal', 'g4dn'))
  await cloud.batch.job('cpu').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  t.same((await ce.nodes()).map((n) => n.instanceType), ['c5.large'], 'c5 is the cheapest per vCPU of "optimal"')
  const gpu = await cloud.batch.job('gpu').queue(queue).definition(def).gpus(1).env(sim(10)).submit()
  await settle(cloud)
  t.same((await ce.nodes()).map((n) => n.instanceType).sort(), ['c5.large', 'g4dn.xlarge'])
  t.equal((await gpu.describe()).status, 'RUNNING')
  t.match((await gpu.describe()).container.resourceRequirements, [{ type: 'VCPU' }, { type: 'MEMORY' }, { type: 'GPU', value: '1' }])
})

t.test('unmanaged: jobs run only on registered nodes', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(2).memory(2048).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).env(sim(10)).submit()
  await cloud.clock.advance(3_600_000)
  t.equal((await job.describe()).status, 'RUNNABLE', 'no node: waits')
  t.same(await ce.nodes(), [], 'nothing launched for an unmanaged environment')
  const small = await ce.registerNode({ vcpus: 1, memory: 8192, id: 'small' })
  await cloud.clock.advance(60_000)
  t.equal((await job.describe()).status, 'RUNNABLE', 'a node too small for it')
  await ce.registerNode({ vcpus: 4, memory: 8192, id: 'big' })
  await settle(cloud)
  const d = await job.describe()
  t.equal(d.status, 'RUNNING')
  t.match(d.container.containerInstanceArn, /\/big$/)
  await t.rejects(ce.deregisterNode('big'), { code: 'ClientException', field: 'nodeId' }, 'a node that runs a job stays')
  await ce.deregisterNode(small.id)
  t.same((await ce.nodes()).map((n) => n.id), ['big'])
  await t.rejects(ce.registerNode({ vcpus: 0, memory: 8 }), { code: 'ClientException', field: 'vcpus' })
  await t.rejects(ce.registerNode({ vcpus: 1, memory: 8, id: 'big' }), { code: 'ClientException', kind: 'Conflict', field: 'id' })
  await t.rejects(ce.update({ maxVcpus: 4 }), { code: 'ClientException', field: 'computeResources' })
})

t.test('a disabled environment does not dispatch; a disabled queue takes no new jobs, and what it holds still runs (as on AWS)', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().disabled().create()
  await ce.registerNode({ vcpus: 4, memory: 4096 })
  t.equal((await ce.describe()).state, 'DISABLED')
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  const a = await cloud.batch.job('a').queue(queue).definition(def).env(sim(10)).submit()
  // b needs the whole node: it waits for a.
  const b = await cloud.batch.job('b').queue(queue).definition(def).vcpus(4).env(sim(10)).submit()
  await cloud.clock.advance(60_000)
  t.equal((await a.describe()).status, 'RUNNABLE', 'environment disabled')
  await ce.enable()
  await settle(cloud)
  t.equal((await a.describe()).status, 'RUNNING')
  t.equal((await b.describe()).status, 'RUNNABLE')
  await queue.disable()
  t.equal((await queue.describe()).state, 'DISABLED')
  // AWS: "If the job queue state is DISABLED, new jobs can't be added to the queue, but jobs already in the queue can finish."
  await t.rejects(cloud.batch.job('c').queue(queue).definition(def).env(sim(10)).submit(), { code: 'ClientException', kind: 'InvalidArgument', field: 'jobQueue' })
  await cloud.clock.advance(10_000)
  t.equal((await a.describe()).status, 'SUCCEEDED', 'what ran before finishes')
  await settle(cloud)
  t.equal((await b.describe()).status, 'RUNNING', 'what the queue held still runs')
  await queue.enable()
  const c = await cloud.batch.job('c').queue(queue).definition(def).env(sim(10)).submit()
  t.ok(c.id, 'enabled again: it takes jobs')
  // Disabling the environment does not stop what runs on it.
  await ce.disable()
  await cloud.clock.advance(10_000)
  t.equal((await b.describe()).status, 'SUCCEEDED')
})

t.test('one environment serves several queues', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('shared').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 4096, id: 'n' })
  const q1 = await cloud.batch.jobQueue('q1').priority(1).computeEnvironments(ce).create()
  const q2 = await cloud.batch.jobQueue('q2').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  const a = await cloud.batch.job('a').queue(q1).definition(def).env(sim(10)).submit()
  const b = await cloud.batch.job('b').queue(q2).definition(def).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await a.describe()).status, 'RUNNING')
  t.equal((await b.describe()).status, 'RUNNING')
  t.equal((await ce.describe()).status, 'VALID')
  t.match((await q2.describe()).computeEnvironmentOrder, [{ order: 1, computeEnvironment: ce.arn }])
})

t.test('a queue tries its environments in order (up to 3)', async (t) => {
  await using cloud = await simulatedCloud()
  const ces = []
  for (const name of ['first', 'second', 'third', 'fourth']) {
    const ce = await cloud.batch.computeEnvironment(name).unmanaged().create()
    await ce.registerNode({ vcpus: 1, memory: 1024, id: `${name}-node` })
    ces.push(ce)
  }
  await t.rejects(cloud.batch.jobQueue('four').priority(1).computeEnvironments(...ces).create(),
    { code: 'ClientException', kind: 'LimitExceeded', field: 'computeEnvironmentOrder', limit: 3 })
  t.same((await cloud.batch.service.describeJobQueues({ jobQueues: ['four'] })).jobQueues, [], 'nothing stored')
  // Listed third, second, first: that is the order they are tried in.
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ces[2], ces[1], ces[0]).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).register()
  const jobs = []
  for (let i = 0; i < 3; i++) {
    jobs.push(await cloud.batch.job(`j${i}`).queue(queue).definition(def).env(sim(10)).submit())
    await settle(cloud)
  }
  const nodes = await Promise.all(jobs.map(async (j) => (await j.describe()).container.containerInstanceArn?.split('/').at(-1)))
  t.same(nodes, ['third-node', 'second-node', 'first-node'])
  const extra = await cloud.batch.job('extra').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await extra.describe()).status, 'RUNNABLE', 'all three full; the fourth environment is not the queue\'s')
})

t.test('a job too big for the first environment runs in the next', async (t) => {
  await using cloud = await simulatedCloud()
  const small = await cloud.batch.computeEnvironment('small').managed().maxVcpus(2).instanceTypes('m5.large').create()
  const large = await cloud.batch.computeEnvironment('large').managed().maxVcpus(32).instanceTypes('m5.4xlarge').create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(small, large).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(8).memory(1024).register()
  const job = await cloud.batch.job('j').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING')
  t.same(await small.nodes(), [])
  t.same((await large.nodes()).map((n) => n.instanceType), ['m5.4xlarge'])
})

t.test('status: CREATING until usable, VALID, DELETING before it goes', async (t) => {
  await using cloud = await simulatedCloud()
  const service = cloud.batch.service
  const describe = async (name: string) => (await service.describeComputeEnvironments({ computeEnvironments: [name] })).computeEnvironments
  const created = await service.createComputeEnvironment({ computeEnvironmentName: 'ce', type: 'UNMANAGED' })
  t.same(created, { computeEnvironmentName: 'ce', computeEnvironmentArn: (await describe('ce'))[0].computeEnvironmentArn }, 'CreateComputeEnvironment answers its name and ARN, as on AWS')
  t.equal((await describe('ce'))[0].status, 'CREATING')
  await settle(cloud)
  t.match((await describe('ce'))[0], { status: 'VALID', state: 'ENABLED', type: 'UNMANAGED' })
  const ce = cloud.batch.computeEnvironment('other').unmanaged()
  const handle = await ce.create()
  t.equal((await handle.describe()).status, 'VALID', 'the SDK resolves create() once it is VALID')
  await t.rejects(service.deleteComputeEnvironment({ computeEnvironment: 'other' }), { code: 'ClientException', field: 'computeEnvironment' }, 'ENABLED: cannot be deleted')
  await handle.disable()
  await service.deleteComputeEnvironment({ computeEnvironment: 'other' })
  t.equal((await describe('other'))[0].status, 'DELETING')
  await settle(cloud)
  t.same(await describe('other'), [])
})

t.test('managed: an idle instance of the wrong type is removed on demand to make room for a waiting job', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await managed(cloud, (b) => b.minVcpus(0).maxVcpus(4).instanceTypes('c5.large', 'r5.xlarge'))
  const small = await cloud.batch.job('small').queue(queue).definition(def).vcpus(1).memory(1000).env(sim(10)).submit()
  await settle(cloud)
  t.same((await ce.nodes()).map((n) => n.instanceType), ['c5.large'])
  // 4 vCPUs and 20 GiB: only an r5.xlarge holds it, and with the c5.large there is no room for one under maxvCpus.
  const big = await cloud.batch.job('big').queue(queue).definition(def).vcpus(4).memory(20_000).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await big.describe()).status, 'RUNNABLE', 'the busy c5.large holds the room under maxvCpus')
  await cloud.clock.advance(10_000)
  t.equal((await small.wait()).status, 'SUCCEEDED')
  await settle(cloud)
  // No wait for the idle time: the c5.large, idle and useless to the waiting job, goes at once.
  t.same((await ce.nodes()).map((n) => n.instanceType), ['r5.xlarge'], 'the c5.large went, an r5.xlarge came')
  t.equal((await big.describe()).status, 'RUNNING')
  t.ok((await ce.describe()).computeResources!.desiredvCpus <= 4, 'never above maxvCpus')
})

t.test('managed, random load over two queues: never above maxvCpus, no instance overcommitted, every job runs', async (t) => {
  for (const strategy of ['BEST_FIT', 'BEST_FIT_PROGRESSIVE'] as const) {
    await using cloud = await simulatedCloud()
    const { ce, queue, def } = await managed(cloud, (b) => b.minVcpus(0).maxVcpus(16).instanceTypes('c5', 'm5.large', 'r5.xlarge').allocationStrategy(strategy))
    const other = await cloud.batch.jobQueue('other').priority(5).computeEnvironments(ce).create()
    let seed = 7919 // a fixed seed: the same jobs every run
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]
    const jobs = []
    for (let i = 0; i < 40; i++) {
      jobs.push(await cloud.batch.job(`j${i}`).queue(random() < 0.5 ? queue : other).definition(def)
        .vcpus(pick([0.5, 1, 2, 4])).memory(pick([256, 1024, 4096, 12_000])).env(sim(10 + Math.floor(random() * 50))).submit())
    }
    let unfinished = jobs.length
    for (let step = 0; step < 500 && unfinished > 0; step++) {
      await settle(cloud)
      const nodes = await ce.nodes()
      const vcpus = vcpusOf(nodes)
      if (vcpus > 16) t.fail(`${strategy}: ${vcpus} vCPUs of instances, above maxvCpus`)
      for (const n of nodes) if (n.usedCpu > n.totalCpu || n.usedMemory > n.totalMemory) t.fail(`${strategy}: ${n.instanceType} overcommitted`)
      await cloud.clock.advance(10_000)
      unfinished = (await Promise.all(jobs.map((j) => j.status()))).filter((s) => s !== 'SUCCEEDED').length
    }
    t.equal(unfinished, 0, `${strategy}: every job ran to the end`)
    await cloud.clock.advance(IDLE)
    t.same(await ce.nodes(), [], `${strategy}: then every instance went`)
  }
})

t.test('managed: INVALID when no allowed instance type fits under maxvCpus; VALID again once it does', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('tiny').managed().maxVcpus(1).instanceTypes('m5.large').create()
  const detail = await ce.describe()
  t.equal(detail.status, 'INVALID')
  t.match(detail.statusReason, /maxvCpus 1 is below the 2 vCPUs/)
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
  await t.rejects(cloud.batch.job('j').queue(queue).definition(def).submit(), { code: 'ClientException', field: 'resources' }, 'an INVALID environment can hold nothing')
  await ce.update({ maxVcpus: 2 })
  t.equal((await ce.describe()).status, 'VALID')
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  await settle(cloud)
  t.equal((await job.wait()).status, 'SUCCEEDED')
})
