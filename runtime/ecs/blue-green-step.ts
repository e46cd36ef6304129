// The service controller's blue/green decisions over its records (the plan
// itself is blue-green.ts): when a deployment begins a rollout (which
// deployment is blue, which target groups green joins), the two sides of a
// rollout, and the service a rollback leaves (the blue deployment PRIMARY
// again, green FAILED).

import type { TaskRecord } from './records.js'
import type { Deployment, Service } from './model-services.js'
import type { ServiceState } from './service-records.js'
import type { TargetSide } from './service-targets.js'
import type { BlueGreenState } from './blue-green.js'

export interface BlueGreenBegun {
  state: ServiceState
  rollout: BlueGreenState
  /** An interrupted rollout left production split: it goes back to blue. */
  resetTraffic: boolean
  message: string
}

/**
 * The rollout of the PRIMARY deployment (BLUE_GREEN, LINEAR, CANARY): the one
 * in progress, or one begun now when it replaces a deployment whose tasks
 * still serve; undefined: a rolling step (or the rollout already ended).
 */
export function blueGreenOf(state: ServiceState, primary: Deployment, live: readonly TaskRecord[], now: number): BlueGreenState | BlueGreenBegun | undefined {
  const current = state.blueGreen
  if (current !== undefined && current.deploymentId === primary.id) return current
  const strategy = state.service.deploymentConfiguration?.strategy
  const sides = state.targetSides ?? {}
  const id = String(primary.id)
  if (strategy === undefined || strategy === 'ROLLING' || sides[id] !== undefined || primary.rolloutState !== 'IN_PROGRESS') return undefined
  const others = live.filter((t) => t.deploymentId !== id && t.task.desiredStatus !== 'STOPPED')
  if (others.length === 0) return undefined
  // Blue: what serves production now (an interrupted rollout's side that had it, else the last completed revision, else the largest).
  let blue: string | undefined
  if (current !== undefined) blue = current.greenPercent >= 100 ? current.deploymentId : current.blueDeploymentId
  if (blue === undefined || !others.some((t) => t.deploymentId === blue)) {
    const last = state.lastCompleted?.deploymentId
    const counts = new Map<string, number>()
    for (const t of others) counts.set(String(t.deploymentId), (counts.get(String(t.deploymentId)) ?? 0) + 1)
    blue = last !== undefined && counts.has(last) ? last : [...counts].sort((a, b) => b[1] - a[1])[0][0]
  }
  const blueSide: TargetSide = sides[blue] ?? 'primary'
  const greenSide: TargetSide = blueSide === 'primary' ? 'alternate' : 'primary'
  const rollout: BlueGreenState = { deploymentId: id, blueDeploymentId: blue, stage: 'SCALE_UP', greenPercent: 0, stageAt: now }
  return {
    state: { ...state, blueGreen: rollout, targetSides: { ...sides, [blue]: blueSide, [id]: greenSide } },
    rollout, resetTraffic: current !== undefined,
    message: `(service ${String(state.service.serviceName)}) (deployment ${id}) began a ${strategy} deployment: green tasks start in the ${greenSide} target groups.`
  }
}

/** The target groups each side of a rollout joins. */
export function sidesOf(state: ServiceState, rollout: BlueGreenState): { blue: TargetSide; green: TargetSide } {
  const sides = state.targetSides ?? {}
  const blue = sides[rollout.blueDeploymentId] ?? 'primary'
  return { blue, green: sides[rollout.deploymentId] ?? (blue === 'primary' ? 'alternate' : 'primary') }
}

/** The service once rolled back to blue (undefined: the blue deployment is gone; green only FAILS). */
export function rolledBack(service: Service, rollout: BlueGreenState, reason: string, now: number): Service | undefined {
  const deployments = service.deployments ?? []
  const blue = deployments.find((d) => d.id === rollout.blueDeploymentId)
  if (blue === undefined) return undefined
  return {
    ...service, taskDefinition: blue.taskDefinition,
    deployments: deployments.map((d) => d.id === rollout.deploymentId ? { ...d, status: 'ACTIVE' as const, desiredCount: 0, rolloutState: 'FAILED' as const, rolloutStateReason: reason, updatedAt: now }
      : d.id === blue.id ? { ...d, status: 'PRIMARY' as const, desiredCount: service.desiredCount, rolloutState: 'COMPLETED' as const, updatedAt: now } : d)
  }
}
