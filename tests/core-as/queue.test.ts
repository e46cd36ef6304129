// Queue ordering, backfill and aging: the dispatch order, that a job which
// does not fit never blocks smaller jobs behind it (backfill), and that it
// does not starve either (after agingRounds it reserves a node that drains).
import t from 'tap'
import { bothSchedulers } from './cores.js'
import type { Scheduler, TaskInput } from '../../runtime/scheduler/scheduler.js'

t.test('dispatch order: priority desc, environment order, submission sequence', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    const order = s.orderJobs([
      { priority: 1, envOrder: 0, sequence: 0 },
      { priority: 10, envOrder: 1, sequence: 1 },
      { priority: 10, envOrder: 0, sequence: 5 },
      { priority: 10, envOrder: 0, sequence: 2 },
      { priority: 5, envOrder: 0, sequence: 3 },
      { priority: 10, envOrder: 0, sequence: 2 }
    ])
    t.same(order, [3, 5, 2, 1, 4, 0], name)
    t.same(s.orderJobs([]), [], `${name}: empty`)
    const many = Array.from({ length: 1000 }, (_, i) => ({ priority: i % 7, envOrder: i % 3, sequence: 1000 - i }))
    const sorted = s.orderJobs(many)
    for (let i = 1; i < sorted.length; i++) {
      const a = many[sorted[i - 1]]
      const b = many[sorted[i]]
      const ok = a.priority > b.priority || (a.priority === b.priority && (a.envOrder < b.envOrder || (a.envOrder === b.envOrder && a.sequence <= b.sequence)))
      if (!ok) t.fail(`${name}: ${sorted[i - 1]} before ${sorted[i]}`)
    }
  }
})

interface Running {
  node: number
  cpu: number
  endsAt: number
}

/**
 * Rounds of a tiny cluster: two 4-vCPU nodes; every round 4 small jobs (1 vCPU,
 * 2 rounds long) arrive behind one big job (4 vCPU) submitted at round 0. The
 * small ones alone keep both nodes busy forever.
 */
function simulate(s: Scheduler, agingRounds: number, rounds: number): { bigStartedAt: number | null; smallStarted: number; firstRoundSmall: number } {
  // Both nodes start half busy, so the big job cannot start at once.
  const running: Running[] = [0, 1].flatMap((node) => [{ node, cpu: 1000, endsAt: 1 }, { node, cpu: 1000, endsAt: 2 }])
  const waiting: Array<{ cpu: number; big: boolean; waited: number }> = [{ cpu: 4000, big: true, waited: 0 }]
  let bigStartedAt: number | null = null
  let smallStarted = 0
  let firstRoundSmall = 0
  for (let round = 0; round < rounds; round++) {
    for (let i = running.length - 1; i >= 0; i--) if (running[i].endsAt <= round) running.splice(i, 1)
    for (let i = 0; i < 4; i++) waiting.push({ cpu: 1000, big: false, waited: 0 })
    const nodes = [0, 1].map((n) => {
      const used = running.filter((r) => r.node === n).reduce((sum, r) => sum + r.cpu, 0)
      return { cpu: 4000, memory: 16384, free: { cpu: 4000 - used } }
    })
    const tasks: TaskInput[] = waiting.map((w) => ({ cpu: w.cpu, memory: 128, waitRounds: w.waited, strategy: { type: 'binpack', field: 'cpu' } }))
    const plan = s.place({ nodes, tasks, agingRounds })
    const still: typeof waiting = []
    plan.placements.forEach((p, i) => {
      const job = waiting[i]
      if (p.node === null) {
        still.push({ ...job, waited: job.waited + 1 })
        return
      }
      running.push({ node: p.node, cpu: job.cpu, endsAt: round + 2 })
      if (job.big) bigStartedAt = round
      else {
        smallStarted++
        if (round === 0) firstRoundSmall++
      }
    })
    waiting.splice(0, waiting.length, ...still)
  }
  return { bigStartedAt, smallStarted, firstRoundSmall }
}

t.test('backfill: a job that does not fit does not block smaller jobs behind it', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    // Round 0: the big job fits (both nodes empty); make it not fit by occupying 1 vCPU first.
    const plan = s.place({
      nodes: [{ cpu: 4000, memory: 8192, free: { cpu: 3000 } }],
      tasks: [{ cpu: 4000, memory: 128 }, { cpu: 1000, memory: 128 }, { cpu: 1000, memory: 128 }]
    })
    t.same(plan.placements.map((p) => p.node), [null, 0, 0], `${name}: the small jobs run past the blocked one`)
    t.equal(plan.placements[0].reason, 'INSUFFICIENT_CPU')
  }
})

t.test('aging: without it the big job starves; with it, it runs within a bounded number of rounds', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    const starving = simulate(s, 0, 30)
    const aged = simulate(s, 3, 30)
    t.ok(starving.smallStarted > 0, `${name}: small jobs run`)
    t.equal(starving.bigStartedAt, null, `${name}: without aging the big job never runs in 30 rounds`)
    t.not(aged.bigStartedAt, null, `${name}: with aging the big job runs`)
    t.ok((aged.bigStartedAt ?? 99) <= 3 + 2 + 1, `${name}: within aging rounds + the longest running job (${aged.bigStartedAt})`)
    t.ok(aged.smallStarted > starving.smallStarted * 0.6, `${name}: backfill keeps going (${aged.smallStarted} vs ${starving.smallStarted})`)
    t.ok(aged.firstRoundSmall > 0, `${name}: small jobs backfill in the first round`)
  }
})

t.test('a reservation holds the node: later tasks of the round do not use it', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    const plan = s.place({
      nodes: [{ cpu: 4000, memory: 8192, free: { cpu: 1000 } }, { cpu: 4000, memory: 8192, free: { cpu: 3000 } }],
      tasks: [{ cpu: 4000, memory: 128, waitRounds: 5 }, { cpu: 500, memory: 128 }, { cpu: 500, memory: 128 }],
      agingRounds: 3
    })
    // node 1 is closest to fitting 4 vCPU (deficit 1000 vs 3000): held; the small ones go to node 0
    t.same(plan.placements[0], { node: null, reason: 'INSUFFICIENT_CPU', reservedNode: 1 }, name)
    t.same(plan.placements.slice(1).map((p) => p.node), [0, 0])
    t.equal(plan.metrics.reservations, 1)
  }
})
