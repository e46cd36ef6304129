// RunTask's and StartTask's input checked whole before anything is written:
// every bad member refused with InvalidParameterException naming it (and its
// limit), as ECS words it where ECS has words.

import { tagsFromList } from '../aws/tags.js'
import { clientException, invalidParameter } from './errors.js'
import { describeFargateMemory, FARGATE_SIZES, isFargateSize } from './fargate-sizes.js'
import type { LaunchRequest } from './run-task.js'
import type { PlacementConstraint } from './model-tasks.js'

/** At most this many placement constraints per task, the definition's and the request's together (ECS's limit). */
export const MAX_TASK_CONSTRAINTS = 10

/**
 * The constraints a task is placed under: its task definition's (memberOf)
 * and the request's (RunTask's, or a service's), together at most 10 — ECS
 * counts both against the limit. Services and RunTask get these through
 * launchTasks; the DAEMON scheduler calls it with the service's constraints.
 */
export function taskConstraints(definition: { placementConstraints?: readonly PlacementConstraint[] }, requested: readonly PlacementConstraint[] | undefined, field = 'placementConstraints'): PlacementConstraint[] {
  const all = [...(definition.placementConstraints ?? []), ...(requested ?? [])]
  if (all.length > MAX_TASK_CONSTRAINTS) {
    throw invalidParameter(field, `You can specify a maximum of ${MAX_TASK_CONSTRAINTS} constraints for each task. This limit includes constraints in the task definition and those specified at runtime (${all.length} given).`, MAX_TASK_CONSTRAINTS)
  }
  return all
}

const STRING_LIST = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string')

export function checkLaunch(r: LaunchRequest): void {
  if (r === null || typeof r !== 'object') throw invalidParameter('request', 'The request must be an object.')
  if (typeof r.taskDefinition !== 'string' || r.taskDefinition.length === 0) throw invalidParameter('taskDefinition', 'taskDefinition is required.')
  if (r.cluster !== undefined && (typeof r.cluster !== 'string' || r.cluster.length === 0)) throw invalidParameter('cluster', 'cluster must be a cluster name or ARN.')
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > 10) throw invalidParameter('count', `count must be an integer from 1 to 10, got ${String(r.count)}.`, 10)
  if (r.startedBy !== undefined && (typeof r.startedBy !== 'string' || r.startedBy.length > 128)) throw invalidParameter('startedBy', 'startedBy can be at most 128 characters.', 128)
  if (r.group !== undefined && (typeof r.group !== 'string' || r.group.length === 0 || r.group.length > 255)) throw invalidParameter('group', 'group must be 1 to 255 characters.', 255)
  if (r.enableExecuteCommand !== undefined && typeof r.enableExecuteCommand !== 'boolean') throw invalidParameter('enableExecuteCommand', 'enableExecuteCommand must be a boolean.')
  if (r.launchType !== undefined && typeof r.launchType !== 'string') throw invalidParameter('launchType', 'launchType must be EC2 or FARGATE.')
  checkPlacement(r)
  tagsFromList(r.tags, 'tags', 'InvalidParameterException')
  checkOverrides(r)
  const vpc = r.networkConfiguration?.awsvpcConfiguration
  if (r.networkConfiguration !== undefined && (typeof r.networkConfiguration !== 'object' || vpc === undefined)) {
    throw invalidParameter('networkConfiguration.awsvpcConfiguration', 'networkConfiguration must have an awsvpcConfiguration.')
  }
  if (vpc !== undefined) {
    const at = 'networkConfiguration.awsvpcConfiguration'
    if (!STRING_LIST(vpc.subnets) || vpc.subnets.length === 0) throw invalidParameter(`${at}.subnets`, 'subnets can not be empty.', 16)
    if (vpc.subnets.length > 16) throw invalidParameter(`${at}.subnets`, 'At most 16 subnets can be specified.', 16)
    if (vpc.securityGroups !== undefined && (!STRING_LIST(vpc.securityGroups) || vpc.securityGroups.length > 5)) throw invalidParameter(`${at}.securityGroups`, 'At most 5 security groups can be specified.', 5)
    if (vpc.assignPublicIp !== undefined && vpc.assignPublicIp !== 'ENABLED' && vpc.assignPublicIp !== 'DISABLED') throw invalidParameter(`${at}.assignPublicIp`, 'assignPublicIp must be ENABLED or DISABLED.')
  }
  if (r.platformVersion !== undefined && typeof r.platformVersion !== 'string') throw invalidParameter('platformVersion', 'platformVersion must be a string.')
  if (r.containerInstances !== undefined && (!STRING_LIST(r.containerInstances))) throw invalidParameter('containerInstances', 'containerInstances must be a list of container instance ids or ARNs.', 10)
}

