// One container definition of a task definition, checked member by member as
// ECS checks it, and returned in the shape DescribeTaskDefinition shows
// (defaults filled as ECS fills them: essential true, portMappings' protocol
// tcp and hostPort, healthCheck's interval/timeout/retries). Rules that need
// the other containers (names, dependsOn, volumesFrom, ports across the task)
// are checked by task-definition-validation.ts.

import { ULIMIT_NAMES } from '../runners/index.js'
import type { ContainerDefinition, HealthCheck, LogConfiguration, NetworkMode, PortMapping } from './model-task-definitions.js'
import type { FargateProblem } from './volume-validation.js'
import {
  checkAbsolutePath, checkBool, checkEnum, checkInt, checkList, checkNamed, checkObject, checkString, checkStringArray, checkStringMap, isObject, refuse, show
} from './validation-checks.js'

const CONTAINER = new Set([
  'name', 'image', 'cpu', 'memory', 'memoryReservation', 'portMappings', 'essential', 'entryPoint', 'command', 'environment', 'environmentFiles',
  'mountPoints', 'volumesFrom', 'linuxParameters', 'dependsOn', 'stopTimeout', 'user', 'workingDirectory', 'privileged', 'readonlyRootFilesystem',
  'dockerLabels', 'ulimits', 'logConfiguration', 'healthCheck'
])
const PORT_MAPPING = new Set(['containerPort', 'hostPort', 'protocol', 'name', 'appProtocol'])
const HEALTH_CHECK = new Set(['command', 'interval', 'timeout', 'retries', 'startPeriod'])
const LOG_CONFIGURATION = new Set(['logDriver', 'options'])
const LINUX_PARAMETERS = new Set(['initProcessEnabled'])
const NAME = /^[A-Za-z0-9_-]+$/
const PORT_NAME = /^[a-z0-9_][a-z0-9_-]{0,63}$/
/** ECS's drivers (LogDriver in the service model). */
const ECS_LOG_DRIVERS = ['json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens']
/** What Stratus honours: awslogs goes to the engine's CloudWatch Logs, json-file is the runner's own output. */
const STRATUS_LOG_DRIVERS = new Set(['awslogs', 'json-file'])
const AWSLOGS_OPTIONS = new Set(['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix', 'awslogs-create-group', 'awslogs-datetime-format', 'awslogs-multiline-pattern', 'mode', 'max-buffer-size'])

export const CONTAINER_LIMITS = {
  /** Docker's smallest hard memory limit, which ECS enforces too. */
  minMemoryMiB: 6,
  maxCpuUnits: 196_608,
  maxPortMappings: 100,
  maxStopTimeout: 120,
  maxUlimits: 32
} as const

export const HEALTH_CHECK_LIMITS = {
  interval: { min: 5, max: 300, default: 30 },
  timeout: { min: 2, max: 60, default: 5 },
  retries: { min: 1, max: 10, default: 3 },
  startPeriod: { min: 0, max: 300 }
} as const

export interface CheckedContainer {
  container: ContainerDefinition
  /** Rules Fargate adds that this container breaks (the definition is then not FARGATE-compatible). */
  fargate: FargateProblem[]
}

