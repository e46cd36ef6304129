// Retry strategies (1-10 attempts, up to 5 evaluateOnExit rules: onExitCode,
// onReason, onStatusReason globs with a trailing *, RETRY/EXIT in any case;
// the first matching rule decides; none → retry) and timeouts
// (attemptDurationSeconds: a job killed for it is FAILED and not retried; the
// timeout restarts with each attempt). Simulated runner, manual clock.
import t from 'tap'
import type { EvaluateOnExit } from '../../../sdk/index.js'
import { oneNode, settle, sim, simulatedCloud, type Cloud } from './fixtures.js'

const TIMEOUT = 'Job attempt duration exceeded timeout'

/** Runs a job failing with `exit` under `rules` (3 attempts) and returns how many attempts it got. */
async function attemptsWith(cloud: Cloud, exit: number, rules: EvaluateOnExit[], attempts = 3): Promise<number> {
  const { queue, def } = await setup(cloud)
  const job = await cloud.batch.job('j').queue(queue).definition(def).retry({ attempts, evaluateOnExit: rules }).env(sim(10, exit)).submit()
  await cloud.clock.advance(10_000 * attempts)
  const d = await job.wait()
  return d.attempts.length
}

const setups = new WeakMap<Cloud, ReturnType<typeof oneNode>>()
function setup(cloud: Cloud) {
  let s = setups.get(cloud)
  if (s === undefined) setups.set(cloud, (s = oneNode(cloud)))
  return s
}

t.test('attempts: a failing job runs `attempts` times, then FAILS', async (t) => {
  await using cloud = await simulatedCloud()
  t.equal(await attemptsWith(cloud, 1, [], 1), 1, 'attempts 1: no retry')
  t.equal(await attemptsWith(cloud, 1, [], 10), 10, 'attempts 10')
})

t.test('a failure to start is retried like any other failure', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  // STRATUS_SIM_EXIT 300 is not an exit code: the simulated runner refuses to start the task.
  const job = await cloud.batch.job('flaky').queue(queue).definition(def).retry({ attempts: 2 }).env({ STRATUS_SIM_EXIT: '300' }).submit()
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.attempts.length, 2, 'a failure to start is retried too')
  t.ok(d.attempts.every((a) => a.statusReason === 'Task failed to start'))
})

t.test('evaluateOnExit: onExitCode, exact and glob', async (t) => {
  await using cloud = await simulatedCloud()
  t.equal(await attemptsWith(cloud, 3, [{ onExitCode: '3', action: 'EXIT' }]), 1, 'exact code → EXIT')
  t.equal(await attemptsWith(cloud, 4, [{ onExitCode: '3', action: 'EXIT' }]), 3, 'no rule matches → retried')
  t.equal(await attemptsWith(cloud, 137, [{ onExitCode: '13*', action: 'EXIT' }]), 1, 'trailing * matches a prefix')
  t.equal(await attemptsWith(cloud, 13, [{ onExitCode: '13*', action: 'EXIT' }]), 1, '* matches nothing too')
  t.equal(await attemptsWith(cloud, 31, [{ onExitCode: '13*', action: 'EXIT' }]), 3)
  t.equal(await attemptsWith(cloud, 2, [{ onExitCode: '*', action: 'EXIT' }]), 1, '* alone matches any exit code')
})

t.test('evaluateOnExit: the first matching rule decides; actions in any case', async (t) => {
  await using cloud = await simulatedCloud()
  t.equal(await attemptsWith(cloud, 3, [{ onExitCode: '3', action: 'RETRY' }, { onExitCode: '*', action: 'EXIT' }]), 3, 'RETRY first')
  t.equal(await attemptsWith(cloud, 4, [{ onExitCode: '3', action: 'RETRY' }, { onExitCode: '*', action: 'EXIT' }]), 1, 'falls to the second rule')
  t.equal(await attemptsWith(cloud, 3, [{ onExitCode: '3', action: 'exit' }]), 1, 'lower-case exit')
  t.equal(await attemptsWith(cloud, 3, [{ onExitCode: '*', action: 'retry' }, { onExitCode: '3', action: 'EXIT' }]), 3, 'lower-case retry, first wins')
})

