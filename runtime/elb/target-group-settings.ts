// A target group's settings as ELBv2 defines them: protocols per load
// balancer type, health check defaults per protocol and their ranges
// (CreateTargetGroup, ModifyTargetGroup), attributes with their defaults and
// checks (Describe/ModifyTargetGroupAttributes), and the TargetGroupConfig
// the data plane runs from them.

import type { HealthCheckConfig, TargetGroupConfig, TargetGroupProtocol } from '../lb/model.js'
import { Elbv2Error, validation } from './errors.js'
import { optionalBoolean, optionalInt, optionalString } from './input.js'
import type { Attribute, CreateTargetGroupInput, Matcher, ModifyTargetGroupInput, TargetGroup } from './model.js'
import type { TargetGroupRecord } from './records.js'

export const ALB_PROTOCOLS = ['HTTP', 'HTTPS'] as const
export const NLB_PROTOCOLS = ['TCP', 'TLS', 'UDP', 'TCP_UDP'] as const
export const TARGET_GROUP_PROTOCOLS: readonly TargetGroupProtocol[] = [...ALB_PROTOCOLS, ...NLB_PROTOCOLS]

/** Whether a target group of this protocol serves Application Load Balancers (else Network). */
export function isAlbProtocol(p: string): boolean {
  return p === 'HTTP' || p === 'HTTPS'
}

type HealthFields = Pick<TargetGroup, 'HealthCheckProtocol' | 'HealthCheckPort' | 'HealthCheckEnabled' | 'HealthCheckPath' | 'HealthCheckIntervalSeconds'
  | 'HealthCheckTimeoutSeconds' | 'HealthyThresholdCount' | 'UnhealthyThresholdCount' | 'Matcher'>

/** ELBv2's health check defaults for a target group protocol and health check protocol. */
function healthDefaults(protocol: TargetGroupProtocol, hcProtocol: 'HTTP' | 'HTTPS' | 'TCP'): Required<Omit<HealthFields, 'Matcher' | 'HealthCheckPath'>> & Pick<HealthFields, 'Matcher' | 'HealthCheckPath'> {
  const alb = isAlbProtocol(protocol)
  const http = hcProtocol !== 'TCP'
  return {
    HealthCheckProtocol: hcProtocol,
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 30,
    HealthCheckTimeoutSeconds: alb ? 5 : hcProtocol === 'HTTP' ? 6 : 10,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    ...(http ? { HealthCheckPath: '/', Matcher: { HttpCode: alb ? '200' : '200-399' } } : {})
  }
}

/** A matcher's HttpCode: `200`, `200,202`, `200-299`, each code within the range (ALB 200–499, NLB 200–599). */
function checkMatcher(m: Matcher | undefined, field: string, alb: boolean): Matcher | undefined {
  if (m === undefined || m === null) return undefined
  if (m.GrpcCode !== undefined) throw validation(`${field}.GrpcCode`, 'GrpcCode can be specified only for target groups with the protocol version GRPC')
  const code = optionalString(m.HttpCode, `${field}.HttpCode`)
  if (code === undefined) throw validation(`${field}.HttpCode`, 'A matcher must specify HttpCode')
  const max = alb ? 499 : 599
  const ok = (s: string): boolean => /^\d{3}$/.test(s) && Number(s) >= 200 && Number(s) <= max
  for (const part of code.split(',')) {
    const range = part.split('-')
    if (range.length > 2 || !range.every(ok) || (range.length === 2 && Number(range[0]) > Number(range[1]))) {
      throw validation(`${field}.HttpCode`, `Health check matcher HTTP code '${code}' must be a value between 200 and ${max}, a list (200,202) or a range (200-299)`, `200-${max}`)
    }
  }
  return { HttpCode: code }
}

/**
 * The health check members of a create (base: the defaults) or a modify
 * (base: the group as it is), checked against ELBv2's ranges.
 */
