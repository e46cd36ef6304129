// The checks of CreateService / UpdateService members, each refusal naming
// its member (and its limit), worded as ECS words them where it does. Nothing
// here reads the store: these are the request's own rules; what needs the
// cluster or the task definition is checked in services.ts.

import { EcsError, invalidParameter } from './errors.js'
import type {
  CapacityProviderStrategyItem, DeploymentConfiguration, DeploymentController, DeploymentStrategy, LaunchType, NetworkConfiguration,
  PlacementConstraint, PlacementStrategy, PropagateTags, SchedulingStrategy
} from './model-services.js'

export const SERVICE_LIMITS = {
  nameLength: 255,
  placementConstraints: 10,
  placementStrategies: 5,
  clientTokenLength: 36,
  maximumPercent: 200_000,
  healthCheckGracePeriodSeconds: 2_147_483_647,
  capacityProviders: 20,
  loadBalancers: 5,
  /** ECS's "Tasks per service" quota (the desired count). */
  tasksPerService: 5_000
} as const

const NAME = /^[A-Za-z0-9_-]+$/
const LAUNCH_TYPES: readonly LaunchType[] = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES']
const PROPAGATE: readonly PropagateTags[] = ['TASK_DEFINITION', 'SERVICE', 'NONE']

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function checkServiceName(value: unknown, field = 'serviceName'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(field, `${field} is required.`)
  if (value.length > SERVICE_LIMITS.nameLength) throw invalidParameter(field, `${field}: up to ${SERVICE_LIMITS.nameLength} characters are allowed, got ${value.length}.`, SERVICE_LIMITS.nameLength)
  if (!NAME.test(value)) throw invalidParameter(field, `${field}: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.`)
  return value
}

export function checkCount(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParameter(field, `${field} must be a whole number of 0 or more, got ${JSON.stringify(value)}.`)
  return value
}

/** A service's desiredCount: a whole number, at most ECS's tasks-per-service quota. */
export function checkDesiredCount(value: unknown, field = 'desiredCount'): number | undefined {
  const count = checkCount(value, field)
  if (count !== undefined && count > SERVICE_LIMITS.tasksPerService) {
    throw invalidParameter(field, `Desired count exceeds limit: a service runs at most ${SERVICE_LIMITS.tasksPerService} tasks (tasks per service), got ${count}.`, SERVICE_LIMITS.tasksPerService)
  }
  return count
}

export function checkBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidParameter(field, `${field} must be true or false.`)
  return value
}

export function checkLaunchType(value: unknown, field = 'launchType'): LaunchType | undefined {
  if (value === undefined) return undefined
  if (!LAUNCH_TYPES.includes(value as LaunchType)) throw invalidParameter(field, `${field} must be one of ${LAUNCH_TYPES.join(', ')}.`)
  return value as LaunchType
}

export function checkSchedulingStrategy(value: unknown, field = 'schedulingStrategy'): SchedulingStrategy {
  if (value === undefined) return 'REPLICA'
  if (value !== 'REPLICA' && value !== 'DAEMON') throw invalidParameter(field, `${field} must be REPLICA or DAEMON.`)
  return value
}

export function checkPropagateTags(value: unknown, field = 'propagateTags'): PropagateTags | undefined {
  if (value === undefined) return undefined
  if (!PROPAGATE.includes(value as PropagateTags)) throw invalidParameter(field, `${field} must be one of ${PROPAGATE.join(', ')}.`)
  return value as PropagateTags
}

export function checkClientToken(value: unknown, field = 'clientToken'): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > SERVICE_LIMITS.clientTokenLength || !/^[\x21-\x7e]+$/.test(value)) {
    throw invalidParameter(field, `${field}: up to ${SERVICE_LIMITS.clientTokenLength} ASCII characters in the range of 33-126 (inclusive) are allowed.`, SERVICE_LIMITS.clientTokenLength)
  }
  return value
}

export function checkGracePeriod(value: unknown, field = 'healthCheckGracePeriodSeconds'): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > SERVICE_LIMITS.healthCheckGracePeriodSeconds) {
    throw invalidParameter(field, `${field} must be a whole number from 0 to ${SERVICE_LIMITS.healthCheckGracePeriodSeconds}.`, SERVICE_LIMITS.healthCheckGracePeriodSeconds)
  }
  return value
}

