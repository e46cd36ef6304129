// The blue/green plan as arithmetic (blue-green.ts planBlueGreen): the green
// revision scales up to the desired count without touching blue, production
// traffic moves at once (BLUE_GREEN), in steps (LINEAR) or canary-then-rest
// (CANARY) on the clock, the bake time holds both, then the rolling plan
// cleans blue up; and the ALB weights of a split.
import t from 'tap'
import { planBlueGreen, weightsFor, type BlueGreenState } from '../../../runtime/ecs/blue-green.js'
import type { RolloutTask, TaskPhase } from '../../../runtime/ecs/deployments.js'

const MIN = 60_000
const task = (id: string, phase: TaskPhase, primary = true): RolloutTask => ({ id, primary, phase, stopping: false, draining: false })
const start = (at = 0): BlueGreenState => ({ deploymentId: 'ecs-svc/2', blueDeploymentId: 'ecs-svc/1', stage: 'SCALE_UP', greenPercent: 0, stageAt: at })
const blue = [task('b1', 'healthy', false), task('b2', 'healthy', false)]

t.test('SCALE_UP starts the whole green set and stops no blue task; it waits for every green task to be healthy', async (t) => {
  const config = { strategy: 'BLUE_GREEN' as const, bakeTimeInMinutes: 10 }
  let plan = planBlueGreen({ now: 0, desiredCount: 2, config, state: start(), green: [], blue, others: [], startAllowed: true })
  t.equal(plan.start, 2, 'both green tasks at once: maximumPercent does not apply')
  t.same(plan.stop, [])
  t.equal(plan.state.stage, 'SCALE_UP')
  plan = planBlueGreen({ now: 0, desiredCount: 2, config, state: start(), green: [task('g1', 'healthy'), task('g2', 'running')], blue, others: [], startAllowed: true })
  t.equal(plan.state.stage, 'SCALE_UP', 'a green task not yet healthy (its target) holds the shift')
  t.equal(plan.production, undefined)
  plan = planBlueGreen({ now: 0, desiredCount: 2, config, state: start(), green: [task('g1', 'healthy'), task('g2', 'unhealthy')], blue, others: [task('x', 'healthy', false)], startAllowed: true })
  t.same(plan.stop.sort(), ['g2', 'x'], 'an unhealthy green task is replaced; a task of neither revision goes')
  t.equal(plan.start, 1)
  plan = planBlueGreen({ now: 0, desiredCount: 2, config, state: start(), green: [], blue, others: [], startAllowed: false })
  t.equal(plan.start, 0, 'the restart backoff holds starts')
})

t.test('BLUE_GREEN: test traffic, then all production at once, the bake, then clean-up', async (t) => {
  const config = { strategy: 'BLUE_GREEN' as const, bakeTimeInMinutes: 10 }
  const green = [task('g1', 'healthy'), task('g2', 'healthy')]
  let plan = planBlueGreen({ now: 1000, desiredCount: 2, config, state: start(), green, blue, others: [], startAllowed: true })
  t.equal(plan.testToGreen, true)
  t.equal(plan.production, 100)
  t.equal(plan.state.stage, 'BAKE_TIME')
  t.equal(plan.wakeAt, 1000 + 10 * MIN)
  t.equal(plan.cleanUp, false)
  plan = planBlueGreen({ now: 1000 + 10 * MIN - 1, desiredCount: 2, config, state: plan.state, green, blue, others: [], startAllowed: true })
  t.equal(plan.state.stage, 'BAKE_TIME', 'still baking')
  t.equal(plan.production, undefined, 'no traffic change while baking')
  plan = planBlueGreen({ now: 1000 + 10 * MIN, desiredCount: 2, config, state: plan.state, green, blue, others: [], startAllowed: true })
  t.equal(plan.state.stage, 'CLEAN_UP')
  t.equal(plan.cleanUp, true, 'the rolling plan takes the blue tasks away')
})

t.test('LINEAR shifts stepPercent every stepBakeTimeInMinutes; CANARY the canary, then the rest', async (t) => {
  const green = [task('g1', 'healthy')]
  const linear = { strategy: 'LINEAR' as const, bakeTimeInMinutes: 0, linearConfiguration: { stepPercent: 30, stepBakeTimeInMinutes: 2 } }
  let plan = planBlueGreen({ now: 0, desiredCount: 1, config: linear, state: start(), green, blue, others: [], startAllowed: true })
  const steps = [plan.production]
  for (let m = 2; m <= 8; m += 2) {
    plan = planBlueGreen({ now: m * MIN, desiredCount: 1, config: linear, state: plan.state, green, blue, others: [], startAllowed: true })
    steps.push(plan.production)
  }
  t.same(steps, [30, 60, 90, 100, undefined], '30 % every 2 minutes, capped at 100')
  t.equal(plan.cleanUp, true, 'no bake after 100 % with bakeTimeInMinutes 0')

  const canary = { strategy: 'CANARY' as const, bakeTimeInMinutes: 5, canaryConfiguration: { canaryPercent: 2.5, canaryBakeTimeInMinutes: 10 } }
  plan = planBlueGreen({ now: 0, desiredCount: 1, config: canary, state: start(), green, blue, others: [], startAllowed: true })
  t.equal(plan.production, 2.5)
  t.equal(plan.wakeAt, 10 * MIN)
  plan = planBlueGreen({ now: 9 * MIN, desiredCount: 1, config: canary, state: plan.state, green, blue, others: [], startAllowed: true })
  t.equal(plan.production, undefined, 'the canary bakes')
  plan = planBlueGreen({ now: 10 * MIN, desiredCount: 1, config: canary, state: plan.state, green, blue, others: [], startAllowed: true })
  t.equal(plan.production, 100, 'then the rest')
  t.equal(plan.state.stage, 'BAKE_TIME')
  t.equal(plan.wakeAt, 15 * MIN)
})

t.test('weights of a split within ALB\'s 0-999', async (t) => {
  t.same(weightsFor(0), { blue: 100, green: 0 })
  t.same(weightsFor(30), { blue: 70, green: 30 })
  t.same(weightsFor(100), { blue: 0, green: 100 })
  const tenth = weightsFor(2.5)
  t.equal(tenth.blue + tenth.green, 999)
  t.ok(Math.abs(tenth.green / 999 - 0.025) < 0.001)
})
