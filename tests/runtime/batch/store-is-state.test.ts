// The Store is the state: an engine started over the store of one that
// stopped has everything the first one had — compute environments and their
// instances, queues, definitions, jobs in every state — and carries on:
// waiting work runs, dependencies hold, and an attempt that was running in
// the engine that went away ends with its host (AWS's reason) and the retry
// strategy decides. Every job ends exactly once.
import t from 'tap'
import { MemoryStore } from '../../../runtime/index.js'
import { Stratus } from '../../../sdk/index.js'
import { recordEvents, sim } from './fixtures.js'

t.test('a second engine over the first one\'s store picks up where it stopped', async (t) => {
  const store = new MemoryStore()
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store })
  const ce = await first.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 4096, id: 'node-1' })
  const managed = await first.batch.computeEnvironment('auto').managed().minVcpus(2).maxVcpus(8).instanceTypes('m5.large').create()
  const queue = await first.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await first.batch.jobDefinition('work').command('true').vcpus(1).memory(128).register()
  const retried = await first.batch.job('retried').queue(queue).definition(def).retry({ attempts: 2 }).env(sim(100)).submit()
  const waiting = await first.batch.job('waiting').queue(queue).definition(def).env(sim(10)).submit()
  const after = await first.batch.job('after').queue(queue).definition(def).dependsOn(waiting).env(sim(10)).submit()
  const array = await first.batch.job('array').queue(queue).definition(def).array(3).env(sim(10)).submit()
  await first.clock.advance(50_000)
  t.equal((await retried.describe()).status, 'RUNNING', 'the first engine runs one job…')
  t.equal((await waiting.describe()).status, 'RUNNABLE', '…the others wait for the single node')
  t.equal((await after.describe()).status, 'PENDING')
  const instances = (await managed.nodes()).map((n) => n.id)
  t.equal(instances.length, 1, 'a managed instance (minvCpus 2)')
  const now = first.clock.now()
  await first.close()

  await using second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store, startTime: now })
  const events = recordEvents(second)
  t.same((await second.batch.service.describeComputeEnvironments()).computeEnvironments.map((c) => [c.computeEnvironmentName, c.status]),
    [['auto', 'VALID'], ['own', 'VALID']], 'the environments are there')
  t.same((await second.batch.service.listNodes('auto')).map((n) => n.id), instances, 'with their instances')
  t.same((await second.batch.service.listNodes('own')).map((n) => n.id), ['node-1'])
  t.same((await second.batch.service.describeJobQueues()).jobQueues.map((q) => q.jobQueueName), ['q'])
  t.same((await second.batch.service.describeJobDefinitions()).jobDefinitions.map((d) => d.jobDefinitionArn), [def.arn])
  t.equal(await second.batch.service.countJobs(), 4, 'every job is there')

  const handle = async (id: string) => second.batch.jobById(id)
  await second.clock.advance(0)
  const first1 = await (await handle(retried.id)).describe()
  t.equal(first1.attempts.length, 1, 'the attempt that ran in the engine that went away has ended…')
  t.equal(first1.attempts[0].statusReason, 'Host EC2 (instance node-1) terminated.', '…with its host')
  await second.clock.advance(200_000)
  const ends = await Promise.all([retried, waiting, after, array].map(async (j) => (await handle(j.id)).wait()))
  t.same(ends.map((d) => d.status), ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'], 'the retry strategy retried it; the rest ran')
  t.equal(ends[0].attempts.length, 2)
  t.ok(ends[2].startedAt! >= ends[1].stoppedAt!, 'the dependency still held')
  const terminal = events.filter((e) => ['SUCCEEDED', 'FAILED'].includes((e.detail as { status: string }).status) && !(e.detail as { jobId: string }).jobId.includes(':'))
  t.equal(terminal.length, 4, 'every job ended exactly once')
  const submitted = await second.batch.job('new').queue('q').definition('work').env(sim(1)).submit()
  await second.clock.advance(1000)
  t.equal((await submitted.wait()).status, 'SUCCEEDED', 'and new work runs as usual')
})

t.test('without a retry left, an attempt lost with its engine FAILS with the host\'s reason, never SUCCEEDS', async (t) => {
  const store = new MemoryStore()
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store })
  const ce = await first.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 4096, id: 'node-1' })
  const queue = await first.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await first.batch.jobDefinition('work').command('true').vcpus(1).memory(128).register()
  const job = await first.batch.job('once').queue(queue).definition(def).env(sim(100)).submit()
  await first.clock.advance(1000)
  t.equal((await job.describe()).status, 'RUNNING')
  await first.close()
  await using second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', store })
  const d = await (await second.batch.jobById(job.id)).wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'Host EC2 (instance node-1) terminated.')
  t.equal(d.attempts.length, 1)
  t.same((await second.batch.service.listNodes('own')).map((n) => n.running), [0], 'the node has its room back')
})
