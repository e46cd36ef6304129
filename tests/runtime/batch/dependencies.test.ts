// dependsOn (up to 20): by job id (waits for the whole job), N_TO_N (child i
// waits for child i), SEQUENTIAL (child i waits for child i-1); a job whose
// dependency fails is FAILED without running ('Dependent Job failed'),
// including cascades.
import t from 'tap'
import type { Job, JobDetail } from '../../../sdk/index.js'
import { oneNode, recordEvents, settle, sim, simulatedCloud, statusesOf } from './fixtures.js'

const DEPENDENT = 'Dependent Job failed'

t.test('by job id: waits for the whole job, then runs', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const a = await cloud.batch.job('a').queue(queue).definition(def).env(sim(10)).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).env(sim(10)).submit()
  const c = await cloud.batch.job('c').queue(queue).definition(def).dependsOn(a).dependsOn(b).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await c.describe()).status, 'PENDING', 'room to run, but two dependencies unfinished')
  t.same((await c.describe()).dependsOn, [{ jobId: a.id }, { jobId: b.id }])
  await cloud.clock.advance(10_000)
  await settle(cloud)
  const d = await c.describe()
  t.equal(d.status, 'RUNNING')
  t.equal(d.startedAt, (await a.describe()).stoppedAt, 'starts when the last dependency stops')
})

t.test('on an array job by id: waits for every child', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const arr = await cloud.batch.job('arr').queue(queue).definition(def).array(3).env(sim(10)).submit()
  const after = await cloud.batch.job('after').queue(queue).definition(def).dependsOn(arr).env(sim(1)).submit()
  await cloud.clock.advance(20_000)
  await settle(cloud)
  t.equal((await arr.describe()).arrayProperties?.statusSummary?.SUCCEEDED, 2)
  t.equal((await after.describe()).status, 'PENDING', 'two of three children done: still waiting')
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await after.describe()).status, 'RUNNING')
})

t.test('a dependency that already succeeded is met at once', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const a = await cloud.batch.job('a').queue(queue).definition(def).submit()
  t.equal((await a.wait()).status, 'SUCCEEDED')
  const b = await cloud.batch.job('b').queue(queue).definition(def).dependsOn(a).submit()
  t.equal((await b.wait()).status, 'SUCCEEDED')
})

t.test('N_TO_N: child i waits for child i only', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 8 })
  const first = await cloud.batch.job('first').queue(queue).definition(def).array(3).env(sim(10)).submit()
  const second = await cloud.batch.job('second').queue(queue).definition(def).array(3).dependsOn(first, 'N_TO_N').env(sim(10)).submit()
  await settle(cloud)
  // Child 1 of `first` ends early: only child 1 of `second` may start.
  await first.child(1).terminate('stop early')
  await settle(cloud)
  t.equal((await first.child(1).describe()).status, 'FAILED')
  t.equal((await second.child(1).describe()).status, 'FAILED', 'its counterpart failed')
  t.equal((await second.child(1).describe()).statusReason, DEPENDENT)
  t.equal((await second.child(0).describe()).status, 'PENDING')
  t.same((await second.child(2).describe()).dependsOn, [{ jobId: `${first.id}:2`, type: 'N_TO_N' }])
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await second.child(0).describe()).status, 'RUNNING', 'counterpart succeeded')
  t.equal((await second.child(2).describe()).status, 'RUNNING')
  await cloud.clock.advance(10_000)
  const d = await second.wait()
  t.equal(d.status, 'FAILED')
  t.same(d.arrayProperties?.statusSummary, { SUBMITTED: 0, PENDING: 0, RUNNABLE: 0, STARTING: 0, RUNNING: 0, SUCCEEDED: 2, FAILED: 1 })
})

t.test('N_TO_N: child i starts as soon as child i of the other job succeeded', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 8 })
  // `first` runs its children one after the other: 0 during [0, 10 s), 1 during [10 s, 20 s).
  const first = await cloud.batch.job('first').queue(queue).definition(def).array(2).sequential().env(sim(10)).submit()
  const second = await cloud.batch.job('second').queue(queue).definition(def).array(2).dependsOn(first, 'N_TO_N').env(sim(100)).submit()
  await settle(cloud)
  t.equal((await second.describe()).arrayProperties?.statusSummary?.PENDING, 2)
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await first.child(1).describe()).status, 'RUNNING')
  t.equal((await second.child(0).describe()).status, 'RUNNING', 'its counterpart succeeded')
  t.equal((await second.child(1).describe()).status, 'PENDING', 'its counterpart still runs')
  await cloud.clock.advance(10_000)
  await settle(cloud)
  t.equal((await second.child(1).describe()).status, 'RUNNING')
})