export function checkDeploymentController(value: unknown, field = 'deploymentController'): DeploymentController {
  if (value === undefined) return { type: 'ECS' }
  if (!isObject(value)) throw invalidParameter(field, `${field} must be an object with a type.`)
  const type = value.type
  if (type === 'ECS' || type === 'EXTERNAL') return { type }
  if (type === 'CODE_DEPLOY') {
    // CodeDeploy is not part of this engine: its task sets are driven by EXTERNAL (task-sets.ts) or ECS's own blue/green.
    throw new EcsError('UnsupportedFeatureException', `${field}.type CODE_DEPLOY: there is no CodeDeploy in this engine; use the EXTERNAL deployment controller (task sets) or the ECS one, whose deploymentConfiguration.strategy BLUE_GREEN, LINEAR or CANARY shifts traffic between target groups.`, { field: `${field}.type` })
  }
  throw invalidParameter(`${field}.type`, `${field}.type must be one of ECS, CODE_DEPLOY, EXTERNAL.`)
}

const STRATEGIES: readonly DeploymentStrategy[] = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY']
const BAKE_MINUTES_MAX = 1440

function checkMinutes(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > BAKE_MINUTES_MAX) {
    throw invalidParameter(field, `${field} must be a whole number of minutes from 0 to ${BAKE_MINUTES_MAX}, got ${JSON.stringify(value)}.`, BAKE_MINUTES_MAX)
  }
  return value
}

/** A percentage in multiples of 0.1 from `low` to 100. */
function checkPercent(value: unknown, field: string, low: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < low || value > 100 || Math.abs(Math.round(value * 10) - value * 10) > 1e-9) {
    throw invalidParameter(field, `${field} must be a multiple of 0.1 from ${low.toFixed(1)} to 100.0, got ${JSON.stringify(value)}.`, 100)
  }
  return value
}

/**
 * The blue/green family's members: bakeTimeInMinutes (BLUE_GREEN, LINEAR,
 * CANARY; 0–1440), linearConfiguration (LINEAR: stepPercent 3.0–100.0
 * default 10.0, stepBakeTimeInMinutes default 6), canaryConfiguration
 * (CANARY: canaryPercent 0.1–100.0 default 5.0, canaryBakeTimeInMinutes
 * default 10); each refused with another strategy.
 */
function checkTrafficShift(value: Record<string, unknown>, strategy: DeploymentStrategy, previous: DeploymentConfiguration | undefined, field: string): Pick<DeploymentConfiguration, 'bakeTimeInMinutes' | 'linearConfiguration' | 'canaryConfiguration'> {
  const shifts = strategy !== 'ROLLING'
  if (!shifts) {
    for (const key of ['bakeTimeInMinutes', 'linearConfiguration', 'canaryConfiguration']) {
      if (value[key] !== undefined) throw invalidParameter(`${field}.${key}`, `${field}.${key} is only valid with the BLUE_GREEN, LINEAR or CANARY deployment strategy.`)
    }
    return {}
  }
  if (value.linearConfiguration !== undefined && strategy !== 'LINEAR') throw invalidParameter(`${field}.linearConfiguration`, `${field}.linearConfiguration is only valid with the LINEAR deployment strategy.`)
  if (value.canaryConfiguration !== undefined && strategy !== 'CANARY') throw invalidParameter(`${field}.canaryConfiguration`, `${field}.canaryConfiguration is only valid with the CANARY deployment strategy.`)
  const bake = checkMinutes(value.bakeTimeInMinutes, `${field}.bakeTimeInMinutes`) ?? previous?.bakeTimeInMinutes
  if (bake === undefined && strategy === 'BLUE_GREEN') throw invalidParameter(`${field}.bakeTimeInMinutes`, `${field}.bakeTimeInMinutes is required for the BLUE_GREEN deployment strategy.`)
  const out: Pick<DeploymentConfiguration, 'bakeTimeInMinutes' | 'linearConfiguration' | 'canaryConfiguration'> = { bakeTimeInMinutes: bake ?? 0 }
  if (strategy === 'LINEAR') {
    const l = value.linearConfiguration ?? previous?.linearConfiguration ?? {}
    if (!isObject(l)) throw invalidParameter(`${field}.linearConfiguration`, `${field}.linearConfiguration must be an object.`)
    out.linearConfiguration = {
      stepPercent: checkPercent(l.stepPercent, `${field}.linearConfiguration.stepPercent`, 3) ?? 10,
      stepBakeTimeInMinutes: checkMinutes(l.stepBakeTimeInMinutes, `${field}.linearConfiguration.stepBakeTimeInMinutes`) ?? 6
    }
  }
  if (strategy === 'CANARY') {
    const c = value.canaryConfiguration ?? previous?.canaryConfiguration ?? {}
    if (!isObject(c)) throw invalidParameter(`${field}.canaryConfiguration`, `${field}.canaryConfiguration must be an object.`)
    out.canaryConfiguration = {
      canaryPercent: checkPercent(c.canaryPercent, `${field}.canaryConfiguration.canaryPercent`, 0.1) ?? 5,
      canaryBakeTimeInMinutes: checkMinutes(c.canaryBakeTimeInMinutes, `${field}.canaryConfiguration.canaryBakeTimeInMinutes`) ?? 10
    }
  }
  return out
}

