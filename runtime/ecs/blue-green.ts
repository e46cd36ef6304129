// ECS's own blue/green family of deployments (deploymentConfiguration.strategy
// BLUE_GREEN, LINEAR, CANARY), as a pure plan over a service's tasks and the
// clock. The green revision (the PRIMARY deployment) starts at full size in
// the other target group of each loadBalancers entry (its alternate, or back),
// while the blue one keeps serving; then:
//
//   SCALE_UP                  green tasks started until desiredCount are healthy (ELB too)
//   TEST_TRAFFIC_SHIFT        the test listener rule forwards to the green groups
//   PRODUCTION_TRAFFIC_SHIFT  the production rule's weights move to green:
//                             BLUE_GREEN 100 % at once; LINEAR stepPercent every
//                             stepBakeTimeInMinutes; CANARY canaryPercent, then the
//                             rest after canaryBakeTimeInMinutes
//   BAKE_TIME                 both run bakeTimeInMinutes with production on green
//   CLEAN_UP                  the blue tasks drained and stopped (the rolling plan
//                             does it: they are an older deployment's)
//
// A rollback (the circuit breaker, or StopServiceDeployment) before
// CLEAN_UP sends production (and test) traffic back to blue, makes the blue
// deployment PRIMARY again and lets the green tasks go.

import type { DeploymentConfiguration } from './model-services.js'
import type { RolloutTask } from './deployments.js'

export type BlueGreenStage = 'SCALE_UP' | 'TEST_TRAFFIC_SHIFT' | 'PRODUCTION_TRAFFIC_SHIFT' | 'BAKE_TIME' | 'CLEAN_UP'

/** A blue/green rollout in progress (ServiceState.blueGreen). */
export interface BlueGreenState {
  /** The green deployment (PRIMARY). */
  deploymentId: string
  /** The deployment serving production when it began. */
  blueDeploymentId: string
  stage: BlueGreenStage
  /** Production traffic on green, percent. */
  greenPercent: number
  /** When the stage began (clock ms). */
  stageAt: number
  /** The next traffic step (LINEAR, CANARY) or the end of the bake (BAKE_TIME). */
  nextAt?: number
}

export interface BlueGreenInput {
  now: number
  desiredCount: number
  config: DeploymentConfiguration
  state: BlueGreenState
  /** Live tasks of the green deployment, of the blue one, and of any other (left over from an earlier rollout). */
  green: readonly RolloutTask[]
  blue: readonly RolloutTask[]
  others: readonly RolloutTask[]
  startAllowed: boolean
}

export interface BlueGreenPlan {
  start: number
  stop: string[]
  state: BlueGreenState
  /** Traffic to apply after the commit (only when it changed). */
  production?: number
  testToGreen?: boolean
  /** The rollout's shifting is over: the rolling plan cleans the blue tasks up. */
  cleanUp: boolean
  /** When the plan wants to run again (a step or the bake ending). */
  wakeAt?: number
}

const MINUTE = 60_000

/** The first production step of each strategy. */
function firstStep(config: DeploymentConfiguration): number {
  switch (config.strategy) {
    case 'LINEAR': return Math.min(100, config.linearConfiguration?.stepPercent ?? 10)
    case 'CANARY': return Math.min(100, config.canaryConfiguration?.canaryPercent ?? 5)
    default: return 100
  }
}

function nextStep(config: DeploymentConfiguration, current: number): number {
  if (config.strategy === 'LINEAR') return Math.min(100, Math.round((current + (config.linearConfiguration?.stepPercent ?? 10)) * 10) / 10)
  return 100
}

/** How long production stays at a step before the next one. */
function stepWaitMs(config: DeploymentConfiguration): number {
  if (config.strategy === 'LINEAR') return (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6) * MINUTE
  if (config.strategy === 'CANARY') return (config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10) * MINUTE
  return 0
}

export function planBlueGreen(input: BlueGreenInput): BlueGreenPlan {
  const { now, config } = input
  let state = { ...input.state }
  const stop: string[] = []
  // Unhealthy green tasks are replaced; tasks of neither revision go.
  for (const t of input.green) if (!t.stopping && t.phase === 'unhealthy') stop.push(t.id)
  for (const t of input.others) if (!t.stopping) stop.push(t.id)
  const kept = input.green.filter((t) => !t.stopping && t.phase !== 'unhealthy')
  const start = input.startAllowed ? Math.max(0, input.desiredCount - kept.length) : 0
  const healthy = kept.filter((t) => t.phase === 'healthy').length
  const plan: BlueGreenPlan = { start, stop, state, cleanUp: false }
  const enter = (stage: BlueGreenStage, extra: Partial<BlueGreenState> = {}) => {
    state = { ...state, stage, stageAt: now, ...extra }
    delete (state as Partial<BlueGreenState>).nextAt
    if (extra.nextAt !== undefined) state.nextAt = extra.nextAt
  }

  if (state.stage === 'SCALE_UP') {
    if (healthy < input.desiredCount || start > 0) return { ...plan, state }
    enter('TEST_TRAFFIC_SHIFT')
    plan.testToGreen = true
  }
  if (state.stage === 'TEST_TRAFFIC_SHIFT') {
    const percent = firstStep(config)
    const wait = stepWaitMs(config)
    enter('PRODUCTION_TRAFFIC_SHIFT', { greenPercent: percent, ...(percent < 100 ? { nextAt: now + wait } : {}) })
    plan.production = percent
  }
  if (state.stage === 'PRODUCTION_TRAFFIC_SHIFT') {
    while (state.greenPercent < 100 && state.nextAt !== undefined && now >= state.nextAt) {
      const percent = nextStep(config, state.greenPercent)
      const at = state.nextAt + stepWaitMs(config)
      state = { ...state, greenPercent: percent, nextAt: at }
      plan.production = percent
    }
    if (state.greenPercent < 100) return { ...plan, state, wakeAt: state.nextAt }
    enter('BAKE_TIME', { nextAt: now + (config.bakeTimeInMinutes ?? 0) * MINUTE })
  }
  if (state.stage === 'BAKE_TIME') {
    if (state.nextAt !== undefined && now < state.nextAt) return { ...plan, state, wakeAt: state.nextAt }
    enter('CLEAN_UP')
  }
  return { ...plan, state, cleanUp: true }
}

/** The ALB weights (0–999) of a production split: whole percents as they are, tenths scaled to 999. */
export function weightsFor(greenPercent: number): { blue: number; green: number } {
  if (Number.isInteger(greenPercent)) return { blue: 100 - greenPercent, green: greenPercent }
  const green = Math.round(greenPercent * 9.99)
  return { blue: 999 - green, green }
}
