// Every state change after submission emits an EventBridge "Batch Job State
// Change" event (source aws.batch, detail = the job's detail, resources =
// [jobArn]) to the subscribers whose pattern matches it.
import t from 'tap'
import { oneNode, recordEvents, settle, sim, simulatedCloud, statusesOf } from './fixtures.js'

t.test('the event has EventBridge\'s shape and the job\'s detail at the time of the change', async (t) => {
  const start = Date.UTC(2030, 0, 1, 12, 0, 0)
  await using cloud = await simulatedCloud({ startTime: start, accountId: '123456789012', region: 'eu-west-1' })
  const { queue, def } = await oneNode(cloud)
  const events = recordEvents(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(def).env(sim(90)).submit()
  await settle(cloud)
  const running = events.find((e) => e.detail.status === 'RUNNING')!
  const { stratus: _seq, ...runningDetail } = running.detail as typeof running.detail & { stratus: unknown }
  t.same(runningDetail, await job.describe(), 'the detail is what DescribeJobs says (and Stratus\'s sequence)')
  await cloud.clock.advance(90_000)
  const final = await job.wait()
  await settle(cloud)
  const last = events.at(-1)!
  t.match(last, {
    version: '0',
    'detail-type': 'Batch Job State Change',
    source: 'aws.batch',
    account: '123456789012',
    region: 'eu-west-1',
    resources: [job.arn],
    time: '2030-01-01T12:01:30Z'
  })
  t.match(job.arn, /^arn:aws:batch:eu-west-1:123456789012:job\//)
  t.match(last.id, /^[0-9a-f-]{36}$/)
  const { stratus: _s, ...lastDetail } = last.detail as typeof last.detail & { stratus: unknown }
  t.same(lastDetail, final)
  t.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids are unique')
})

t.test('each event of a job carries stratus.sequence, growing with every change: a consumer orders and dedupes by it', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const events = recordEvents(cloud)
  const job = await cloud.batch.job('seq').queue(queue).definition(def).retry({ attempts: 2 }).env(sim(10, 1)).submit()
  await cloud.clock.advance(30_000)
  await job.wait()
  await settle(cloud)
  const sequences = events.filter((e) => e.detail.jobId === job.id).map((e) => (e.detail as unknown as { stratus: { sequence: number } }).stratus.sequence)
  t.ok(sequences.length >= 6, 'every change has one')
  t.ok(sequences.every((s, i) => i === 0 || s > sequences[i - 1]), `strictly increasing: ${sequences.join(' ')}`)
})

t.test('stratus.sequence tied for array children (PENDING and RUNNABLE shared a number)', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const events = recordEvents(cloud)
  const array = await cloud.batch.job('arr').queue(queue).definition(def).array(6).retry({ attempts: 2 }).env(sim(3, 1)).submit()
  const single = await cloud.batch.job('s').queue(queue).definition(def).env(sim(1)).submit()
  const dependent = await cloud.batch.job('d').queue(queue).definition(def).dependsOn(single).env(sim(1)).submit()
  await cloud.clock.advance(60_000)
  await array.wait()
  await dependent.wait()
  await settle(cloud)
  const byJob = new Map<string, Array<{ status: string; sequence: number }>>()
  for (const e of events) {
    const d = e.detail as unknown as { jobId: string; status: string; stratus: { sequence: number } }
    byJob.set(d.jobId, [...(byJob.get(d.jobId) ?? []), { status: d.status, sequence: d.stratus.sequence }])
  }
  t.equal(byJob.size, 9, 'the parent, its 6 children, the single job and its dependant')
  for (const [id, list] of byJob) {
    if (id.includes(':')) t.ok(list.some((e) => e.status === 'RUNNABLE'), `${id}: has its RUNNABLE event`)
    t.ok(list.every((e, i) => i === 0 || e.sequence > list[i - 1].sequence), `${id}: strictly increasing ${list.map((e) => `${e.status}:${e.sequence}`).join(' ')}`)
  }
})

