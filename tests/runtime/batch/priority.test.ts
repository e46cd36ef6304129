// Dispatch order: higher-priority queues first, approximately submission order
// within a queue. One node of 1 vCPU runs one job at a time, so the order in
// which jobs start is the order the dispatcher chose.
import t from 'tap'
import type { Job } from '../../../sdk/index.js'
import { recordEvents, settle, sim, simulatedCloud, type Cloud } from './fixtures.js'

async function setUp(cloud: Cloud) {
  const ce = await cloud.batch.computeEnvironment('one').unmanaged().create()
  await ce.registerNode({ vcpus: 1, memory: 1024 })
  const low = await cloud.batch.jobQueue('low').priority(1).computeEnvironments(ce).create()
  const high = await cloud.batch.jobQueue('high').priority(10).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('x').vcpus(1).memory(128).env(sim(10)).register()
  const started = recordEvents(cloud, { source: ['aws.batch'], detail: { status: ['RUNNING'] } })
  // A first job holds the node while the others queue up behind it.
  const blocker = await cloud.batch.job('blocker').queue(low).definition(def).submit()
  await settle(cloud)
  return { ce, low, high, def, blocker, started }
}

const names = (events: ReturnType<typeof recordEvents>) => events.map((e) => e.detail.jobName)

t.test('the higher-priority queue runs first; submission order within each queue', async (t) => {
  await using cloud = await simulatedCloud()
  const { low, high, def, started } = await setUp(cloud)
  for (let i = 1; i <= 3; i++) {
    await cloud.batch.job(`low${i}`).queue(low).definition(def).submit()
    await cloud.batch.job(`high${i}`).queue(high).definition(def).submit()
  }
  await cloud.clock.advance(70_000)
  t.same(names(started), ['blocker', 'high1', 'high2', 'high3', 'low1', 'low2', 'low3'])
})

t.test('submission order within a queue holds across many jobs', async (t) => {
  await using cloud = await simulatedCloud()
  const { low, def, started } = await setUp(cloud)
  const jobs: Job[] = []
  for (let i = 0; i < 8; i++) jobs.push(await cloud.batch.job(`j${i}`).queue(low).definition(def).submit())
  await cloud.clock.advance(90_000)
  t.same(names(started), ['blocker', ...jobs.map((j) => j.name)])
})

t.test('a new priority applies to jobs already waiting', async (t) => {
  await using cloud = await simulatedCloud()
  const { low, high, def, started } = await setUp(cloud)
  await cloud.batch.job('high1').queue(high).definition(def).submit()
  await cloud.batch.job('low1').queue(low).definition(def).submit()
  await low.setPriority(100)
  await cloud.clock.advance(30_000)
  t.same(names(started), ['blocker', 'low1', 'high1'])
})

t.test('a job whose dependency just finished takes its place by submission, not by when it became RUNNABLE', async (t) => {
  await using cloud = await simulatedCloud()
  const { low, def, blocker, started } = await setUp(cloud)
  const early = await cloud.batch.job('early').queue(low).definition(def).dependsOn(blocker).submit()
  await cloud.batch.job('late').queue(low).definition(def).submit()
  await settle(cloud)
  t.equal((await early.describe()).status, 'PENDING')
  await cloud.clock.advance(30_000)
  t.same(names(started), ['blocker', 'early', 'late'])
})
