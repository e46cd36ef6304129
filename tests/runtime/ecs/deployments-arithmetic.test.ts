// The rolling update's arithmetic (deployments.ts planRollout), the DAEMON
// plan (daemon.ts) and the circuit breaker's and backoff's numbers, on their
// own: simulated in a loop where every started task comes up and every stop
// takes effect one step later, checking no step goes below the minimum
// healthy count nor above the maximum.
import t from 'tap'
import { maximumTasks, minimumHealthyTasks, planRollout, type RolloutTask } from '../../../runtime/ecs/deployments.js'
import { backoffDelayMs, circuitTrips, consecutiveFailures, failureThreshold, isFailedTask } from '../../../runtime/ecs/circuit-breaker.js'
import { planDaemon } from '../../../runtime/ecs/daemon.js'
import type { TaskRecord } from '../../../runtime/ecs/records.js'

/** Runs a rollout to completion: each step's starts come up healthy and its stops are STOPPED by the next step. Returns healthy/occupied counts per step. */
function rollout(desired: number, min: number, max: number, oldTasks: number, options: { draining?: number } = {}) {
  let n = 0
  let tasks: RolloutTask[] = Array.from({ length: oldTasks }, (_, i) => ({ id: `old${n++}`, primary: false, phase: 'healthy' as const, stopping: false, draining: false, createdAt: i }))
  if (options.draining !== undefined) tasks = tasks.map((task, i) => ({ ...task, primary: true, draining: i < options.draining! }))
  const healthy: number[] = []
  const occupied: number[] = []
  for (let step = 0; step < 100; step++) {
    const plan = planRollout({ desiredCount: desired, minimumHealthyPercent: min, maximumPercent: max, tasks, startAllowed: true, frozen: false })
    if (plan.steady) return { healthy, occupied, steps: step, tasks }
    // Tasks told to stop last step are now gone; this step's stops start stopping; new tasks come up.
    tasks = tasks.filter((x) => !x.stopping).map((x) => plan.stop.includes(x.id) ? { ...x, stopping: true } : x.phase === 'pending' ? { ...x, phase: 'healthy' as const } : x)
    for (let i = 0; i < plan.start; i++) tasks.push({ id: `new${n++}`, primary: true, phase: 'pending', stopping: false, draining: false, createdAt: 100 + n })
    healthy.push(tasks.filter((x) => !x.stopping && x.phase === 'healthy').length)
    occupied.push(tasks.length)
  }
  throw new Error('rollout did not converge')
}

t.test('the bounds: max rounds down, min rounds up (ECS)', async (t) => {
  t.equal(maximumTasks(3, 150), 4)
  t.equal(minimumHealthyTasks(3, 50), 2)
  t.equal(minimumHealthyTasks(4, 50), 2)
})

t.test('a rolling update never goes below the minimum healthy count nor above the maximum', async (t) => {
  for (const [desired, min, max] of [[3, 100, 200], [4, 50, 100], [4, 50, 200], [6, 100, 150], [1, 0, 100], [5, 0, 200], [10, 90, 110]]) {
    const r = rollout(desired, min, max, desired)
    const floor = minimumHealthyTasks(desired, min)
    t.ok(r.healthy.every((h) => h >= floor), `desired ${desired} min ${min} max ${max}: healthy per step ${r.healthy.join(',')} never below ${floor}`)
    t.ok(r.occupied.every((o) => o <= Math.max(desired, maximumTasks(desired, max))), `occupied per step ${r.occupied.join(',')} within max`)
    t.same(r.tasks.map((x) => x.primary), Array(desired).fill(true), 'ends with the desired count of new tasks only')
  }
})

t.test('100/200 starts all new tasks first, then stops the old ones as the new become healthy', async (t) => {
  const tasks: RolloutTask[] = [0, 1, 2].map((i) => ({ id: `o${i}`, primary: false, phase: 'healthy', stopping: false, draining: false }))
  const first = planRollout({ desiredCount: 3, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: true, frozen: false })
  t.same(first, { start: 3, stop: [], steady: false })
  const withNew: RolloutTask[] = [...tasks, ...[0, 1].map((i) => ({ id: `n${i}`, primary: true, phase: 'healthy' as const, stopping: false, draining: false })), { id: 'n2', primary: true, phase: 'pending', stopping: false, draining: false }]
  const second = planRollout({ desiredCount: 3, minimumHealthyPercent: 100, maximumPercent: 200, tasks: withNew, startAllowed: true, frozen: false })
  t.equal(second.start, 0)
  t.equal(second.stop.length, 2, 'two old ones go: two new ones are healthy')
})

t.test('a task waiting for its health check does not count as healthy', async (t) => {
  const tasks: RolloutTask[] = [
    { id: 'o', primary: false, phase: 'healthy', stopping: false, draining: false },
    { id: 'n', primary: true, phase: 'running', stopping: false, draining: false }
  ]
  const plan = planRollout({ desiredCount: 1, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: true, frozen: false })
  t.same(plan, { start: 0, stop: [], steady: false })
})

t.test('draining: tasks on a DRAINING instance are replaced within the bounds', async (t) => {
  const r = rollout(4, 50, 200, 4, { draining: 2 })
  t.ok(r.healthy.every((h) => h >= 2))
  t.equal(r.tasks.filter((x) => x.draining).length, 0, 'no task is left on the draining instance')
  t.equal(r.tasks.length, 4)
})