t.test('evaluateOnExit: onStatusReason and onReason; every condition of a rule must match', async (t) => {
  await using cloud = await simulatedCloud()
  t.equal(await attemptsWith(cloud, 1, [{ onStatusReason: 'Essential container*', action: 'EXIT' }]), 1, 'status reason glob')
  t.equal(await attemptsWith(cloud, 1, [{ onStatusReason: 'Essential container in task exited', action: 'EXIT' }]), 1, 'status reason exact')
  t.equal(await attemptsWith(cloud, 1, [{ onStatusReason: 'Host EC2*', action: 'EXIT' }]), 3)
  t.equal(await attemptsWith(cloud, 1, [{ onReason: '*', action: 'EXIT' }]), 3, 'a normal exit has no reason, so onReason does not match')
  t.equal(await attemptsWith(cloud, 1, [{ onExitCode: '1', onStatusReason: 'Host EC2*', action: 'EXIT' }]), 3, 'one condition fails: the rule does not match')
  t.equal(await attemptsWith(cloud, 1, [{ onExitCode: '1', onStatusReason: 'Essential*', action: 'EXIT' }]), 1)
  // A start failure has the reason CannotStartContainerError: …
  const { queue, def } = await setup(cloud)
  const job = await cloud.batch.job('nostart').queue(queue).definition(def).env({ STRATUS_SIM_EXIT: 'x' })
    .retry({ attempts: 3, evaluateOnExit: [{ onReason: 'CannotStartContainerError:*', action: 'EXIT' }] }).submit()
  t.equal((await job.wait()).attempts.length, 1, 'onReason matches a start failure')
})

t.test('timeout: the attempt is killed, the job FAILED with AWS\'s reason and not retried', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const t0 = cloud.clock.now()
  const job = await cloud.batch.job('slow').queue(queue).definition(def).retry({ attempts: 3 }).timeout(60).env(sim(3600)).submit()
  await cloud.clock.advance(59_999)
  await settle(cloud)
  t.equal((await job.describe()).status, 'RUNNING', 'not yet')
  await cloud.clock.advance(1)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, TIMEOUT)
  t.equal(d.attempts.length, 1, 'not retried, although 3 attempts are allowed')
  t.equal(d.attempts[0].statusReason, TIMEOUT)
  t.equal(d.stoppedAt, t0 + 60_000)
  t.same(d.timeout, { attemptDurationSeconds: 60 })
})

t.test('timeout from the definition; the job-level value overrides it', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud, { vcpus: 2 })
  const def = await cloud.batch.jobDefinition('limited').command('x').vcpus(1).memory(128).timeout(60).register()
  const a = await cloud.batch.job('a').queue(queue).definition(def).env(sim(100)).submit()
  const b = await cloud.batch.job('b').queue(queue).definition(def).timeout(120).env(sim(100)).submit()
  await cloud.clock.advance(100_000)
  t.equal((await a.wait()).statusReason, TIMEOUT)
  const db = await b.wait()
  t.equal(db.status, 'SUCCEEDED', 'its own timeout (120 s) was longer than the work')
})

t.test('the timeout restarts with each attempt of a job that fails on its own', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  // Each attempt fails after 40 s: three attempts take 120 s in all, but none exceeds 60 s.
  const job = await cloud.batch.job('j').queue(queue).definition(def).retry({ attempts: 3 }).timeout(60).env(sim(40, 1)).submit()
  await cloud.clock.advance(120_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.attempts.length, 3)
  t.same(d.attempts.map((a) => a.container.exitCode), [1, 1, 1])
  t.same(d.attempts.map((a) => a.statusReason), Array(3).fill('Essential container in task exited'))
})

t.test('a retried attempt that then exceeds the timeout ends the job', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const t0 = cloud.clock.now()
  const job = await cloud.batch.job('j').queue(queue).definition(def).retry({ attempts: 5 }).timeout(60).env(sim(61, 1)).submit()
  await cloud.clock.advance(10 * 60_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.statusReason, TIMEOUT)
  t.equal(d.attempts.length, 1)
  t.equal(d.stoppedAt, t0 + 60_000)
})

t.test('array children: each child has its own timeout and retries', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud, { vcpus: 2 })
  const job = await cloud.batch.job('arr').queue(queue).definition(def).array(2).retry({ attempts: 3 }).timeout(60).env(sim(90)).submit()
  await cloud.clock.advance(60_000)
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  for (const i of [0, 1]) {
    const c = await job.child(i).describe()
    t.equal(c.statusReason, TIMEOUT)
    t.equal(c.attempts.length, 1)
  }
})
