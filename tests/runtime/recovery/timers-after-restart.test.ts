// Timers after a restart: an engine started over the store (and data
// directory) of one that went away re-arms every deadline from what is
// persisted — the manual clock itself (never before the time the store last
// saw), retention purges (24 h after the job stopped), idle scale-in (from
// the instance's idleSince), attempt timeouts (on the attempt that replaces
// the lost one), registry tokens (their expiry is in the token) and lifecycle
// policies (from the images' push times) — not from the restart.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '../../../runtime/index.js'
import { HOUR, oneNode, settle, sim, simulatedCloud } from '../batch/fixtures.js'

const START = Date.UTC(2031, 4, 1)
const IDLE = 5 * 60_000

t.test('a manual clock restarted over a store starts no earlier than the time the store last saw', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  await first.clock.advance(3 * 24 * HOUR)
  await first.close()
  const second = await simulatedCloud({ store, startTime: START })
  t.equal(second.clock.now(), START + 3 * 24 * HOUR, 'an earlier startTime gives way to the store\'s time')
  await second.close()
  const third = await simulatedCloud({ store })
  t.ok(third.clock.now() >= START + 3 * 24 * HOUR, 'so does the default (now), when the store is ahead of it')
  await third.close()
  const later = START + 10 * 24 * HOUR
  const fourth = await simulatedCloud({ store, startTime: later })
  t.equal(fourth.clock.now(), later, 'a later startTime is taken as it is')
  await fourth.close()
})

t.test('regression: an engine killed in the middle of an advance restarts at no earlier time than its records hold', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  const { queue, def } = await oneNode(first)
  const job = await first.batch.job('j').queue(queue).definition(def).env(sim(60)).submit()
  // The advance is still running (timers due on the way) when the engine goes: the mark was written before it began.
  const advancing = first.clock.advance(HOUR)
  await first.close()
  await advancing.catch(() => {})
  const second = await simulatedCloud({ store, startTime: START })
  t.equal(second.clock.now(), START + HOUR)
  const d = await (await second.batch.jobById(job.id)).describe()
  for (const time of [d.createdAt, d.startedAt, d.stoppedAt]) if (time !== undefined) t.ok(time <= second.clock.now(), 'no record is ahead of the clock')
  await second.close()
})

t.test('a retention purge is due 24 h after the job stopped, not 24 h after the restart', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  const { queue, def } = await oneNode(first)
  const job = await first.batch.job('done').queue(queue).definition(def).env(sim(60)).submit()
  await first.clock.advance(60_000)
  const stoppedAt = (await job.wait()).stoppedAt!
  await first.clock.advance(20 * HOUR)
  await first.close()
  await using second = await simulatedCloud({ store })
  const due = stoppedAt + 24 * HOUR
  await second.clock.advance(due - second.clock.now() - 1)
  t.equal((await second.batch.describeJobs(job.id)).length, 1, 'kept until 1 ms before its day is up')
  await second.clock.advance(1)
  t.same(await second.batch.describeJobs(job.id), [], 'purged when its day is up')
})

t.test('an idle managed instance is removed the idle time after it went idle, across the restart', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  const ce = await first.batch.computeEnvironment('auto').managed().minVcpus(0).maxVcpus(4).instanceTypes('m5.large').create()
  const queue = await first.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await first.batch.jobDefinition('work').command('true').vcpus(1).memory(128).register()
  const job = await first.batch.job('j').queue(queue).definition(def).env(sim(10)).submit()
  await first.clock.advance(10_000)
  await job.wait()
  const idleSince = first.clock.now()
  t.equal((await ce.nodes()).length, 1, 'an instance was launched for the job')
  await first.clock.advance(IDLE - 60_000)
  await first.close()
  await using second = await simulatedCloud({ store })
  await settle(second)
  t.equal((await second.batch.service.listNodes('auto')).length, 1, 'still there after the restart')
  await second.clock.advance(idleSince + IDLE - second.clock.now() - 1)
  t.equal((await second.batch.service.listNodes('auto')).length, 1, 'idle for 1 ms less than the idle time')
  await second.clock.advance(1)
  t.same(await second.batch.service.listNodes('auto'), [], 'removed when idle for the idle time')
})

t.test('the attempt that replaces one lost with its engine has its own timeout', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  const { queue, def } = await oneNode(first)
  const job = await first.batch.job('slow').queue(queue).definition(def).env(sim(600)).retry({ attempts: 2 }).timeout(60).submit()
  await first.clock.advance(30_000)
  t.equal((await job.describe()).status, 'RUNNING')
  await first.close()
  await using second = await simulatedCloud({ store })
  const handle = await second.batch.jobById(job.id)
  await settle(second)
  const retried = await handle.describe()
  t.equal(retried.attempts[0]?.statusReason, 'Host EC2 (instance ' + retried.attempts[0]?.container?.containerInstanceArn?.split('/').pop() + ') terminated.')
  t.equal(retried.status, 'RUNNING', 'the retry runs')
  await second.clock.advance(60_000)
  const d = await handle.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'Job attempt duration exceeded timeout', 'the second attempt timed out 60 s after it started')
  t.equal(d.attempts.length, 2)
})

t.test('a job terminated just before its engine went away fails with the user\'s reason and is not retried', async (t) => {
  const store = new MemoryStore()
  const first = await simulatedCloud({ store, startTime: START })
  const { queue, def } = await oneNode(first)
  const job = await first.batch.job('stopped').queue(queue).definition(def).env(sim(600, 0, { STRATUS_SIM_IGNORE_SIGTERM: '1' })).retry({ attempts: 3 }).submit()
  await first.clock.advance(1000)
  await first.batch.service.terminateJob({ jobId: job.id, reason: 'enough' })
  await first.close()
  await using second = await simulatedCloud({ store })
  const d = await (await second.batch.jobById(job.id)).wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'enough')
  t.equal(d.attempts.length, 1, 'no retry')
})

t.test('registry: a token issued before the restart is valid until its expiry, and lifecycle rules count from the push', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-timers-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const store = new MemoryStore()
  const options = { store, dataDir, registry: { auth: { enabled: true } } }
  const first = await simulatedCloud({ ...options, startTime: START })
  t.teardown(() => first.close())
  const token = await first.registry.authorizationToken()
  const repo = first.registry.repository('app')
  await repo.create()
  await first.registry.image('app:old').fromScratch().addContent('a', '/a').cmd(['/a']).push()
  await repo.lifecyclePolicy({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }] })
  await first.clock.advance(11 * HOUR)
  await first.close()
  await using second = await simulatedCloud(options)
  const status = async () => (await fetch(`http://${second.registry.endpoint}/v2/`, { headers: { authorization: `Basic ${token.authorizationToken}` } })).status
  t.equal(await status(), 200, 'valid 11 h after it was issued')
  await second.clock.advance(HOUR)
  t.equal(await status(), 401, 'expired 12 h after it was issued')
  t.same((await second.registry.repository('app').images()).map((i) => i.imageTags), [['old']], 'the image is a day old only later')
  await second.clock.advance(12 * HOUR)
  // The registry's periodic evaluation does storage I/O, which an advance does not wait for (no busy probe): an hour at a time, until it has run.
  const deadline = Date.now() + 10_000
  while ((await second.registry.repository('app').images()).length > 0 && Date.now() < deadline) {
    await second.clock.advance(HOUR)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.same(await second.registry.repository('app').images(), [], 'expired by its lifecycle rule, a day after its push')
  t.ok(second.clock.now() - START >= 24 * HOUR, 'not before its day')
})