t.test('scale-in stops the least advanced, newest tasks; scale-out starts the rest', async (t) => {
  const tasks: RolloutTask[] = [
    { id: 'a', primary: true, phase: 'healthy', stopping: false, draining: false, createdAt: 1 },
    { id: 'b', primary: true, phase: 'healthy', stopping: false, draining: false, createdAt: 2 },
    { id: 'c', primary: true, phase: 'pending', stopping: false, draining: false, createdAt: 0 }
  ]
  t.same(planRollout({ desiredCount: 1, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: true, frozen: false }).stop, ['c', 'b'])
  t.equal(planRollout({ desiredCount: 5, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: true, frozen: false }).start, 2)
  t.equal(planRollout({ desiredCount: 5, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: false, frozen: false }).start, 0, 'the backoff holds starts back')
})

t.test('unhealthy tasks are stopped and replaced; a frozen (FAILED) deployment keeps the old tasks and starts none', async (t) => {
  const tasks: RolloutTask[] = [
    { id: 'u', primary: true, phase: 'unhealthy', stopping: false, draining: false },
    { id: 'h', primary: true, phase: 'healthy', stopping: false, draining: false }
  ]
  const plan = planRollout({ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200, tasks, startAllowed: true, frozen: false })
  t.same(plan.stop, ['u'])
  t.equal(plan.start, 1)
  const old: RolloutTask[] = [{ id: 'o', primary: false, phase: 'healthy', stopping: false, draining: false }]
  t.same(planRollout({ desiredCount: 1, minimumHealthyPercent: 0, maximumPercent: 200, tasks: old, startAllowed: true, frozen: true }), { start: 0, stop: [], steady: false })
})

const task = (fields: Record<string, unknown>): TaskRecord => ({ task: { lastStatus: 'STOPPED', ...fields }, taskId: 'x', clusterName: 'c' })

t.test('circuit breaker: the threshold is 0.5 × desired, clamped to 3–200', async (t) => {
  t.same([1, 2, 6, 7, 10, 399, 400, 1000].map(failureThreshold), [3, 3, 3, 4, 5, 200, 200, 200])
  t.notOk(circuitTrips(2, 1))
  t.ok(circuitTrips(3, 1))
  t.ok(circuitTrips(5, 10))
  t.notOk(circuitTrips(4, 10))
})

t.test('failed tasks: never RUNNING, unhealthy, or exited at once; not scheduler, user or Spot stops', async (t) => {
  t.ok(isFailedTask(task({ stopCode: 'TaskFailedToStart' })))
  t.ok(isFailedTask(task({ stopCode: 'EssentialContainerExited' })), 'never reached RUNNING')
  t.ok(isFailedTask(task({ stopCode: 'EssentialContainerExited', startedAt: 1000, stoppedAt: 1500 })), 'exited at once')
  t.notOk(isFailedTask(task({ stopCode: 'EssentialContainerExited', startedAt: 1000, stoppedAt: 3_600_000 })), 'ran for an hour')
  t.ok(isFailedTask(task({ stopCode: 'EssentialContainerExited', startedAt: 1000, stoppedAt: 3_600_000, healthStatus: 'UNHEALTHY' })))
  t.notOk(isFailedTask(task({ stopCode: 'ServiceSchedulerInitiated' })))
  t.notOk(isFailedTask(task({ stopCode: 'UserInitiated' })))
  t.notOk(isFailedTask(task({ stopCode: 'SpotInterruption' })))
  t.notOk(isFailedTask({ task: { lastStatus: 'RUNNING' } }))
})

t.test('backoff: the run of failures at the end of the stopped tasks sets the delay, up to 27 minutes', async (t) => {
  const runs = consecutiveFailures([
    task({ stopCode: 'TaskFailedToStart', stoppedAt: 30 }),
    task({ stopCode: 'TaskFailedToStart', stoppedAt: 20 }),
    task({ stopCode: 'ServiceSchedulerInitiated', stoppedAt: 10 }),
    task({ stopCode: 'TaskFailedToStart', stoppedAt: 5 })
  ])
  t.same(runs, { count: 2, lastAt: 30 })
  t.equal(backoffDelayMs(2), 0)
  t.ok(backoffDelayMs(3) > 0)
  t.ok(backoffDelayMs(4) > backoffDelayMs(3), 'grows')
  t.equal(backoffDelayMs(50), 27 * 60_000)
})

t.test('DAEMON: one task per eligible ACTIVE instance; draining and departed instances lose theirs; old deployment replaced', async (t) => {
  const node = (id: string, status: 'ACTIVE' | 'DRAINING') => ({ containerInstanceArn: `ci/${id}`, status, attributes: {} }) as never
  const rec = (id: string, instance: string, deploymentId: string, lastStatus = 'RUNNING'): TaskRecord => ({ taskId: id, clusterName: 'c', deploymentId, task: { lastStatus, desiredStatus: 'RUNNING', containerInstanceArn: `ci/${instance}` } })
  const plan = planDaemon({
    nodes: [node('a', 'ACTIVE'), node('b', 'ACTIVE'), node('c', 'DRAINING'), node('d', 'ACTIVE'), node('e', 'ACTIVE')],
    live: [rec('1', 'a', 'new'), rec('2', 'a', 'new', 'PENDING'), rec('3', 'c', 'new'), rec('4', 'gone', 'new'), rec('5', 'd', 'old')],
    primaryId: 'new', phaseOf: (x) => x.task.lastStatus === 'RUNNING' ? 'healthy' : 'pending', eligible: (n) => n.containerInstanceArn !== 'ci/e',
    minimumHealthyPercent: 0, startAllowed: true, frozen: false
  })
  t.same(plan.stop.map((s) => s.task.taskId).sort(), ['2', '3', '4', '5'])
  t.same(plan.launchOn, ['ci/b'], 'd waits until its old task has STOPPED; e does not meet the constraints')
  t.equal(plan.desiredCount, 3, "a, b and d: e does not meet the constraints, c drains")
  t.notOk(plan.steady)
})
