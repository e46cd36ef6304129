// FARGATE_SPOT interruptions. AWS reclaims Spot capacity with a two-minute
// warning: the task state change event says the task is stopping (stopCode
// SpotInterruption, "Your Spot Task was interrupted."), its containers get
// SIGTERM at once and SIGKILL after two minutes, then it is STOPPED. Here an
// interruption comes from the Stratus extension interruptSpotTask, or at a
// seeded rate per running Spot task per minute (ctx.settings.spotInterruption),
// on the engine clock.

import type { EcsContext } from './context.js'
import { invalidParameter } from './errors.js'
import { getCluster } from './clusters.js'
import { TASKS } from './records.js'
import type { Task } from './model-tasks.js'
import { FARGATE_SPOT } from './fargate.js'
import { decideStop, readTask, SPOT_INTERRUPTED_REASON, taskIdOf, type EcsTaskRecord } from './task-lifecycle.js'

export const SPOT_WARNING_MS = 120_000
const MINUTE = 60_000

export function interruptSpotTask(ctx: EcsContext, input: { cluster?: string; task: string }): Task {
  if (typeof input?.task !== 'string' || input.task.length === 0) throw invalidParameter('task', 'task is required.')
  const cluster = String(getCluster(ctx, input.cluster, 'cluster').cluster.clusterName)
  return ctx.store.transaction((tx) => {
    const found = readTask(tx, taskIdOf(input.task))
    if (found === undefined || found.record.clusterName !== cluster) throw invalidParameter('task', 'The referenced task was not found.')
    if (found.record.task.capacityProviderName !== FARGATE_SPOT) throw invalidParameter('task', `Only FARGATE_SPOT tasks can be interrupted; this task runs on ${found.record.task.capacityProviderName ?? found.record.task.launchType}.`)
    return decideStop(ctx, tx, input.task, { reason: SPOT_INTERRUPTED_REASON, stopCode: 'SpotInterruption', graceMs: SPOT_WARNING_MS }).task
  })
}

/** A small seeded generator (mulberry32): the same seed interrupts the same tasks in the same order. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function startSpotInterruptions(ctx: EcsContext): void {
  const { ratePerMinute, seed } = ctx.settings.spotInterruption
  if (!(ratePerMinute > 0)) return
  const random = seeded(seed)
  let timer = ctx.clock.setTimeout(function tick() {
    const running = ctx.store.scan<EcsTaskRecord>(TASKS).map((r) => r.value)
      .filter((r) => r.task.capacityProviderName === FARGATE_SPOT && r.task.lastStatus === 'RUNNING' && r.task.desiredStatus === 'RUNNING')
      .sort((a, b) => (a.taskId < b.taskId ? -1 : 1))
    for (const r of running) {
      if (random() >= ratePerMinute) continue
      try {
        ctx.store.transaction((tx) => decideStop(ctx, tx, r.taskId, { reason: SPOT_INTERRUPTED_REASON, stopCode: 'SpotInterruption', graceMs: SPOT_WARNING_MS }))
      } catch {
        // Gone meanwhile: nothing to interrupt.
      }
    }
    timer = ctx.clock.setTimeout(tick, MINUTE)
  }, MINUTE)
  ctx.closers.push(() => ctx.clock.clearTimeout(timer))
}