/** The configuration with ECS's defaults: REPLICA 100 / 200, DAEMON 0 / 100; circuit breaker off. */
export function checkDeploymentConfiguration(value: unknown, strategy: SchedulingStrategy, previous?: DeploymentConfiguration, field = 'deploymentConfiguration'): Required<Pick<DeploymentConfiguration, 'minimumHealthyPercent' | 'maximumPercent' | 'deploymentCircuitBreaker'>> & DeploymentConfiguration {
  const defaults = strategy === 'DAEMON' ? { minimumHealthyPercent: 0, maximumPercent: 100 } : { minimumHealthyPercent: 100, maximumPercent: 200 }
  const base = {
    minimumHealthyPercent: previous?.minimumHealthyPercent ?? defaults.minimumHealthyPercent,
    maximumPercent: previous?.maximumPercent ?? defaults.maximumPercent,
    deploymentCircuitBreaker: previous?.deploymentCircuitBreaker ?? { enable: false, rollback: false }
  }
  if (value === undefined) return base
  if (!isObject(value)) throw invalidParameter(field, `${field} must be an object.`)
  const known = new Set(['minimumHealthyPercent', 'maximumPercent', 'deploymentCircuitBreaker', 'strategy', 'alarms', 'bakeTimeInMinutes', 'lifecycleHooks', 'linearConfiguration', 'canaryConfiguration', 'earlySuccessCriteria'])
  for (const key of Object.keys(value)) if (!known.has(key)) throw invalidParameter(`${field}.${key}`, `${field}.${key} is not a member of DeploymentConfiguration.`)
  for (const key of ['alarms', 'lifecycleHooks', 'earlySuccessCriteria']) {
    if (value[key] !== undefined) throw new EcsError('UnsupportedFeatureException', `${field}.${key} is not supported by this engine.`, { field: `${field}.${key}` })
  }
  const strategyOf = value.strategy ?? previous?.strategy
  if (strategyOf !== undefined && !STRATEGIES.includes(strategyOf as DeploymentStrategy)) throw invalidParameter(`${field}.strategy`, `${field}.strategy must be one of ${STRATEGIES.join(', ')}.`)
  const traffic = checkTrafficShift(value, (strategyOf ?? 'ROLLING') as DeploymentStrategy, previous, field)
  if (strategyOf !== undefined && strategyOf !== 'ROLLING' && strategy === 'DAEMON') {
    throw invalidParameter(`${field}.strategy`, `${field}.strategy ${String(strategyOf)} is not supported for services using the DAEMON scheduling strategy.`)
  }
  const min = value.minimumHealthyPercent ?? base.minimumHealthyPercent
  const max = value.maximumPercent ?? base.maximumPercent
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > 100) {
    throw invalidParameter(`${field}.minimumHealthyPercent`, `${field}.minimumHealthyPercent must be a whole number from 0 to 100, got ${JSON.stringify(min)}.`, 100)
  }
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > SERVICE_LIMITS.maximumPercent) {
    throw invalidParameter(`${field}.maximumPercent`, `${field}.maximumPercent must be a whole number from 1 to ${SERVICE_LIMITS.maximumPercent}, got ${JSON.stringify(max)}.`, SERVICE_LIMITS.maximumPercent)
  }
  if (max < min) throw invalidParameter(`${field}.maximumPercent`, `${field}.maximumPercent (${max}) must be at least minimumHealthyPercent (${min}).`)
  if (strategy === 'DAEMON' && max !== 100) {
    throw invalidParameter(`${field}.maximumPercent`, `The maximumPercent for a DAEMON service must be 100, got ${max}.`, 100)
  }
  let breaker = base.deploymentCircuitBreaker
  const cb = value.deploymentCircuitBreaker
  if (cb !== undefined) {
    if (!isObject(cb)) throw invalidParameter(`${field}.deploymentCircuitBreaker`, `${field}.deploymentCircuitBreaker must be an object with enable and rollback.`)
    if (typeof cb.enable !== 'boolean') throw invalidParameter(`${field}.deploymentCircuitBreaker.enable`, `${field}.deploymentCircuitBreaker.enable is required (true or false).`)
    if (typeof cb.rollback !== 'boolean') throw invalidParameter(`${field}.deploymentCircuitBreaker.rollback`, `${field}.deploymentCircuitBreaker.rollback is required (true or false).`)
    breaker = { enable: cb.enable, rollback: cb.rollback }
  }
  return { minimumHealthyPercent: min, maximumPercent: max, deploymentCircuitBreaker: breaker, ...(strategyOf !== undefined ? { strategy: strategyOf as DeploymentStrategy } : {}), ...traffic }
}