export function resolveHealthCheck(input: CreateTargetGroupInput | ModifyTargetGroupInput, protocol: TargetGroupProtocol, targetType: string, base: TargetGroup | undefined): HealthFields {
  const alb = isAlbProtocol(protocol)
  const hcProtocolIn = optionalString(input.HealthCheckProtocol, 'HealthCheckProtocol')
  const hcProtocol = (hcProtocolIn ?? base?.HealthCheckProtocol ?? (alb ? protocol : 'TCP')) as string
  const allowed = alb ? ['HTTP', 'HTTPS'] : ['TCP', 'HTTP', 'HTTPS']
  if (!allowed.includes(hcProtocol)) {
    throw validation('HealthCheckProtocol', `Health check protocol '${hcProtocol}' is not supported for target groups with the protocol '${protocol}' (use ${allowed.join(', ')})`)
  }
  const hc = hcProtocol as 'HTTP' | 'HTTPS' | 'TCP'
  const defaults = healthDefaults(protocol, hc)
  // A new health check protocol resets what depends on it (path, matcher, timeout), as ELBv2 does on a protocol change.
  const keep = base !== undefined && base.HealthCheckProtocol === hc ? base : undefined
  const enabled = optionalBoolean(input.HealthCheckEnabled, 'HealthCheckEnabled') ?? base?.HealthCheckEnabled ?? true
  if (!enabled) throw validation('HealthCheckEnabled', `Health checks cannot be disabled for target groups with target type '${targetType}'`)
  const portIn = optionalString(input.HealthCheckPort, 'HealthCheckPort')
  if (portIn !== undefined && portIn !== 'traffic-port' && !(/^\d{1,5}$/.test(portIn) && Number(portIn) >= 1 && Number(portIn) <= 65535)) {
    throw validation('HealthCheckPort', `Health check port '${portIn}' must be 'traffic-port' or a port between 1 and 65535`, '1-65535')
  }
  const interval = optionalInt(input.HealthCheckIntervalSeconds, 'HealthCheckIntervalSeconds', 5, 300) ?? keep?.HealthCheckIntervalSeconds ?? defaults.HealthCheckIntervalSeconds
  const timeout = optionalInt(input.HealthCheckTimeoutSeconds, 'HealthCheckTimeoutSeconds', 2, 120) ?? keep?.HealthCheckTimeoutSeconds ?? defaults.HealthCheckTimeoutSeconds
  // ALB: the timeout must be smaller than the interval; NLB's TCP default (10 s) may equal it (its historical 10 s interval).
  if (alb ? timeout >= interval : timeout > interval) {
    throw validation('HealthCheckTimeoutSeconds', `Health check timeout '${timeout}' must be smaller than ${alb ? '' : 'or equal to '}the interval '${interval}'`, alb ? interval - 1 : interval)
  }
  const healthy = optionalInt(input.HealthyThresholdCount, 'HealthyThresholdCount', 2, 10) ?? base?.HealthyThresholdCount ?? defaults.HealthyThresholdCount
  const unhealthy = optionalInt(input.UnhealthyThresholdCount, 'UnhealthyThresholdCount', 2, 10) ?? base?.UnhealthyThresholdCount ?? defaults.UnhealthyThresholdCount
  const out: HealthFields = {
    HealthCheckProtocol: hc,
    HealthCheckPort: portIn ?? base?.HealthCheckPort ?? 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: interval,
    HealthCheckTimeoutSeconds: timeout,
    HealthyThresholdCount: healthy,
    UnhealthyThresholdCount: unhealthy
  }
  const pathIn = optionalString(input.HealthCheckPath, 'HealthCheckPath')
  const matcherIn = checkMatcher(input.Matcher, 'Matcher', alb)
  if (hc === 'TCP') {
    if (pathIn !== undefined) throw validation('HealthCheckPath', 'A health check path cannot be specified with health check protocol TCP')
    if (matcherIn !== undefined) throw validation('Matcher', 'A health check matcher cannot be specified with health check protocol TCP')
    return out
  }
  const path = pathIn ?? keep?.HealthCheckPath ?? defaults.HealthCheckPath ?? '/'
  if (path.length < 1 || path.length > 1024 || !path.startsWith('/')) throw validation('HealthCheckPath', `Health check path '${path}' must begin with '/' and be 1 to 1024 characters long`, 1024)
  return { ...out, HealthCheckPath: path, Matcher: matcherIn ?? keep?.Matcher ?? defaults.Matcher }
}

/** Every attribute of a new target group, with ELBv2's defaults for its protocol (and target type). */
export function defaultTargetGroupAttributes(protocol: TargetGroupProtocol, targetType = 'ip'): Record<string, string> {
  if (isAlbProtocol(protocol)) {
    return {
      'deregistration_delay.timeout_seconds': '300',
      'stickiness.enabled': 'false',
      'stickiness.type': 'lb_cookie',
      'stickiness.lb_cookie.duration_seconds': '86400',
      'stickiness.app_cookie.cookie_name': '',
      'stickiness.app_cookie.duration_seconds': '86400',
      'slow_start.duration_seconds': '0',
      'load_balancing.algorithm.type': 'round_robin',
      'load_balancing.algorithm.anomaly_mitigation': 'off',
      'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
      'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
      'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off'
    }
  }
  const udp = protocol === 'UDP' || protocol === 'TCP_UDP'
  return {
    'deregistration_delay.timeout_seconds': '300',
    // UDP and TCP_UDP groups end their flows at the end of the delay by default; TCP and TLS groups keep connections.
    'deregistration_delay.connection_termination.enabled': udp ? 'true' : 'false',
    'stickiness.enabled': 'false',
    'stickiness.type': 'source_ip',
    'proxy_protocol_v2.enabled': 'false',
    // Off by default only for ip targets over TCP or TLS.
    'preserve_client_ip.enabled': targetType === 'ip' && !udp ? 'false' : 'true',
    'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
    // Cannot be enabled for UDP and TCP_UDP groups.
    'target_health_state.unhealthy.connection_termination.enabled': udp ? 'false' : 'true',
    'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
    'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off'
  }
}

