// Why a RUNNABLE job does not start: the plan of the dispatch round that
// passed it over is kept (its pool version, the core's reason and metrics),
// and the SDK shows which dimension ruled out how many nodes. A job too big
// for what its queue can ever launch is refused at submit with the real cap.
import t from 'tap'
import { settle, sim, simulatedCloud } from './fixtures.js'

t.test('a RUNNABLE job that does not start says why: the reason and what filtered how many nodes', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 4, memory: 2048, id: 'small-memory' })
  await ce.registerNode({ vcpus: 1, memory: 65536, id: 'one-cpu' })
  await ce.registerNode({ vcpus: 2, memory: 4096, id: 'both-short' })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
  const fits = await cloud.batch.job('fits').queue(queue).definition(def).env(sim(10)).submit()
  const waits = await cloud.batch.job('waits').queue(queue).definition(def).memory(8192).env(sim(10)).submit()
  await settle(cloud)
  // `fits` took the one-cpu node (bestfit: the least left over); `waits` needs 8 GiB, which only that node has.
  t.match((await fits.describe()).container.containerInstanceArn, /\/one-cpu$/)
  t.equal(await fits.explain(), undefined, 'a job that started has nothing to explain')
  t.equal((await waits.describe()).status, 'RUNNABLE')
  const why = await waits.explain()
  t.match(why, {
    computeEnvironment: 'own',
    reason: 'INSUFFICIENT_MEMORY',
    // The round's plan, as the core counted it: each node once, for the first rule it failed.
    plan: { placed: 1, failed: 1, filtered: { cpu: 1, memory: 2, gpu: 0, constraint: 0, inactive: 0 } },
    // The pool now, for this job's demand: one node has no cpu left, two too little memory.
    nodesNow: { nodes: 3, inactive: 0, cpu: 1, memory: 2, gpu: 0 }
  })
  t.type(why?.poolVersion, 'number')
  t.equal(why?.at, cloud.clock.now())
  // Room that fits arrives: the job starts and the explanation goes.
  await ce.registerNode({ vcpus: 4, memory: 16384, id: 'big' })
  await settle(cloud)
  t.equal((await waits.describe()).status, 'RUNNING')
  t.equal(await waits.explain(), undefined)
})

t.test('an array whose children wait is explained as a whole', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 4096 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
  const array = await cloud.batch.job('a').queue(queue).definition(def).array(5).env(sim(10)).submit()
  await settle(cloud)
  t.match(await array.explain(), { reason: 'INSUFFICIENT_CPU', nodesNow: { nodes: 1, cpu: 1 } }, 'two run, three wait for cpu')
  await cloud.batch.service.cancelJob({ jobId: array.id, reason: 'enough' })
  t.equal(await array.explain(), undefined, 'nothing waits any more: nothing to explain')
})

t.test('regression: a job above a queue\'s maxvCpus is refused naming maxvCpus, not the largest instance of the family', async (t) => {
  await using cloud = await simulatedCloud()
  const ce = await cloud.batch.computeEnvironment('capped').managed().maxVcpus(16).instanceTypes('m5').create()
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('true').vcpus(1).memory(128).register()
  const error = await cloud.batch.job('wide').queue(queue).definition(def).vcpus(64).submit().then(() => undefined, (e: Error) => e)
  t.match(error, { code: 'ClientException', kind: 'LimitExceeded', field: 'resources' })
  t.match(error?.message, /maxvCpus 16/, 'the message names the real cap')
  t.match(error?.message, /m5\.4xlarge \(16 vCPUs/, 'and the largest instance it can launch under it')
  t.notMatch(error?.message, /24xlarge/, 'not an instance it can never launch')
})