function checkPlacement(r: LaunchRequest): void {
  const constraints = r.placementConstraints
  if (constraints !== undefined) {
    if (!Array.isArray(constraints)) throw invalidParameter('placementConstraints', 'placementConstraints must be a list.')
    if (constraints.length > 10) throw invalidParameter('placementConstraints', 'A maximum of 10 placement constraints can be specified.', 10)
    constraints.forEach((c, i) => {
      if (c?.type !== 'distinctInstance' && c?.type !== 'memberOf') throw invalidParameter(`placementConstraints[${i}].type`, 'type must be distinctInstance or memberOf.')
      if (c.type === 'memberOf' && (typeof c.expression !== 'string' || c.expression.length === 0 || c.expression.length > 2000)) {
        throw invalidParameter(`placementConstraints[${i}].expression`, 'An expression of 1 to 2000 characters is required for memberOf.', 2000)
      }
      if (c.type === 'distinctInstance' && c.expression !== undefined) throw invalidParameter(`placementConstraints[${i}].expression`, 'distinctInstance takes no expression.')
    })
  }
  const strategies = r.placementStrategy
  if (strategies !== undefined) {
    if (!Array.isArray(strategies)) throw invalidParameter('placementStrategy', 'placementStrategy must be a list.')
    if (strategies.length > 5) throw invalidParameter('placementStrategy', 'A maximum of 5 placement strategies can be specified.', 5)
    strategies.forEach((s, i) => {
      const at = `placementStrategy[${i}]`
      if (s?.type === 'random') return
      if (s?.type === 'binpack') {
        if (s.field !== 'cpu' && s.field !== 'memory') throw invalidParameter(`${at}.field`, 'binpack field must be cpu or memory.')
        return
      }
      if (s?.type === 'spread') {
        if (typeof s.field !== 'string' || !(s.field === 'instanceId' || s.field === 'host' || s.field.startsWith('attribute:'))) {
          throw invalidParameter(`${at}.field`, 'spread field must be instanceId, host or attribute:<name>.')
        }
        return
      }
      throw invalidParameter(`${at}.type`, 'type must be random, spread or binpack.')
    })
  }
}

function checkOverrides(r: LaunchRequest): void {
  const o = r.overrides
  if (o === undefined) return
  if (o === null || typeof o !== 'object') throw invalidParameter('overrides', 'overrides must be an object.')
  for (const key of ['cpu', 'memory', 'taskRoleArn', 'executionRoleArn'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw invalidParameter(`overrides.${key}`, `${key} must be a string.`)
  }
  if (o.cpu !== undefined && !/^\s*[\d.]+\s*(vcpu)?\s*$/i.test(o.cpu)) throw invalidParameter('overrides.cpu', `cpu must be CPU units or vCPUs, got ${o.cpu}.`)
  if (o.memory !== undefined && !/^\s*[\d.]+\s*(gb)?\s*$/i.test(o.memory)) throw invalidParameter('overrides.memory', `memory must be MiB or GB, got ${o.memory}.`)
  if (o.ephemeralStorage !== undefined) {
    const size = o.ephemeralStorage?.sizeInGiB
    if (!Number.isInteger(size) || size < 21 || size > 200) throw invalidParameter('overrides.ephemeralStorage.sizeInGiB', 'sizeInGiB must be an integer from 21 to 200.', 200)
  }
  const list = o.containerOverrides
  if (list === undefined) return
  if (!Array.isArray(list)) throw invalidParameter('overrides.containerOverrides', 'containerOverrides must be a list.')
  list.forEach((c, i) => {
    const at = `overrides.containerOverrides[${i}]`
    if (typeof c?.name !== 'string' || c.name.length === 0) throw invalidParameter(`${at}.name`, 'name is required.')
    if (c.command !== undefined && !STRING_LIST(c.command)) throw invalidParameter(`${at}.command`, 'command must be a list of strings.')
    if (c.environment !== undefined) {
      if (!Array.isArray(c.environment)) throw invalidParameter(`${at}.environment`, 'environment must be a list of { name, value }.')
      c.environment.forEach((kv, k) => {
        if (typeof kv?.name !== 'string' || kv.name.length === 0) throw invalidParameter(`${at}.environment[${k}].name`, 'name is required.')
        if (kv.value !== undefined && typeof kv.value !== 'string') throw invalidParameter(`${at}.environment[${k}].value`, 'value must be a string.')
      })
    }
    for (const key of ['cpu', 'memory', 'memoryReservation'] as const) {
      const v = c[key]
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw invalidParameter(`${at}.${key}`, `${key} must be a non-negative integer.`)
    }
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      throw invalidParameter(`${at}.memoryReservation`, 'The memory reservation must be less than or equal to the memory limit.')
    }
    if (c.environmentFiles !== undefined && c.environmentFiles.length > 0) throw invalidParameter(`${at}.environmentFiles`, 'environmentFiles (S3 objects) are not available in Stratus: there is no S3 here.')
  })
}

/**
 * The overrides checked against the definition they apply to: every
 * containerOverrides entry names one of its containers (ECS's words), and a
 * Fargate task's cpu and memory, as overridden, are one of Fargate's sizes
 * (`fargate`: the task's units and MiB after the overrides; undefined off Fargate).
 */
export function checkOverridesAgainst(definition: { containerDefinitions: ReadonlyArray<{ name: string }> }, o: LaunchRequest['overrides'], fargate: { cpu: number | undefined; memory: number | undefined } | undefined): void {
  const names = new Set(definition.containerDefinitions.map((c) => c.name))
  o?.containerOverrides?.forEach((c, i) => {
    if (!names.has(c.name ?? '')) throw invalidParameter(`overrides.containerOverrides[${i}].name`, `Override for container named ${c.name} is not a container in the TaskDefinition.`)
  })
  if (fargate === undefined || (o?.cpu === undefined && o?.memory === undefined)) return
  const { cpu, memory } = fargate
  if (cpu !== undefined && memory !== undefined && isFargateSize(cpu, memory)) return
  const field = o.cpu !== undefined && (cpu === undefined || !FARGATE_SIZES.has(cpu)) ? 'overrides.cpu' : o.memory !== undefined ? 'overrides.memory' : 'overrides.cpu'
  const allowed = cpu !== undefined && FARGATE_SIZES.has(cpu)
    ? `with cpu ${cpu} Fargate takes memory ${describeFargateMemory(cpu)}`
    : `Fargate's cpu values are ${[...FARGATE_SIZES.keys()].join(', ')}`
  throw clientException(field, `No Fargate configuration exists for given values: cpu ${cpu ?? 'unset'}, memory ${memory ?? 'unset'} (${allowed}).`)
}
