// RegisterTaskDefinition's request, checked whole before anything is stored:
// the task-level members, each container (container-definition-validation.ts),
// the volumes (volume-validation.ts), then the rules across them (unique
// names, mountPoints → volumes, volumesFrom and dependsOn → containers with no
// cycle, host ports, essential containers, cpu and memory sums) and the launch
// types' rules. FARGATE's rules decide `compatibilities`; when the request
// requires FARGATE, the first one broken is the refusal.

import type { Partition } from '../aws/partition.js'
import { tagsFromList, type TagMap } from '../aws/tags.js'
import type { Attribute, Compatibility, ContainerDefinition, NetworkMode, RegisterTaskDefinitionRequest, TaskDefinition } from './model-task-definitions.js'
import { checkContainerDefinition } from './container-definition-validation.js'
import { checkVolumes, type FargateProblem } from './volume-validation.js'
import { describeFargateMemory, FARGATE_SIZES, isFargateSize, parseCpu, parseMemory } from './fargate-sizes.js'
import { checkEnum, checkInt, checkList, checkNamed, checkObject, isObject, refuse, show } from './validation-checks.js'

export const TASK_DEFINITION_LIMITS = {
  familyLength: 255,
  containers: 10,
  /** EC2 task-level cpu (ECS: 128 units to 192 vCPUs). */
  minTaskCpu: 128,
  maxTaskCpu: 196_608,
  minTaskMemory: 6,
  ephemeralStorage: { min: 21, max: 200 },
  placementConstraints: 10
} as const

const REQUEST = new Set([
  'family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'containerDefinitions', 'volumes', 'placementConstraints', 'requiresCompatibilities',
  'cpu', 'memory', 'tags', 'pidMode', 'ipcMode', 'ephemeralStorage', 'runtimePlatform'
])
const FAMILY = /^[A-Za-z0-9_-]+$/
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/

export interface CheckedTaskDefinition {
  /** Everything but the members registration adds (arn, revision, status, registeredAt/By). */
  definition: TaskDefinition
  tags: TagMap | undefined
}