function intIn(key: string, value: string, min: number, max: number, field: string): void {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw validation(field, `'${value}' is not a valid value for attribute '${key}': it must be an integer from ${min} to ${max}`, `${min}-${max}`)
  }
}

function oneOf(key: string, value: string, values: readonly string[], field: string): void {
  if (!values.includes(value)) throw validation(field, `'${value}' is not a valid value for attribute '${key}' (valid: ${values.join(', ')})`)
}

/** The attributes after ModifyTargetGroupAttributes' changes, each checked; unknown keys refused. */
export function applyTargetGroupAttributes(current: Record<string, string>, changes: readonly Attribute[], protocol: TargetGroupProtocol): Record<string, string> {
  const next = { ...current }
  changes.forEach((a, i) => {
    const field = `Attributes[${i}]`
    const key = a?.Key
    if (typeof key !== 'string' || !(key in current)) throw new Elbv2Error('InvalidConfigurationRequest', `Attribute key '${String(key)}' is not recognized for target groups with the protocol '${protocol}'`, { field: `${field}.Key` })
    const value = typeof a.Value === 'string' ? a.Value : ''
    const vf = `${field}.Value`
    if (key === 'deregistration_delay.timeout_seconds') intIn(key, value, 0, 3600, vf)
    else if (key === 'stickiness.lb_cookie.duration_seconds' || key === 'stickiness.app_cookie.duration_seconds') intIn(key, value, 1, 604800, vf)
    else if (key === 'slow_start.duration_seconds') {
      intIn(key, value, 0, 900, vf)
      if (value !== '0' && Number(value) < 30) throw validation(vf, `Slow start duration '${value}' must be 0 (off) or between 30 and 900 seconds`, '30-900')
    } else if (key === 'stickiness.type') oneOf(key, value, isAlbProtocol(protocol) ? ['lb_cookie', 'app_cookie'] : ['source_ip'], vf)
    else if (key === 'load_balancing.algorithm.type') oneOf(key, value, ['round_robin', 'least_outstanding_requests', 'weighted_random'], vf)
    else if (key === 'load_balancing.algorithm.anomaly_mitigation') oneOf(key, value, ['on', 'off'], vf)
    else if (key === 'load_balancing.cross_zone.enabled') oneOf(key, value, ['true', 'false', 'use_load_balancer_configuration'], vf)
    else if (key === 'stickiness.app_cookie.cookie_name') {
      if (value.length > 0 && (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(value) || /^(AWSALB|AWSALBAPP|AWSALBTG)/.test(value))) {
        throw validation(vf, `Application cookie name '${value}' is not valid (token characters, not beginning with AWSALB, AWSALBAPP or AWSALBTG)`)
      }
    } else if (key === 'preserve_client_ip.enabled' && value === 'false' && (protocol === 'UDP' || protocol === 'TCP_UDP')) {
      throw new Elbv2Error('InvalidConfigurationRequest', `Client IP preservation cannot be disabled for ${protocol} target groups`, { field: vf })
    } else if (key === 'target_health_state.unhealthy.connection_termination.enabled' && value === 'true' && (protocol === 'UDP' || protocol === 'TCP_UDP')) {
      throw new Elbv2Error('InvalidConfigurationRequest', `Connection termination for unhealthy targets cannot be enabled for ${protocol} target groups`, { field: vf })
    } else if (key.endsWith('.count')) intIn(key, value, 1, 1_000_000, vf)
    else if (key.endsWith('.percentage')) {
      if (value !== 'off') intIn(key, value, 1, 100, vf)
    } else oneOf(key, value, ['true', 'false'], vf)
    next[key] = value
  })
  if (next['stickiness.enabled'] === 'true' && next['stickiness.type'] === 'app_cookie' && next['stickiness.app_cookie.cookie_name'] === '') {
    throw validation('Attributes', "Attribute 'stickiness.app_cookie.cookie_name' must be set when the stickiness type is app_cookie")
  }
  // ALB ramps slow-start targets up in round robin only: with either other algorithm the setting is refused, not ignored.
  const algorithm = next['load_balancing.algorithm.type']
  if (next['slow_start.duration_seconds'] !== undefined && next['slow_start.duration_seconds'] !== '0' && (algorithm === 'weighted_random' || algorithm === 'least_outstanding_requests')) {
    throw new Elbv2Error('InvalidConfigurationRequest', `Slow start mode is not supported with the ${algorithm} load balancing algorithm`, { field: 'Attributes' })
  }
  if (next['load_balancing.algorithm.anomaly_mitigation'] === 'on' && next['load_balancing.algorithm.type'] !== 'weighted_random') {
    throw new Elbv2Error('InvalidConfigurationRequest', 'Anomaly mitigation can be turned on only with the weighted_random load balancing algorithm', { field: 'Attributes' })
  }
  return next
}