export function checkContainerDefinition(raw: unknown, field: string, networkMode: NetworkMode): CheckedContainer {
  const c = checkObject(raw, field, CONTAINER, 'ContainerDefinition')
  const fargate: FargateProblem[] = []
  const name = checkNamed(c.name, `${field}.name`, NAME, 'must be 1 to 255 letters, digits, hyphens and underscores', 255)
  const image = checkString(c.image, `${field}.image`, 2048)
  const out: ContainerDefinition = { name, image }
  if (c.cpu !== undefined) out.cpu = checkInt(c.cpu, `${field}.cpu`, 0, CONTAINER_LIMITS.maxCpuUnits)
  if (c.memory !== undefined) out.memory = checkInt(c.memory, `${field}.memory`, CONTAINER_LIMITS.minMemoryMiB, 0x7fffffff)
  if (c.memoryReservation !== undefined) out.memoryReservation = checkInt(c.memoryReservation, `${field}.memoryReservation`, CONTAINER_LIMITS.minMemoryMiB, 0x7fffffff)
  if (out.memory !== undefined && out.memoryReservation !== undefined && out.memoryReservation > out.memory) {
    refuse(`${field}.memoryReservation`, `must not be greater than memory (${out.memory} MiB), got ${out.memoryReservation}`, out.memory)
  }
  out.portMappings = c.portMappings === undefined ? [] : checkPortMappings(c.portMappings, `${field}.portMappings`, networkMode)
  out.essential = checkBool(c.essential, `${field}.essential`) ?? true
  if (c.entryPoint !== undefined) out.entryPoint = checkStringArray(c.entryPoint, `${field}.entryPoint`)
  if (c.command !== undefined) out.command = checkStringArray(c.command, `${field}.command`)
  out.environment = c.environment === undefined ? [] : checkEnvironment(c.environment, `${field}.environment`)
  if (c.environmentFiles !== undefined && !(Array.isArray(c.environmentFiles) && c.environmentFiles.length === 0)) {
    // ECS reads environment files from Amazon S3 (type s3, an object ARN): Stratus has no S3.
    refuse(`${field}.environmentFiles`, 'environment files are read from Amazon S3, which Stratus does not have; give the variables in environment instead')
  }
  out.mountPoints = c.mountPoints === undefined ? [] : checkList(c.mountPoints, `${field}.mountPoints`, 100).map((m, i) => {
    const f = `${field}.mountPoints[${i}]`
    const mp = checkObject(m, f, new Set(['sourceVolume', 'containerPath', 'readOnly']), 'MountPoint')
    return {
      sourceVolume: checkString(mp.sourceVolume, `${f}.sourceVolume`, 255),
      containerPath: checkAbsolutePath(mp.containerPath, `${f}.containerPath`),
      readOnly: checkBool(mp.readOnly, `${f}.readOnly`) ?? false
    }
  })
  out.volumesFrom = c.volumesFrom === undefined ? [] : checkList(c.volumesFrom, `${field}.volumesFrom`, 10).map((v, i) => {
    const f = `${field}.volumesFrom[${i}]`
    const vf = checkObject(v, f, new Set(['sourceContainer', 'readOnly']), 'VolumeFrom')
    return { sourceContainer: checkString(vf.sourceContainer, `${f}.sourceContainer`, 255), readOnly: checkBool(vf.readOnly, `${f}.readOnly`) ?? false }
  })
  if (c.linuxParameters !== undefined) {
    const lp = checkObject(c.linuxParameters, `${field}.linuxParameters`, LINUX_PARAMETERS, 'LinuxParameters (Stratus: initProcessEnabled)')
    out.linuxParameters = {}
    const init = checkBool(lp.initProcessEnabled, `${field}.linuxParameters.initProcessEnabled`)
    if (init !== undefined) out.linuxParameters.initProcessEnabled = init
  }
  if (c.dependsOn !== undefined) {
    out.dependsOn = checkList(c.dependsOn, `${field}.dependsOn`, 10).map((d, i) => {
      const f = `${field}.dependsOn[${i}]`
      const dep = checkObject(d, f, new Set(['containerName', 'condition']), 'ContainerDependency')
      return { containerName: checkString(dep.containerName, `${f}.containerName`, 255), condition: checkEnum(dep.condition, `${f}.condition`, ['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'] as const) }
    })
  }
  if (c.stopTimeout !== undefined) out.stopTimeout = checkInt(c.stopTimeout, `${field}.stopTimeout`, 0, CONTAINER_LIMITS.maxStopTimeout)
  if (c.user !== undefined) out.user = checkString(c.user, `${field}.user`, 255)
  if (c.workingDirectory !== undefined) out.workingDirectory = checkAbsolutePath(c.workingDirectory, `${field}.workingDirectory`)
  const privileged = checkBool(c.privileged, `${field}.privileged`)
  if (privileged !== undefined) out.privileged = privileged
  if (privileged === true) fargate.push({ field: `${field}.privileged`, message: 'Fargate does not run privileged containers' })
  const readonly = checkBool(c.readonlyRootFilesystem, `${field}.readonlyRootFilesystem`)
  if (readonly !== undefined) out.readonlyRootFilesystem = readonly
  if (c.dockerLabels !== undefined) out.dockerLabels = checkStringMap(c.dockerLabels, `${field}.dockerLabels`)
  if (c.ulimits !== undefined) out.ulimits = checkUlimits(c.ulimits, `${field}.ulimits`)
  if (c.logConfiguration !== undefined) out.logConfiguration = checkLogConfiguration(c.logConfiguration, `${field}.logConfiguration`, fargate)
  if (c.healthCheck !== undefined) out.healthCheck = checkHealthCheck(c.healthCheck, `${field}.healthCheck`)
  return { container: out, fargate }
}

