// Automatic target weights (weighted_random): a target that passes its health
// checks but fails far more of its requests than the others (a gray failure)
// is reported anomalous; with anomaly mitigation on it gets a small share of
// traffic, and once it recovers its share ramps back over a minute on the
// clock. Fewer than three healthy targets: no detection. A group-wide failure
// is not "mitigated" onto one target.
import t, { type Test } from 'tap'
import type { TargetGroup } from '../../../runtime/lb/target-group.js'
import type { ManualClock } from '../../../runtime/clock/clock.js'
import { RECOVERY_MS, WINDOW_MS } from '../../../runtime/lb/anomaly.js'
import { config, group, httpBackend, spread } from './target-group-fixtures.js'

/** n requests through the group; the target keys in `failing` fail theirs. */
function traffic(tg: TargetGroup, n: number, failing: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const p = tg.pick({ sourceIp: '127.0.0.1' })!
    counts.set(p.key, (counts.get(p.key) ?? 0) + 1)
    p.release(failing.has(p.key) ? 'error' : 'success')
  }
  return counts
}

async function healthyGroup(t: Test, targets: number, mitigation: boolean): Promise<{ tg: TargetGroup; clock: ManualClock; keys: string[] }> {
  const backends = await Promise.all(Array.from({ length: targets }, () => httpBackend(t)))
  const { tg, clock } = group(t, config({ algorithm: 'weighted_random', anomalyMitigation: mitigation, healthCheck: { intervalMs: 5_000 } }))
  tg.setInUse(true)
  tg.register(backends.map((b) => b.spec))
  await clock.advance(0)
  const keys = tg.health().map((h) => `${h.id}:${h.port}`)
  t.same(tg.health().map((h) => h.state), Array(targets).fill('healthy'))
  return { tg, clock, keys }
}

const anomalyOf = (tg: TargetGroup, key: string) => tg.health().find((h) => `${h.id}:${h.port}` === key)?.anomaly

t.test('a gray failure is detected and mitigated, then ramps back after it recovers', async (t) => {
  const { tg, clock, keys } = await healthyGroup(t, 4, true)
  const bad = keys[0]!
  t.same(anomalyOf(tg, bad), { result: 'normal', mitigationInEffect: 'no' }, 'normal to begin with')
  traffic(tg, 400, new Set([bad]))
  await clock.advance(10_000)
  t.same(anomalyOf(tg, bad), { result: 'anomalous', mitigationInEffect: 'yes' })
  t.same(anomalyOf(tg, keys[1]!), { result: 'normal', mitigationInEffect: 'no' }, 'the others stay normal')
  const mitigated = traffic(tg, 2_000, new Set([bad]))
  t.ok((mitigated.get(bad) ?? 0) < 2_000 * 0.05, `the anomalous target gets a small share (${mitigated.get(bad) ?? 0} of 2000)`)

  // It recovers: once its failures leave the window it is normal, and its share ramps back.
  await clock.advance(WINDOW_MS + 10_000)
  traffic(tg, 400, new Set())
  await clock.advance(10_000)
  t.same(anomalyOf(tg, bad), { result: 'normal', mitigationInEffect: 'yes' }, 'normal again, still ramping')
  await clock.advance(RECOVERY_MS)
  const back = traffic(tg, 4_000, new Set())
  t.ok((back.get(bad) ?? 0) > 4_000 * 0.15, `a full share again (${back.get(bad)} of 4000)`)
  t.same(anomalyOf(tg, bad), { result: 'normal', mitigationInEffect: 'no' })
})

t.test('mitigation off: detected, but traffic is not reduced', async (t) => {
  const { tg, clock, keys } = await healthyGroup(t, 3, false)
  traffic(tg, 300, new Set([keys[2]!]))
  await clock.advance(10_000)
  t.same(anomalyOf(tg, keys[2]!), { result: 'anomalous', mitigationInEffect: 'no' })
  const counts = spread(tg, 3_000)
  t.ok((counts.get(keys[2]!) ?? 0) > 3_000 * 0.2, 'its share is kept')
})

t.test('no detection with fewer than three healthy targets; a group-wide failure is not mitigated onto one target', async (t) => {
  const two = await healthyGroup(t, 2, true)
  traffic(two.tg, 300, new Set([two.keys[0]!]))
  await two.clock.advance(10_000)
  t.equal(anomalyOf(two.tg, two.keys[0]!)?.result, 'normal', 'two targets: nothing to compare with')

  const four = await healthyGroup(t, 4, true)
  traffic(four.tg, 800, new Set(four.keys))
  await four.clock.advance(10_000)
  t.same(four.keys.map((k) => anomalyOf(four.tg, k)?.result), ['normal', 'normal', 'normal', 'normal'], 'all failing alike: none stands out')
  traffic(four.tg, 800, new Set(four.keys.slice(0, 3)))
  await four.clock.advance(10_000)
  const anomalous = four.keys.filter((k) => anomalyOf(four.tg, k)?.result === 'anomalous')
  t.ok(anomalous.length <= 2, `at most half the targets are anomalous (${anomalous.length})`)
})

t.test('not for round_robin groups, nor for requests the client ended', async (t) => {
  const backends = await Promise.all([httpBackend(t), httpBackend(t), httpBackend(t)])
  const { tg, clock } = group(t, config({ algorithm: 'round_robin' }))
  tg.setInUse(true)
  tg.register(backends.map((b) => b.spec))
  await clock.advance(0)
  t.equal(tg.health()[0]!.anomaly, undefined, 'no verdict outside weighted_random')
  const wr = await healthyGroup(t, 3, true)
  for (let i = 0; i < 300; i++) {
    const p = wr.tg.pick({ sourceIp: '127.0.0.1' })!
    // The client went away: nothing counts against the target.
    if (p.key === wr.keys[0]) p.release()
    else p.release('success')
  }
  await wr.clock.advance(10_000)
  t.equal(anomalyOf(wr.tg, wr.keys[0]!)?.result, 'normal')
})