/**
 * A group's attributes as they hold: UDP and TCP_UDP groups always keep the
 * client's address and never end flows for an unhealthy target (a group stored
 * before these were enforced may say otherwise).
 */
export function effectiveAttributes(r: TargetGroupRecord): Record<string, string> {
  const protocol = r.targetGroup.Protocol
  if (protocol !== 'UDP' && protocol !== 'TCP_UDP') return r.attributes
  return { ...r.attributes, 'preserve_client_ip.enabled': 'true', 'target_health_state.unhealthy.connection_termination.enabled': 'false' }
}

/** The data plane's configuration of a target group record. */
export function targetGroupConfig(r: TargetGroupRecord): TargetGroupConfig {
  const tg = r.targetGroup
  const a = effectiveAttributes(r)
  const port = tg.HealthCheckPort === undefined || tg.HealthCheckPort === 'traffic-port' ? 'traffic-port' : Number(tg.HealthCheckPort)
  const healthCheck: HealthCheckConfig = {
    enabled: tg.HealthCheckEnabled !== false,
    protocol: (tg.HealthCheckProtocol ?? 'TCP') as 'HTTP' | 'HTTPS' | 'TCP',
    port,
    path: tg.HealthCheckPath ?? '/',
    intervalMs: (tg.HealthCheckIntervalSeconds ?? 30) * 1000,
    timeoutMs: (tg.HealthCheckTimeoutSeconds ?? 5) * 1000,
    healthyThreshold: tg.HealthyThresholdCount ?? 5,
    unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
    matcher: tg.Matcher?.HttpCode ?? '200'
  }
  const minCount = a['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count']
  const minPercentage = a['target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage']
  const type = (a['stickiness.type'] ?? 'lb_cookie') as 'lb_cookie' | 'app_cookie' | 'source_ip'
  const duration = type === 'app_cookie' ? a['stickiness.app_cookie.duration_seconds'] : a['stickiness.lb_cookie.duration_seconds']
  return {
    key: tg.TargetGroupArn,
    name: tg.TargetGroupName,
    protocol: tg.Protocol as TargetGroupProtocol,
    port: tg.Port ?? 80,
    targetType: tg.TargetType,
    healthCheck,
    deregistrationDelayMs: Number(a['deregistration_delay.timeout_seconds'] ?? '300') * 1000,
    slowStartMs: Number(a['slow_start.duration_seconds'] ?? '0') * 1000,
    algorithm: (a['load_balancing.algorithm.type'] ?? 'round_robin') as TargetGroupConfig['algorithm'],
    anomalyMitigation: a['load_balancing.algorithm.anomaly_mitigation'] === 'on',
    stickiness: {
      enabled: a['stickiness.enabled'] === 'true',
      type,
      durationMs: Number(duration ?? '86400') * 1000,
      ...(type === 'app_cookie' && a['stickiness.app_cookie.cookie_name'] ? { appCookieName: a['stickiness.app_cookie.cookie_name'] } : {})
    },
    ...(isAlbProtocol(tg.Protocol as TargetGroupProtocol) ? {} : {
      terminateOnDeregistration: a['deregistration_delay.connection_termination.enabled'] === 'true',
      terminateWhenUnhealthy: a['target_health_state.unhealthy.connection_termination.enabled'] === 'true',
      preserveClientIp: a['preserve_client_ip.enabled'] === 'true',
      proxyProtocolV2: a['proxy_protocol_v2.enabled'] === 'true'
    }),
    minimumHealthy: {
      count: minCount === undefined ? 1 : Number(minCount),
      ...(minPercentage !== undefined && minPercentage !== 'off' ? { percentage: Number(minPercentage) } : {})
    }
  }
}