t.test('SEQUENTIAL: child i waits for child i-1, even with room for all', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 8 })
  const events = recordEvents(cloud, { source: ['aws.batch'], detail: { status: ['RUNNING'] } })
  const t0 = cloud.clock.now()
  const job = await cloud.batch.job('seq').queue(queue).definition(def).array(4).sequential().env(sim(10)).submit()
  await settle(cloud)
  const s = (await job.describe()).arrayProperties?.statusSummary
  t.equal(s?.RUNNING, 1)
  t.equal(s?.PENDING, 3)
  t.same((await job.child(2).describe()).dependsOn, [{ jobId: `${job.id}:1`, type: 'SEQUENTIAL' }])
  t.same((await job.child(0).describe()).dependsOn, [], 'the first child waits for nothing')
  await cloud.clock.advance(40_000)
  const d = await job.wait()
  t.equal(d.status, 'SUCCEEDED')
  for (let i = 0; i < 4; i++) t.equal((await job.child(i).describe()).startedAt, t0 + i * 10_000, `child ${i} started after child ${i - 1}`)
  t.same(events.map((e) => e.detail.jobId), [0, 1, 2, 3].map((i) => `${job.id}:${i}`))
})

t.test('SEQUENTIAL: a failed child fails every later child without running them', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 8 })
  const job = await cloud.batch.job('seq').queue(queue).definition(def).array(4).sequential().env(sim(10, 1)).submit()
  await cloud.clock.advance(10_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  const first = await job.child(0).describe()
  t.equal(first.attempts.length, 1)
  for (let i = 1; i < 4; i++) {
    const c = await job.child(i).describe()
    t.equal(c.status, 'FAILED')
    t.equal(c.statusReason, DEPENDENT)
    t.same(c.attempts, [], `child ${i} never ran`)
  }
})

t.test('a failed dependency fails the job without running it, and the failure cascades', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 4 })
  const events = recordEvents(cloud)
  const a = await cloud.batch.job('a').queue(queue).definition(def).env(sim(10, 2)).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).dependsOn(a).env(sim(10)).submit()
  const c = await cloud.batch.job('c').queue(queue).definition(def).dependsOn(b).env(sim(10)).submit()
  const arr = await cloud.batch.job('arr').queue(queue).definition(def).array(3).dependsOn(c).env(sim(10)).submit()
  await cloud.clock.advance(10_000)
  await settle(cloud)
  for (const job of [b, c]) {
    const d = await job.describe()
    t.equal(d.status, 'FAILED', `${d.jobName} failed`)
    t.equal(d.statusReason, DEPENDENT)
    t.same(d.attempts, [], `${d.jobName} never ran`)
    t.same(statusesOf(events, job.id), ['PENDING', 'FAILED'])
  }
  const parent = await arr.describe()
  t.equal(parent.status, 'FAILED')
  t.equal(parent.statusReason, DEPENDENT, 'an array whose dependency failed says so too')
  t.equal(parent.arrayProperties?.statusSummary?.FAILED, 3)
  t.equal((await arr.child(0).describe()).statusReason, DEPENDENT)
  // A dependency that has already failed: the new job fails at once.
  const late = await cloud.batch.job('late').queue(queue).definition(def).dependsOn(a).submit()
  const d = await late.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, DEPENDENT)
})

t.test('a dependency cancelled before it ran fails its dependants', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const blocker = await cloud.batch.job('blocker').queue(queue).definition(def).env(sim(100)).submit()
  const a = await cloud.batch.job('a').queue(queue).definition(def).env(sim(10)).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).dependsOn(a).env(sim(10)).submit()
  await settle(cloud)
  t.equal((await a.describe()).status, 'RUNNABLE')
  await a.cancel('not needed')
  const d = await b.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, DEPENDENT)
  t.equal((await blocker.describe()).status, 'RUNNING')
})

t.test('up to 20 dependencies are accepted', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 32 })
  let builder = cloud.batch.job('many').queue(queue).definition(def)
  const deps = []
  for (let i = 0; i < 20; i++) deps.push(await cloud.batch.job(`dep${i}`).queue(queue).definition(def).env(sim(10 + i)).submit())
  for (const dep of deps) builder = builder.dependsOn(dep)
  const job = await builder.submit()
  await cloud.clock.advance(28_000)
  await settle(cloud)
  t.equal((await job.describe()).status, 'PENDING', 'the last dependency still runs')
  await cloud.clock.advance(1_000)
  t.equal((await job.wait()).status, 'SUCCEEDED')
})