t.test('one event per state change after submission, in order', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const events = recordEvents(cloud)
  const a = await cloud.batch.job('a').queue(queue).definition(def).retry({ attempts: 2 }).env(sim(10, 1)).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).dependsOn(a).submit()
  await cloud.clock.advance(20_000)
  await b.wait()
  await settle(cloud)
  t.same(statusesOf(events, a.id), ['RUNNABLE', 'STARTING', 'RUNNING', 'RUNNABLE', 'STARTING', 'RUNNING', 'FAILED'])
  t.same(statusesOf(events, b.id), ['PENDING', 'FAILED'])
  t.notOk(events.some((e) => e.detail.status === 'SUBMITTED'), 'submission itself is not a state change')
})

t.test('array jobs: events for the parent and for each child', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 2 })
  const events = recordEvents(cloud)
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(2).env(sim(10)).submit()
  await cloud.clock.advance(10_000)
  await job.wait()
  await settle(cloud)
  t.same(statusesOf(events, job.id), ['PENDING', 'SUCCEEDED'])
  for (const i of [0, 1]) {
    const childEvents = events.filter((e) => e.detail.jobId === `${job.id}:${i}`)
    t.same(childEvents.map((e) => e.detail.status), ['PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'])
    t.ok(childEvents.every((e) => e.resources[0] === `${job.arn}:${i}` && e.detail.arrayProperties?.index === i))
  }
  const parentDone = events.find((e) => e.detail.jobId === job.id && e.detail.status === 'SUCCEEDED')!
  t.equal(parentDone.detail.arrayProperties?.statusSummary?.SUCCEEDED, 2)
})

t.test('patterns filter what a subscriber receives; unsubscribe stops delivery', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const other = await cloud.batch.jobQueue('other').priority(1).computeEnvironments('own').create()
  const failed = recordEvents(cloud, { source: ['aws.batch'], 'detail-type': ['Batch Job State Change'], detail: { status: ['FAILED'] } })
  const byQueue = recordEvents(cloud, { detail: { jobQueue: [other.arn], status: ['SUCCEEDED'] } })
  const byName = recordEvents(cloud, { detail: { jobName: [{ prefix: 'nightly-' }], status: [{ 'anything-but': ['RUNNABLE', 'STARTING'] }] } })
  const wrongSource = recordEvents(cloud, { source: ['aws.ecs'] })
  const ok = await cloud.batch.job('nightly-ok').queue(queue).definition(def).env(sim(10)).submit()
  const bad = await cloud.batch.job('bad').queue(queue).definition(def).env(sim(10, 1)).submit()
  const elsewhere = await cloud.batch.job('elsewhere').queue(other).definition(def).env(sim(10)).submit()
  await cloud.clock.advance(10_000)
  await Promise.all([ok.wait(), bad.wait(), elsewhere.wait()])
  await settle(cloud)
  t.same(failed.map((e) => e.detail.jobId), [bad.id])
  t.same(byQueue.map((e) => e.detail.jobId), [elsewhere.id])
  t.same(byName.map((e) => e.detail.status), ['RUNNING', 'SUCCEEDED'])
  t.same(wrongSource, [])

  const seen: string[] = []
  const unsubscribe = cloud.events.subscribe({ source: ['aws.batch'] }, (e) => {
    seen.push((e.detail as { status: string }).status)
  })
  const c = await cloud.batch.job('c').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  unsubscribe()
  await cloud.clock.advance(10_000)
  await c.wait()
  await settle(cloud)
  t.same(seen, ['RUNNABLE', 'STARTING', 'RUNNING'], 'nothing after unsubscribe')
})

t.test('a subscriber that throws does not stop the others or the engine', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  cloud.events.subscribe({ source: ['aws.batch'] }, () => {
    throw new Error('bad handler')
  })
  cloud.events.subscribe({ source: ['aws.batch'] }, async () => {
    throw new Error('bad async handler')
  })
  const events = recordEvents(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(def).submit()
  t.equal((await job.wait()).status, 'SUCCEEDED')
  await settle(cloud)
  t.same(statusesOf(events, job.id), ['RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'])
})

t.test('a bad pattern is refused with the field at fault', async (t) => {
  await using cloud = await simulatedCloud()
  t.throws(() => cloud.events.subscribe({ detail: { status: [] } }, () => {}), { code: 'InvalidEventPattern', field: 'pattern.detail.status' })
  t.throws(() => cloud.events.subscribe({ source: 'aws.batch' } as never, () => {}), { code: 'InvalidEventPattern', field: 'pattern.source' })
})