export function checkPlacementConstraints(value: unknown, field = 'placementConstraints'): PlacementConstraint[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  if (value.length > SERVICE_LIMITS.placementConstraints) {
    throw invalidParameter(field, `${field}: you can specify a maximum of ${SERVICE_LIMITS.placementConstraints} constraints, got ${value.length}.`, SERVICE_LIMITS.placementConstraints)
  }
  return value.map((c: unknown, i) => {
    const f = `${field}[${i}]`
    if (!isObject(c)) throw invalidParameter(f, `${f} must be an object with a type.`)
    if (c.type !== 'distinctInstance' && c.type !== 'memberOf') throw invalidParameter(`${f}.type`, `${f}.type must be distinctInstance or memberOf.`)
    if (c.type === 'memberOf' && (typeof c.expression !== 'string' || c.expression.length === 0)) throw invalidParameter(`${f}.expression`, `${f}.expression is required for a memberOf constraint.`)
    if (c.type === 'distinctInstance' && c.expression !== undefined) throw invalidParameter(`${f}.expression`, `${f}.expression: a distinctInstance constraint takes no expression.`)
    if (c.expression !== undefined && (typeof c.expression !== 'string' || c.expression.length > 2000)) throw invalidParameter(`${f}.expression`, `${f}.expression is at most 2000 characters.`, 2000)
    return c.expression === undefined ? { type: c.type } : { type: c.type, expression: c.expression as string }
  })
}

export function checkPlacementStrategy(value: unknown, field = 'placementStrategy'): PlacementStrategy[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  if (value.length > SERVICE_LIMITS.placementStrategies) {
    throw invalidParameter(field, `${field}: you can specify a maximum of ${SERVICE_LIMITS.placementStrategies} strategy rules, got ${value.length}.`, SERVICE_LIMITS.placementStrategies)
  }
  return value.map((s: unknown, i) => {
    const f = `${field}[${i}]`
    if (!isObject(s)) throw invalidParameter(f, `${f} must be an object with a type.`)
    if (s.type !== 'random' && s.type !== 'spread' && s.type !== 'binpack') throw invalidParameter(`${f}.type`, `${f}.type must be random, spread or binpack.`)
    if (s.type === 'binpack' && s.field !== 'cpu' && s.field !== 'memory') throw invalidParameter(`${f}.field`, `${f}.field must be cpu or memory for binpack.`)
    if (s.type === 'spread' && (typeof s.field !== 'string' || s.field.length === 0)) throw invalidParameter(`${f}.field`, `${f}.field is required for spread (instanceId, host or attribute:<name>).`)
    if (s.type === 'random' && s.field !== undefined) throw invalidParameter(`${f}.field`, `${f}.field: the random strategy takes no field.`)
    return s.field === undefined ? { type: s.type } : { type: s.type, field: s.field as string }
  })
}