function checkPortMappings(value: unknown, field: string, networkMode: NetworkMode): PortMapping[] {
  const list = checkList(value, field, CONTAINER_LIMITS.maxPortMappings)
  if (list.length > 0 && networkMode === 'none') refuse(field, 'a task definition of network mode none publishes no ports')
  return list.map((raw, i) => {
    const f = `${field}[${i}]`
    const p = checkObject(raw, f, PORT_MAPPING, 'PortMapping')
    const containerPort = checkInt(p.containerPort, `${f}.containerPort`, 1, 65535)
    let hostPort: number
    if (networkMode === 'awsvpc' || networkMode === 'host') {
      // ECS: under awsvpc and host the host port is the container port (or omitted).
      hostPort = p.hostPort === undefined ? containerPort : checkInt(p.hostPort, `${f}.hostPort`, 0, 65535)
      if (hostPort !== containerPort) refuse(`${f}.hostPort`, `must equal containerPort (${containerPort}) or be omitted in network mode ${networkMode}, got ${hostPort}`)
    } else {
      // bridge: 0 or absent is a dynamic host port, chosen when the task is placed.
      hostPort = p.hostPort === undefined ? 0 : checkInt(p.hostPort, `${f}.hostPort`, 0, 65535)
    }
    const protocol = p.protocol === undefined ? 'tcp' : checkEnum(p.protocol, `${f}.protocol`, ['tcp', 'udp'] as const)
    const out: PortMapping = { containerPort, hostPort, protocol }
    if (p.name !== undefined) out.name = checkNamed(p.name, `${f}.name`, PORT_NAME, 'must be 1 to 64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen', 64)
    if (p.appProtocol !== undefined) {
      out.appProtocol = checkEnum(p.appProtocol, `${f}.appProtocol`, ['http', 'http2', 'grpc'] as const)
      if (out.name === undefined) refuse(`${f}.appProtocol`, 'needs the port mapping to have a name')
    }
    return out
  })
}

function checkEnvironment(value: unknown, field: string): Array<{ name: string; value: string }> {
  return checkList(value, field, 10_000).map((raw, i) => {
    const f = `${field}[${i}]`
    const e = checkObject(raw, f, new Set(['name', 'value']), 'KeyValuePair')
    const name = checkString(e.name, `${f}.name`, 4096)
    if (e.value !== undefined && typeof e.value !== 'string') refuse(`${f}.value`, `must be a string, got ${show(e.value)}`)
    return { name, value: (e.value as string | undefined) ?? '' }
  })
}