export function checkRegisterTaskDefinition(input: RegisterTaskDefinitionRequest, partition: Partition): CheckedTaskDefinition {
  void partition
  const r = checkObject(input, 'request', REQUEST, 'RegisterTaskDefinitionRequest')
  const family = checkNamed(r.family, 'family', FAMILY, `must be 1 to ${TASK_DEFINITION_LIMITS.familyLength} letters, digits, hyphens and underscores`, TASK_DEFINITION_LIMITS.familyLength)
  const networkMode: NetworkMode = r.networkMode === undefined ? 'bridge' : checkEnum(r.networkMode, 'networkMode', ['bridge', 'host', 'awsvpc', 'none'] as const)
  const required: Compatibility[] = r.requiresCompatibilities === undefined ? [] : checkList(r.requiresCompatibilities, 'requiresCompatibilities', 3).map((c, i) => checkEnum(c, `requiresCompatibilities[${i}]`, ['EC2', 'FARGATE', 'EXTERNAL'] as const))
  if (new Set(required).size !== required.length) refuse('requiresCompatibilities', `lists a launch type twice: ${required.join(', ')}`)

  if (r.containerDefinitions === undefined) refuse('containerDefinitions', 'is required: a task definition has 1 to 10 containers')
  if (!Array.isArray(r.containerDefinitions)) refuse('containerDefinitions', `must be a list of container definitions, got ${show(r.containerDefinitions)}`)
  if (r.containerDefinitions.length === 0) refuse('containerDefinitions', 'a task definition has at least one container', 1)
  if (r.containerDefinitions.length > TASK_DEFINITION_LIMITS.containers) {
    refuse(`containerDefinitions[${TASK_DEFINITION_LIMITS.containers}]`, `a task definition has at most ${TASK_DEFINITION_LIMITS.containers} containers, got ${r.containerDefinitions.length}`, TASK_DEFINITION_LIMITS.containers)
  }
  const fargate: FargateProblem[] = []
  const containers = r.containerDefinitions.map((raw, i) => {
    const checked = checkContainerDefinition(raw, `containerDefinitions[${i}]`, networkMode)
    fargate.push(...checked.fargate)
    return checked.container
  })
  const volumes = checkVolumes(r.volumes, 'volumes')
  fargate.push(...volumes.fargate)
  checkAcrossContainers(containers, volumes.names)

  const definition: TaskDefinition = { family, containerDefinitions: containers, networkMode, volumes: volumes.volumes, placementConstraints: [] }
  if (r.taskRoleArn !== undefined) definition.taskRoleArn = checkNamed(r.taskRoleArn, 'taskRoleArn', ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', 2048)
  if (r.executionRoleArn !== undefined) definition.executionRoleArn = checkNamed(r.executionRoleArn, 'executionRoleArn', ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', 2048)
  checkTaskResources(r, definition, containers, fargate)
  // No runner shares a process or IPC namespace between containers (or with the host) yet: a mode ECS would
  // apply is refused rather than stored and silently not run.
  if (r.pidMode !== undefined) {
    const mode = checkEnum(r.pidMode, 'pidMode', ['host', 'task'] as const)
    refuse('pidMode', `Stratus does not run pidMode yet (got ${mode}): its runners give each container its own process namespace; leave pidMode out`)
  }
  if (r.ipcMode !== undefined) {
    const mode = checkEnum(r.ipcMode, 'ipcMode', ['host', 'task', 'none'] as const)
    refuse('ipcMode', `Stratus does not run ipcMode yet (got ${mode}): its runners give each container its own IPC namespace; leave ipcMode out`)
  }
  if (r.placementConstraints !== undefined) {
    definition.placementConstraints = checkList(r.placementConstraints, 'placementConstraints', TASK_DEFINITION_LIMITS.placementConstraints).map((raw, i) => {
      const p = checkObject(raw, `placementConstraints[${i}]`, new Set(['type', 'expression']), 'TaskDefinitionPlacementConstraint')
      const type = checkEnum(p.type, `placementConstraints[${i}].type`, ['memberOf'] as const)
      if (typeof p.expression !== 'string' || p.expression.length === 0 || p.expression.length > 2000) refuse(`placementConstraints[${i}].expression`, 'memberOf needs a cluster query expression (at most 2000 characters)', 2000)
      return { type, expression: p.expression }
    })
    if (definition.placementConstraints.length > 0) fargate.push({ field: 'placementConstraints', message: 'Fargate tasks take no placement constraints' })
  }
  if (r.runtimePlatform !== undefined) {
    const p = checkObject(r.runtimePlatform, 'runtimePlatform', new Set(['cpuArchitecture', 'operatingSystemFamily']), 'RuntimePlatform')
    definition.runtimePlatform = {}
    if (p.cpuArchitecture !== undefined) definition.runtimePlatform.cpuArchitecture = checkEnum(p.cpuArchitecture, 'runtimePlatform.cpuArchitecture', ['X86_64', 'ARM64'] as const)
    if (p.operatingSystemFamily !== undefined) {
      if (p.operatingSystemFamily !== 'LINUX') refuse('runtimePlatform.operatingSystemFamily', `Stratus runs Linux containers only (LINUX), got ${show(p.operatingSystemFamily)}`)
      definition.runtimePlatform.operatingSystemFamily = 'LINUX'
    }
  }
  if (networkMode !== 'awsvpc') fargate.unshift({ field: 'networkMode', message: `Fargate requires network mode awsvpc, got ${networkMode}` })

  if (required.includes('FARGATE') && fargate.length > 0) refuse(fargate[0].field, `${fargate[0].message} (requiresCompatibilities includes FARGATE)`)
  if (required.length === 0 || required.includes('EC2') || required.includes('EXTERNAL')) checkEc2Memory(definition, containers)

  const compatibilities: Compatibility[] = ['EC2']
  if (fargate.length === 0) compatibilities.push('FARGATE')
  if (required.includes('EXTERNAL')) compatibilities.push('EXTERNAL')
  definition.compatibilities = compatibilities
  definition.requiresCompatibilities = required
  definition.requiresAttributes = requiredAttributes(definition)
  const tags = tagsFromList(r.tags as RegisterTaskDefinitionRequest['tags'] as Array<{ key?: string; value?: string }> | undefined, 'tags', 'InvalidParameterException')
  return { definition, tags }
}

/** Names, references between containers and to volumes, ports, essential containers. */
function checkAcrossContainers(containers: ContainerDefinition[], volumeNames: Set<string>): void {
  const index = new Map<string, number>()
  containers.forEach((c, i) => {
    if (index.has(c.name!)) refuse(`containerDefinitions[${i}].name`, `container name ${c.name} is used twice; container names must be unique in a task definition`)
    index.set(c.name!, i)
  })
  if (!containers.some((c) => c.essential)) refuse('containerDefinitions', 'at least one container must be essential (essential: true)')
  const hostPorts = new Map<string, string>()
  const portNames = new Map<string, string>()
  containers.forEach((c, i) => {
    const f = `containerDefinitions[${i}]`
    c.mountPoints!.forEach((m, j) => {
      if (!volumeNames.has(m.sourceVolume!)) refuse(`${f}.mountPoints[${j}].sourceVolume`, `names no volume of the task definition: ${m.sourceVolume} (volumes: ${[...volumeNames].join(', ') || 'none'})`)
    })
    c.volumesFrom!.forEach((v, j) => {
      if (!index.has(v.sourceContainer!)) refuse(`${f}.volumesFrom[${j}].sourceContainer`, `names no container of the task definition: ${v.sourceContainer}`)
      if (v.sourceContainer === c.name) refuse(`${f}.volumesFrom[${j}].sourceContainer`, 'a container cannot take volumes from itself')
    })
    c.portMappings!.forEach((p, j) => {
      const pf = `${f}.portMappings[${j}]`
      if (p.hostPort !== 0) {
        const key = `${p.hostPort}/${p.protocol}`
        if (hostPorts.has(key)) refuse(`${pf}.hostPort`, `host port ${key} is already mapped by ${hostPorts.get(key)}; a host port is mapped once per task`)
        hostPorts.set(key, pf)
      }
      if (p.name !== undefined) {
        if (portNames.has(p.name)) refuse(`${pf}.name`, `port mapping name ${p.name} is already used by ${portNames.get(p.name)}; names are unique in a task definition`)
        portNames.set(p.name, pf)
      }
    })
    c.dependsOn?.forEach((d, j) => {
      const df = `${f}.dependsOn[${j}]`
      const target = index.get(d.containerName)
      if (target === undefined) refuse(`${df}.containerName`, `names no container of the task definition: ${d.containerName}`)
      if (target === i) refuse(`${df}.containerName`, 'a container cannot depend on itself')
      const other = containers[target]
      if (d.condition === 'HEALTHY' && other.healthCheck === undefined) refuse(`${df}.condition`, `HEALTHY needs container ${d.containerName} to have a healthCheck`)
      if ((d.condition === 'COMPLETE' || d.condition === 'SUCCESS') && other.essential) {
        refuse(`${df}.condition`, `${d.condition} cannot be set on an essential container (${d.containerName} is essential: its exit stops the task)`)
      }
    })
  })
  // No cycles: a depth-first walk over dependsOn.
  const state = new Map<number, 'visiting' | 'done'>()
  const visit = (i: number, path: string[]): void => {
    if (state.get(i) === 'done') return
    if (state.get(i) === 'visiting') refuse(`containerDefinitions[${i}].dependsOn`, `the containers depend on each other in a cycle: ${[...path, containers[i].name].join(' → ')}`)
    state.set(i, 'visiting')
    for (const d of containers[i].dependsOn ?? []) visit(index.get(d.containerName)!, [...path, containers[i].name!])
    state.set(i, 'done')
  }
  containers.forEach((_, i) => visit(i, []))
}

/** Task-level cpu, memory and ephemeral storage, and the containers' sums against them. */
function checkTaskResources(r: Record<string, unknown>, definition: TaskDefinition, containers: ContainerDefinition[], fargate: FargateProblem[]): void {
  let cpu: number | undefined
  let memory: number | undefined
  if (r.cpu !== undefined) {
    cpu = parseCpu(r.cpu)
    if (typeof r.cpu !== 'string' || cpu === undefined) refuse('cpu', `must be CPU units ("256") or vCPUs ("0.25 vCPU"), as a string; got ${show(r.cpu)}`)
    checkInt(cpu, 'cpu', TASK_DEFINITION_LIMITS.minTaskCpu, TASK_DEFINITION_LIMITS.maxTaskCpu)
    definition.cpu = String(cpu)
  }
  if (r.memory !== undefined) {
    memory = parseMemory(r.memory)
    if (typeof r.memory !== 'string' || memory === undefined) refuse('memory', `must be MiB ("512") or GB ("0.5GB", "1 GB"), as a string; got ${show(r.memory)}`)
    checkInt(memory, 'memory', TASK_DEFINITION_LIMITS.minTaskMemory, 0x7fffffff)
    definition.memory = String(memory)
  }
  if (cpu !== undefined) {
    const sum = containers.reduce((s, c) => s + (c.cpu ?? 0), 0)
    if (sum > cpu) refuse('containerDefinitions', `the containers' cpu (${sum} units together) must not exceed the task's cpu (${cpu})`, cpu)
  }
  if (memory !== undefined) {
    containers.forEach((c, i) => {
      if (c.memory !== undefined && c.memory > memory!) refuse(`containerDefinitions[${i}].memory`, `must not exceed the task's memory (${memory} MiB), got ${c.memory}`, memory)
    })
    const reserved = containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0)
    if (reserved > memory) refuse('containerDefinitions', `the containers' memory reservations (${reserved} MiB together) must not exceed the task's memory (${memory} MiB)`, memory)
  }
  if (cpu === undefined || memory === undefined) {
    fargate.push({ field: cpu === undefined ? 'cpu' : 'memory', message: 'Fargate requires task-level cpu and memory' })
  } else if (!isFargateSize(cpu, memory)) {
    const allowed = FARGATE_SIZES.has(cpu)
      ? `with cpu ${cpu} Fargate takes memory ${describeFargateMemory(cpu)}`
      : `Fargate's cpu values are ${[...FARGATE_SIZES.keys()].join(', ')}`
    fargate.push({ field: FARGATE_SIZES.has(cpu) ? 'memory' : 'cpu', message: `No Fargate configuration exists for cpu ${cpu} and memory ${memory}: ${allowed}` })
  }
  if (r.ephemeralStorage !== undefined) {
    if (!isObject(r.ephemeralStorage)) refuse('ephemeralStorage', `must be { sizeInGiB }, got ${show(r.ephemeralStorage)}`)
    const e = checkObject(r.ephemeralStorage, 'ephemeralStorage', new Set(['sizeInGiB']), 'EphemeralStorage')
    const { min, max } = TASK_DEFINITION_LIMITS.ephemeralStorage
    definition.ephemeralStorage = { sizeInGiB: checkInt(e.sizeInGiB, 'ephemeralStorage.sizeInGiB', min, max) }
  }
}

/** EC2: with no task-level memory, every container says its memory or memoryReservation. */
function checkEc2Memory(definition: TaskDefinition, containers: ContainerDefinition[]): void {
  if (definition.memory !== undefined) return
  containers.forEach((c, i) => {
    if (c.memory === undefined && c.memoryReservation === undefined) {
      refuse(`containerDefinitions[${i}].memory`, `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified (or task-level memory)`)
    }
  })
}

/** The capabilities an instance needs for this definition, as ECS lists them in requiresAttributes. */
function requiredAttributes(d: TaskDefinition): Attribute[] {
  const names = new Set<string>()
  const cs = d.containerDefinitions ?? []
  if (d.networkMode === 'awsvpc') names.add('ecs.capability.task-eni')
  if (d.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role')
  if (cs.some((c) => c.logConfiguration?.logDriver === 'awslogs')) names.add('com.amazonaws.ecs.capability.logging-driver.awslogs')
  if (d.executionRoleArn && cs.some((c) => c.logConfiguration?.logDriver === 'awslogs')) names.add('ecs.capability.execution-role-awslogs')
  if (cs.some((c) => c.healthCheck)) names.add('ecs.capability.container-health-check')
  if (cs.some((c) => (c.dependsOn?.length ?? 0) > 0)) names.add('ecs.capability.container-ordering')
  if ((d.volumes ?? []).some((v) => v.efsVolumeConfiguration)) names.add('ecs.capability.efsAuth')
  if ((d.volumes ?? []).some((v) => v.dockerVolumeConfiguration)) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.25')
  if (cs.some((c) => c.dockerLabels)) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.18')
  if (cs.some((c) => c.linuxParameters?.initProcessEnabled)) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.25')
  if (cs.some((c) => c.memoryReservation !== undefined)) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.21')
  return [...names].sort().map((name) => ({ name }))
}