export function checkCapacityProviderStrategy(value: unknown, field = 'capacityProviderStrategy'): CapacityProviderStrategyItem[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  if (value.length > SERVICE_LIMITS.capacityProviders) throw invalidParameter(field, `${field}: at most ${SERVICE_LIMITS.capacityProviders} capacity providers.`, SERVICE_LIMITS.capacityProviders)
  let bases = 0
  const seen = new Set<string>()
  const out = value.map((item: unknown, i) => {
    const f = `${field}[${i}]`
    if (!isObject(item) || typeof item.capacityProvider !== 'string' || item.capacityProvider.length === 0) throw invalidParameter(`${f}.capacityProvider`, `${f}.capacityProvider is required.`)
    if (seen.has(item.capacityProvider)) throw invalidParameter(`${f}.capacityProvider`, `${f}.capacityProvider ${item.capacityProvider} is listed twice.`)
    seen.add(item.capacityProvider)
    const weight = item.weight ?? 0
    const base = item.base ?? 0
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 1000) throw invalidParameter(`${f}.weight`, `${f}.weight must be a whole number from 0 to 1000.`, 1000)
    if (typeof base !== 'number' || !Number.isInteger(base) || base < 0 || base > 100000) throw invalidParameter(`${f}.base`, `${f}.base must be a whole number from 0 to 100000.`, 100000)
    if (base > 0) bases++
    return { capacityProvider: item.capacityProvider, weight, base }
  })
  if (bases > 1) throw invalidParameter(field, `${field}: only one capacity provider in a strategy can have a base defined.`)
  if (out.length > 0 && out.every((i) => i.weight === 0)) throw invalidParameter(field, `${field}: at least one capacity provider must have a weight greater than 0.`)
  return out
}

export function checkNetworkConfiguration(value: unknown, field = 'networkConfiguration'): NetworkConfiguration | undefined {
  if (value === undefined) return undefined
  if (!isObject(value)) throw invalidParameter(field, `${field} must be an object.`)
  const vpc = value.awsvpcConfiguration
  if (vpc === undefined) return {}
  const f = `${field}.awsvpcConfiguration`
  if (!isObject(vpc)) throw invalidParameter(f, `${f} must be an object.`)
  if (!Array.isArray(vpc.subnets) || vpc.subnets.length === 0 || vpc.subnets.some((s) => typeof s !== 'string')) throw invalidParameter(`${f}.subnets`, `${f}.subnets: at least one subnet is required.`)
  if (vpc.subnets.length > 16) throw invalidParameter(`${f}.subnets`, `${f}.subnets: at most 16 subnets.`, 16)
  if (vpc.securityGroups !== undefined && (!Array.isArray(vpc.securityGroups) || vpc.securityGroups.length > 5 || vpc.securityGroups.some((s) => typeof s !== 'string'))) {
    throw invalidParameter(`${f}.securityGroups`, `${f}.securityGroups: at most 5 security group ids.`, 5)
  }
  if (vpc.assignPublicIp !== undefined && vpc.assignPublicIp !== 'ENABLED' && vpc.assignPublicIp !== 'DISABLED') throw invalidParameter(`${f}.assignPublicIp`, `${f}.assignPublicIp must be ENABLED or DISABLED.`)
  return { awsvpcConfiguration: { subnets: vpc.subnets as string[], ...(vpc.securityGroups !== undefined ? { securityGroups: vpc.securityGroups as string[] } : {}), ...(vpc.assignPublicIp !== undefined ? { assignPublicIp: vpc.assignPublicIp } : {}) } }
}

/** serviceRegistries: checked in shape, then refused (this engine has no Cloud Map registries). */
export function refuseServiceRegistries(value: unknown, field = 'serviceRegistries'): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return
  if (!Array.isArray(value)) throw invalidParameter(field, `${field} must be a list.`)
  value.forEach((r: unknown, i) => {
    if (!isObject(r) || typeof r.registryArn !== 'string') throw invalidParameter(`${field}[${i}].registryArn`, `${field}[${i}].registryArn is required.`)
  })
  throw invalidParameter(`${field}[0].registryArn`, `${field}[0].registryArn: service registry ${(value[0] as { registryArn: string }).registryArn} not found (this engine has no Cloud Map registries).`)
}

/** Members of the model that Stratus does not act on: refused by name rather than ignored. */
export function refuseUnsupported(input: Record<string, unknown>): void {
  for (const key of ['serviceConnectConfiguration', 'volumeConfigurations', 'vpcLatticeConfigurations', 'gatewayConnectors', 'monitoring']) {
    const v = input[key]
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue
    throw new EcsError('UnsupportedFeatureException', `${key} is not supported by this engine.`, { field: key })
  }
}