t.test('random graphs of single and array jobs: every job ends, none before or despite what it depends on', async (t) => {
  for (const start of [1, 2, 3]) {
    await using cloud = await simulatedCloud()
    const { queue, def } = await oneNode(cloud, { vcpus: 3 })
    let seed = start * 104_729 // fixed seeds: the same graphs every run
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    type Node = { job: Job; size?: number; deps: Array<{ on: number; nToN: boolean }>; sequential: boolean }
    const nodes: Node[] = []
    for (let i = 0; i < 25; i++) {
      const size = random() < 0.4 ? 2 + Math.floor(random() * 3) : undefined
      let b = cloud.batch.job(`j${i}`).queue(queue).definition(def)
        .env(sim(1 + Math.floor(random() * 20), random() < 0.15 ? 1 : 0)).retry({ attempts: random() < 0.3 ? 2 : 1 })
      if (size) b = b.array(size)
      const deps: Node['deps'] = []
      for (let k = 0; k < 3 && i > 0; k++) {
        const on = Math.floor(random() * i)
        if (random() >= 0.4 || deps.some((d) => d.on === on)) continue
        const nToN = size !== undefined && nodes[on].size === size && random() < 0.6
        b = b.dependsOn(nodes[on].job, nToN ? 'N_TO_N' : undefined)
        deps.push({ on, nToN })
      }
      const sequential = size !== undefined && random() < 0.3
      if (sequential) b = b.sequential()
      nodes.push({ job: await b.submit(), size, deps, sequential })
      if (random() < 0.3) await cloud.clock.advance(Math.floor(random() * 5000))
      if (random() < 0.05) await nodes[Math.floor(random() * nodes.length)].job.cancel('cancelled')
    }
    const finished = (s: string) => s === 'SUCCEEDED' || s === 'FAILED'
    for (let step = 0; step < 400; step++) {
      await cloud.clock.advance(5_000)
      if ((await Promise.all(nodes.map((n) => n.job.status()))).every(finished)) break
    }
    const details = await Promise.all(nodes.map((n) => n.job.describe()))
    const problems: string[] = []
    const notRun = (d: JobDetail) => d.attempts.length === 0 && d.status === 'FAILED' && !['Dependent Job failed', 'cancelled'].includes(d.statusReason ?? '')
    for (const [i, n] of nodes.entries()) {
      const d = details[i]
      if (!finished(d.status)) problems.push(`j${i} is still ${d.status}`)
      for (const dep of n.deps.filter((x) => !x.nToN)) {
        const on = details[dep.on]
        if (on.status === 'FAILED' && d.status === 'SUCCEEDED') problems.push(`j${i} SUCCEEDED although j${dep.on} FAILED`)
        if (d.startedAt !== undefined && (on.stoppedAt === undefined || d.startedAt < on.stoppedAt)) problems.push(`j${i} started before j${dep.on} stopped`)
      }
      if (n.size === undefined) {
        if (notRun(d)) problems.push(`j${i} FAILED without running, saying ${d.statusReason}`)
        continue
      }
      const summary = d.arrayProperties!.statusSummary!
      if (summary.SUCCEEDED! + summary.FAILED! !== n.size) problems.push(`j${i} children ${JSON.stringify(summary)}`)
      if (d.status !== (summary.FAILED! > 0 ? 'FAILED' : 'SUCCEEDED')) problems.push(`j${i} is ${d.status} with ${JSON.stringify(summary)}`)
      for (let c = 0; c < n.size; c++) {
        const child = await n.job.child(c).describe()
        if (notRun(child)) problems.push(`j${i}:${c} FAILED without running, saying ${child.statusReason}`)
        const before = [...n.deps.filter((x) => x.nToN).map((x) => nodes[x.on].job.child(c)), ...(n.sequential && c > 0 ? [n.job.child(c - 1)] : [])]
        for (const other of before) {
          const o = await other.describe()
          if (o.status === 'FAILED' && child.status === 'SUCCEEDED') problems.push(`${child.jobId} SUCCEEDED although ${o.jobId} FAILED`)
          if (child.startedAt !== undefined && (o.stoppedAt === undefined || child.startedAt < o.stoppedAt)) problems.push(`${child.jobId} started before ${o.jobId} stopped`)
        }
      }
    }
    t.same(problems, [], `graph ${start}`)
  }
})

t.test('regression: an N_TO_N child whose counterpart fails before its array is evaluated ends once (it went FAILED, PENDING, FAILED)', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 2 })
  const events = recordEvents(cloud)
  const a = await cloud.batch.job('a').queue(queue).definition(def).array(2).env(sim(10, 1)).submit()
  let b: Awaited<ReturnType<ReturnType<typeof cloud.batch.job>['submit']>> | undefined
  // b is submitted the moment a:0 fails; a:1 fails at the same instant, before b is evaluated.
  cloud.events.subscribe({ source: ['aws.batch'], detail: { jobId: [`${a.id}:0`], status: ['FAILED'] } }, async () => {
    b ??= await cloud.batch.job('b').queue(queue).definition(def).array(2).dependsOn(a, 'N_TO_N').env(sim(1)).submit()
  })
  await cloud.clock.advance(10_000)
  t.ok(b, 'b was submitted')
  const d = await b!.wait()
  t.equal(d.status, 'FAILED')
  for (const i of [0, 1]) {
    const statuses = statusesOf(events, `${b!.id}:${i}`)
    t.equal(statuses.filter((s) => s === 'FAILED').length, 1, `b:${i} ended once (${statuses.join(' → ')})`)
    t.equal(statuses.at(-1), 'FAILED')
    t.equal((await b!.child(i).describe()).statusReason, 'Dependent Job failed')
  }
})
