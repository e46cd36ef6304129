// DeleteJobQueue, as AWS does it: the queue must be DISABLED; it is DELETING
// at once, what has not started fails, running attempts are stopped, and the
// queue and its jobs are gone once the last of them has ended — and every job
// that ended tells its dependants, in whatever queue they are.
import t from 'tap'
import { oneNode, recordEvents, settle, sim, simulatedCloud, statusesOf } from './fixtures.js'

t.test('regression: deleting a queue with a RUNNING job fails its dependants in other queues (they waited forever)', async (t) => {
  await using cloud = await simulatedCloud()
  const { ce, queue, def } = await oneNode(cloud, { vcpus: 2 })
  const other = await cloud.batch.jobQueue('other').priority(1).computeEnvironments(ce).create()
  const running = await cloud.batch.job('running').queue(queue).definition(def).env(sim(3600)).submit()
  const array = await cloud.batch.job('array').queue(queue).definition(def).array(2).env(sim(3600)).submit()
  await settle(cloud)
  t.equal((await running.describe()).status, 'RUNNING')
  const after = await cloud.batch.job('after').queue(other).definition(def).dependsOn(running).env(sim(1)).submit()
  const pairs = await cloud.batch.job('pairs').queue(other).definition(def).array(2).dependsOn(array, 'N_TO_N').env(sim(1)).submit()
  const events = recordEvents(cloud)
  await queue.delete()
  t.same((await cloud.batch.service.describeJobQueues({ jobQueues: ['q'] })).jobQueues, [], 'the queue is gone once its jobs ended')
  t.same(statusesOf(events, running.id), ['FAILED'], 'the running job was stopped and ended once')
  const d = await after.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, 'Dependent Job failed', 'its dependant in another queue learned of it')
  t.equal((await pairs.wait()).status, 'FAILED', 'N_TO_N dependants too')
})

t.test('DELETING while its jobs end; refused unless DISABLED; a DISABLED or DELETING queue takes no new job', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 1 })
  await cloud.batch.job('a').queue(queue).definition(def).env(sim(3600)).submit()
  const waiting = await cloud.batch.job('b').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  const svc = cloud.batch.service
  await t.rejects(svc.deleteJobQueue({ jobQueue: 'q' }), { code: 'ClientException', field: 'jobQueue', message: /must be DISABLED/ })
  await svc.updateJobQueue({ jobQueue: 'q', state: 'DISABLED' })
  await t.rejects(cloud.batch.job('c').queue(queue).definition(def).submit(), { code: 'ClientException', field: 'jobQueue', message: /DISABLED/ })
  await svc.deleteJobQueue({ jobQueue: 'q' })
  const [deleting] = (await svc.describeJobQueues({ jobQueues: ['q'] })).jobQueues
  t.match(deleting, { status: 'DELETING', state: 'DISABLED' }, 'DELETING at once, as on AWS')
  t.match(await waiting.describe(), { status: 'FAILED', statusReason: 'Job queue deleted', isTerminated: true }, 'what had not started failed at once')
  await t.rejects(cloud.batch.job('c').queue(queue).definition(def).submit(), { code: 'ClientException', field: 'jobQueue', message: /being deleted/ })
  t.same(await svc.deleteJobQueue({ jobQueue: 'q' }), {}, 'deleting a DELETING queue again is accepted…')
  t.equal((await svc.describeJobQueues({ jobQueues: ['q'] })).jobQueues[0]?.status, 'DELETING', '…and changes nothing')
  await svc.waitForJobQueue('q')
  t.same((await svc.describeJobQueues({ jobQueues: ['q'] })).jobQueues, [])
  t.equal(await svc.countJobs(), 0, 'its jobs went with it')
})
