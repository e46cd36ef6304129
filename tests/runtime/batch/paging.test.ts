// The Batch operations page as AWS's do: maxResults and an opaque nextToken
// that resumes after the last item of the previous page (every item once, even
// while items come and go), refused when it was tampered with, issued for
// another query, or expired.
import t from 'tap'
import { oneNode, sim, simulatedCloud } from './fixtures.js'

t.test('DescribeComputeEnvironments, DescribeJobQueues and DescribeJobDefinitions page with nextToken', async (t) => {
  await using cloud = await simulatedCloud()
  const svc = cloud.batch.service
  for (let i = 0; i < 5; i++) {
    const ce = await cloud.batch.computeEnvironment(`ce${i}`).unmanaged().create()
    await cloud.batch.jobQueue(`q${i}`).priority(1).computeEnvironments(ce).create()
    await cloud.batch.jobDefinition('d').command('true').register()
  }
  const pages = async <T>(call: (token?: string) => Promise<{ items: T[]; nextToken?: string }>) => {
    const out: T[][] = []
    let token: string | undefined
    do {
      const page = await call(token)
      out.push(page.items)
      token = page.nextToken
    } while (token !== undefined)
    return out
  }
  t.same(await pages(async (nextToken) => {
    const r = await svc.describeComputeEnvironments({ maxResults: 2, ...(nextToken ? { nextToken } : {}) })
    return { items: r.computeEnvironments.map((c) => c.computeEnvironmentName), nextToken: r.nextToken }
  }), [['ce0', 'ce1'], ['ce2', 'ce3'], ['ce4']])
  t.same(await pages(async (nextToken) => {
    const r = await svc.describeJobQueues({ maxResults: 3, ...(nextToken ? { nextToken } : {}) })
    return { items: r.jobQueues.map((q) => q.jobQueueName), nextToken: r.nextToken }
  }), [['q0', 'q1', 'q2'], ['q3', 'q4']])
  t.same(await pages(async (nextToken) => {
    const r = await svc.describeJobDefinitions({ jobDefinitionName: 'd', maxResults: 2, ...(nextToken ? { nextToken } : {}) })
    return { items: r.jobDefinitions.map((d) => d.revision), nextToken: r.nextToken }
  }), [[1, 2], [3, 4], [5]])
  await t.rejects(svc.describeComputeEnvironments({ maxResults: 101 }), { code: 'ClientException', field: 'maxResults', limit: 100 })
  await t.rejects(svc.describeJobQueues({ maxResults: 0 }), { code: 'ClientException', field: 'maxResults', limit: 1 })
})

t.test('ListJobs pages up to 1,000 jobs, and 100 with filters, as AWS does', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const svc = cloud.batch.service
  await t.rejects(svc.listJobs({ jobQueue: queue.name, maxResults: 1001 }), { code: 'ClientException', field: 'maxResults', limit: 1000 })
  await t.rejects(svc.listJobs({ jobQueue: queue.name, maxResults: 101, filters: [{ name: 'JOB_NAME', values: ['x*'] }] }), { code: 'ClientException', field: 'maxResults', limit: 100 })
  await t.rejects(svc.listJobs({ jobQueue: 42 as unknown as string }), { code: 'ClientException', field: 'jobQueue' })
  await t.rejects(svc.listJobs({ jobQueue: queue.name, filters: [{ name: 'COLOUR' as 'JOB_NAME', values: ['x'] }] }), { code: 'ClientException', field: 'filters[0].name' })
})

t.test('ListJobs pages every job once while jobs are added between pages', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 1 })
  const svc = cloud.batch.service
  // One runs; the others wait RUNNABLE (one node of 1 vCPU).
  const submitted: string[] = []
  for (let i = 0; i < 12; i++) submitted.push((await cloud.batch.job(`j${i}`).queue(queue).definition(def).env(sim(100)).submit()).id)
  await cloud.clock.advance(0)
  const seen: string[] = []
  let nextToken: string | undefined
  let added = false
  let gone: string | undefined
  do {
    const page = await svc.listJobs({ jobQueue: queue.name, jobStatus: 'RUNNABLE', maxResults: 4, ...(nextToken ? { nextToken } : {}) })
    t.ok(page.jobSummaryList.length <= 4)
    seen.push(...page.jobSummaryList.map((s) => s.jobId))
    nextToken = page.nextToken
    if (!added) {
      added = true
      // Between pages: a job comes, and one not yet listed goes (cancelled: no longer RUNNABLE).
      await cloud.batch.job('late').queue(queue).definition(def).env(sim(100)).submit()
      gone = submitted.slice(1).find((id) => !seen.includes(id))
      await cloud.batch.service.cancelJob({ jobId: gone!, reason: 'gone between pages' })
      await cloud.clock.advance(0)
    }
  } while (nextToken !== undefined)
  t.equal(new Set(seen).size, seen.length, 'no job twice')
  for (const id of submitted.slice(1)) if (id !== gone) t.ok(seen.includes(id), `${id} listed`)
  t.notOk(seen.includes(gone!), 'the job that left the status is not listed')
})

t.test('a token is bound to its query, tamper-checked and expiring', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 1 })
  const svc = cloud.batch.service
  for (let i = 0; i < 3; i++) await cloud.batch.job(`j${i}`).queue(queue).definition(def).env(sim(100 * 3600)).submit()
  await cloud.clock.advance(0)
  const { nextToken } = await svc.listJobs({ jobQueue: queue.name, jobStatus: 'RUNNABLE', maxResults: 1 })
  t.type(nextToken, 'string')
  await t.rejects(svc.listJobs({ jobQueue: queue.name, jobStatus: 'RUNNING', maxResults: 1, nextToken }), { code: 'ClientException', field: 'nextToken' }, 'another query')
  await t.rejects(svc.listJobs({ jobQueue: queue.name, jobStatus: 'RUNNABLE', nextToken: `${nextToken}x` }), { code: 'ClientException', field: 'nextToken' }, 'tampered')
  await t.rejects(svc.describeJobQueues({ nextToken }), { code: 'ClientException', field: 'nextToken' }, 'another operation')
  await cloud.clock.advance(25 * 3_600_000)
  await t.rejects(svc.listJobs({ jobQueue: queue.name, jobStatus: 'RUNNABLE', maxResults: 1, nextToken }), { code: 'ClientException', field: 'nextToken', message: /expired/ })
})