function checkUlimits(value: unknown, field: string): Array<{ name: string; softLimit: number; hardLimit: number }> {
  const seen = new Set<string>()
  return checkList(value, field, CONTAINER_LIMITS.maxUlimits).map((raw, i) => {
    const f = `${field}[${i}]`
    const u = checkObject(raw, f, new Set(['name', 'softLimit', 'hardLimit']), 'Ulimit')
    if (typeof u.name !== 'string' || !ULIMIT_NAMES.has(u.name)) refuse(`${f}.name`, `must be one of ${[...ULIMIT_NAMES].join(', ')}, got ${show(u.name)}`)
    if (seen.has(u.name)) refuse(`${f}.name`, `ulimit ${u.name} is given twice`)
    seen.add(u.name)
    const softLimit = checkInt(u.softLimit, `${f}.softLimit`, 0, 0x7fffffff)
    const hardLimit = checkInt(u.hardLimit, `${f}.hardLimit`, 0, 0x7fffffff)
    if (softLimit > hardLimit) refuse(`${f}.softLimit`, `must not be greater than hardLimit (${hardLimit}), got ${softLimit}`, hardLimit)
    return { name: u.name, softLimit, hardLimit }
  })
}

function checkLogConfiguration(value: unknown, field: string, fargate: FargateProblem[]): LogConfiguration {
  if (isObject(value) && value.secretOptions !== undefined) refuse(`${field}.secretOptions`, 'secrets come from Secrets Manager or SSM Parameter Store, which Stratus does not have')
  const l = checkObject(value, field, LOG_CONFIGURATION, 'LogConfiguration')
  const logDriver = checkEnum(l.logDriver, `${field}.logDriver`, ECS_LOG_DRIVERS)
  if (!STRATUS_LOG_DRIVERS.has(logDriver)) {
    refuse(`${field}.logDriver`, `Stratus sends container output to awslogs (CloudWatch Logs) or keeps it as json-file; it has no ${logDriver} endpoint`)
  }
  const options = l.options === undefined ? {} : checkStringMap(l.options, `${field}.options`)
  if (logDriver !== 'awslogs') {
    fargate.push({ field: `${field}.logDriver`, message: `Fargate supports the awslogs log driver only, got ${logDriver}` })
    return { logDriver, options }
  }
  for (const key of Object.keys(options)) if (!AWSLOGS_OPTIONS.has(key)) refuse(`${field}.options.${key}`, `is not an awslogs option (${[...AWSLOGS_OPTIONS].join(', ')})`)
  checkString(options['awslogs-group'], `${field}.options.awslogs-group`, 512)
  const create = options['awslogs-create-group']
  if (create !== undefined && create !== 'true' && create !== 'false') refuse(`${field}.options.awslogs-create-group`, `must be "true" or "false", got ${show(create)}`)
  if (options['awslogs-stream-prefix'] === undefined || options['awslogs-stream-prefix'] === '') {
    fargate.push({ field: `${field}.options.awslogs-stream-prefix`, message: 'Fargate requires awslogs-stream-prefix with the awslogs log driver' })
  }
  return { logDriver, options }
}

function checkHealthCheck(value: unknown, field: string): HealthCheck {
  const h = checkObject(value, field, HEALTH_CHECK, 'HealthCheck')
  const command = checkStringArray(h.command, `${field}.command`)
  if (command.length === 0 || (command[0] !== 'CMD' && command[0] !== 'CMD-SHELL')) {
    refuse(`${field}.command`, `must start with CMD (a command and its arguments) or CMD-SHELL (a shell command), got ${show(command[0])}`)
  }
  if (command.length < 2) refuse(`${field}.command`, `${command[0]} needs a command after it`)
  const L = HEALTH_CHECK_LIMITS
  const out: HealthCheck = {
    command,
    interval: h.interval === undefined ? L.interval.default : checkInt(h.interval, `${field}.interval`, L.interval.min, L.interval.max),
    timeout: h.timeout === undefined ? L.timeout.default : checkInt(h.timeout, `${field}.timeout`, L.timeout.min, L.timeout.max),
    retries: h.retries === undefined ? L.retries.default : checkInt(h.retries, `${field}.retries`, L.retries.min, L.retries.max)
  }
  if (h.startPeriod !== undefined) out.startPeriod = checkInt(h.startPeriod, `${field}.startPeriod`, L.startPeriod.min, L.startPeriod.max)
  return out
}
