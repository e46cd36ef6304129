// Listener and rule actions and rule conditions: checked as ELBv2 checks
// them (types per load balancer type, target groups that exist and suit the
// listener's protocol and are not another load balancer's, weights, redirect
// and fixed-response settings, condition fields and value limits) and stored
// normalised, as DescribeListeners / DescribeRules return them.

import type { StoreReader } from '../store/store.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkArn, notFound, optionalInt, optionalList, optionalString, requireList, requireString } from './input.js'
import type { Action, RuleCondition } from './model.js'
import { TARGET_GROUPS, type TargetGroupRecord } from './records.js'
import { loadBalancersOf } from './group-runtimes.js'

/** The target group protocols a listener protocol may forward to. */
const FORWARDS_TO: Record<string, readonly string[]> = {
  HTTP: ['HTTP', 'HTTPS'], HTTPS: ['HTTP', 'HTTPS'],
  TCP: ['TCP', 'TCP_UDP'], TLS: ['TCP', 'TLS'], UDP: ['UDP', 'TCP_UDP'], TCP_UDP: ['TCP_UDP']
}
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json']

export interface ActionScope {
  lbArn: string
  lbType: 'application' | 'network'
  listenerProtocol: string
  /** Where the reads happen (a transaction sees its own writes). */
  reader: StoreReader
}

function checkForwardGroup(ctx: ElbContext, s: ActionScope, value: unknown, field: string): string {
  const arn = checkArn(ctx, value, field, 'targetgroup')
  const found = s.reader.get<TargetGroupRecord>(TARGET_GROUPS, arn)?.value
  if (found === undefined) throw notFound('targetgroup', field)
  const allowed = FORWARDS_TO[s.listenerProtocol] ?? []
  if (!allowed.includes(found.targetGroup.Protocol ?? '')) {
    throw new Elbv2Error('IncompatibleProtocols', `Listener protocol '${s.listenerProtocol}' is not supported with a target group with the protocol '${String(found.targetGroup.Protocol)}'`, { field })
  }
  const others = loadBalancersOf(s.reader, arn).filter((lb) => lb !== s.lbArn)
  if (others.length > 0) {
    throw new Elbv2Error('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${arn}`, { field, limit: 1 })
  }
  return arn
}

function checkForward(ctx: ElbContext, s: ActionScope, a: Action, field: string): Action {
  const single = optionalString(a.TargetGroupArn, `${field}.TargetGroupArn`)
  const cfg = a.ForwardConfig
  const tuples = optionalList<{ TargetGroupArn?: string; Weight?: number }>(cfg?.TargetGroups, `${field}.ForwardConfig.TargetGroups`)
  if (single === undefined && (tuples === undefined || tuples.length === 0)) {
    throw validation(`${field}.TargetGroupArn`, 'A target group ARN must be specified for a forward action')
  }
  if (single !== undefined && tuples !== undefined && tuples.length > 0 && !(tuples.length === 1 && tuples[0]?.TargetGroupArn === single)) {
    throw new Elbv2Error('InvalidLoadBalancerAction', 'You cannot specify both a target group ARN and a forward config with different target groups', { field })
  }
  const list = tuples !== undefined && tuples.length > 0 ? tuples : [{ TargetGroupArn: single, Weight: 1 }]
  if (s.lbType === 'network' && list.length > 1) {
    throw new Elbv2Error('InvalidLoadBalancerAction', 'A Network Load Balancer listener can forward to one target group only', { field: `${field}.ForwardConfig.TargetGroups` })
  }
  if (list.length > ctx.quotas.targetGroupsPerAction) {
    throw new Elbv2Error('TooManyTargetGroups', `You can specify at most ${ctx.quotas.targetGroupsPerAction} target groups in a forward action`, { field: `${field}.ForwardConfig.TargetGroups`, limit: ctx.quotas.targetGroupsPerAction })
  }
  const seen = new Set<string>()
  const groups = list.map((t, i) => {
    const f = `${field}.ForwardConfig.TargetGroups[${i}]`
    const arn = checkForwardGroup(ctx, s, t?.TargetGroupArn, tuples !== undefined && tuples.length > 0 ? `${f}.TargetGroupArn` : `${field}.TargetGroupArn`)
    if (seen.has(arn)) throw validation(`${f}.TargetGroupArn`, `Target group '${arn}' is specified more than once in the forward action`)
    seen.add(arn)
    return { TargetGroupArn: arn, Weight: optionalInt(t.Weight, `${f}.Weight`, 0, 999) ?? 1 }
  })
  if (groups.length > 1 && groups.every((g) => g.Weight === 0)) throw validation(`${field}.ForwardConfig.TargetGroups`, 'At least one target group of a forward action must have a weight greater than 0')
  const sticky = cfg?.TargetGroupStickinessConfig
  const enabled = sticky?.Enabled === true
  const duration = optionalInt(sticky?.DurationSeconds, `${field}.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds`, 1, 604800)
  if (enabled && duration === undefined) throw validation(`${field}.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds`, 'A duration must be specified when target group stickiness is enabled')
  return {
    Type: 'forward',
    ...(groups.length === 1 ? { TargetGroupArn: groups[0].TargetGroupArn } : {}),
    ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: enabled, ...(duration !== undefined ? { DurationSeconds: duration } : {}) } }
  }
}

function checkRedirect(a: Action, field: string): Action {
  const r = a.RedirectConfig
  if (r === undefined || r === null) throw validation(`${field}.RedirectConfig`, 'A redirect config must be specified for a redirect action')
  const f = `${field}.RedirectConfig`
  const status = requireString(r.StatusCode, `${f}.StatusCode`)
  if (status !== 'HTTP_301' && status !== 'HTTP_302') throw validation(`${f}.StatusCode`, `Redirect status code '${status}' must be HTTP_301 or HTTP_302`)
  const protocol = optionalString(r.Protocol, `${f}.Protocol`) ?? '#{protocol}'
  if (!['#{protocol}', 'HTTP', 'HTTPS'].includes(protocol)) throw validation(`${f}.Protocol`, `Redirect protocol '${protocol}' must be HTTP, HTTPS or #{protocol}`)
  const port = optionalString(r.Port, `${f}.Port`) ?? '#{port}'
  if (port !== '#{port}' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) throw validation(`${f}.Port`, `Redirect port '${port}' must be 1-65535 or #{port}`, '1-65535')
  const host = optionalString(r.Host, `${f}.Host`) ?? '#{host}'
  if (host.length < 1 || host.length > 128) throw validation(`${f}.Host`, 'Redirect host must be 1 to 128 characters long', 128)
  const path = optionalString(r.Path, `${f}.Path`) ?? '/#{path}'
  if (!path.startsWith('/') || path.length > 128) throw validation(`${f}.Path`, `Redirect path '${path}' must begin with '/' and be at most 128 characters long`, 128)
  const query = optionalString(r.Query, `${f}.Query`) ?? '#{query}'
  if (query.startsWith('?') || query.length > 128) throw validation(`${f}.Query`, 'Redirect query must not begin with \'?\' and must be at most 128 characters long', 128)
  if (protocol === '#{protocol}' && port === '#{port}' && host === '#{host}' && path === '/#{path}') {
    throw new Elbv2Error('InvalidLoadBalancerAction', 'A redirect must change at least one of protocol, port, host or path: it would redirect to itself', { field: f })
  }
  return { Type: 'redirect', RedirectConfig: { Protocol: protocol, Port: port, Host: host, Path: path, Query: query, StatusCode: status } }
}

function checkFixed(a: Action, field: string): Action {
  const c = a.FixedResponseConfig
  if (c === undefined || c === null) throw validation(`${field}.FixedResponseConfig`, 'A fixed response config must be specified for a fixed-response action')
  const f = `${field}.FixedResponseConfig`
  const status = requireString(c.StatusCode, `${f}.StatusCode`)
  if (!/^[245]\d\d$/.test(status)) throw validation(`${f}.StatusCode`, `Fixed response status code '${status}' must be a 2XX, 4XX or 5XX code`)
  const type = optionalString(c.ContentType, `${f}.ContentType`)
  if (type !== undefined && !CONTENT_TYPES.includes(type)) throw validation(`${f}.ContentType`, `Content type '${type}' must be one of ${CONTENT_TYPES.join(', ')}`)
  const body = optionalString(c.MessageBody, `${f}.MessageBody`)
  if (body !== undefined && Buffer.byteLength(body) > 1024) throw validation(`${f}.MessageBody`, 'A fixed response message body can be at most 1024 bytes', 1024)
  return { Type: 'fixed-response', FixedResponseConfig: { StatusCode: status, ...(type !== undefined ? { ContentType: type } : {}), ...(body !== undefined ? { MessageBody: body } : {}) } }
}

/** A listener's default actions or a rule's actions, checked and normalised (one terminal action, Order 1). */
export function checkActions(ctx: ElbContext, s: ActionScope, value: unknown, field: string): Action[] {
  const list = requireList<Action>(value, field)
  if (list.length === 0) throw validation(field, 'At least one action must be specified', 1)
  if (list.length > 1) {
    throw new Elbv2Error('TooManyActions', 'Only one action (forward, redirect or fixed-response) can be specified: authenticate actions are not supported', { field, limit: 1 })
  }
  const a = list[0]
  const f = `${field}[0]`
  const type = requireString(a?.Type, `${f}.Type`)
  let out: Action
  if (type === 'forward') out = checkForward(ctx, s, a, f)
  else if (type === 'redirect' || type === 'fixed-response') {
    if (s.lbType === 'network') throw new Elbv2Error('InvalidLoadBalancerAction', `Action type '${type}' is not supported for Network Load Balancer listeners`, { field: `${f}.Type` })
    out = type === 'redirect' ? checkRedirect(a, f) : checkFixed(a, f)
  } else if (['authenticate-oidc', 'authenticate-cognito', 'jwt-validation'].includes(type)) {
    throw new Elbv2Error('InvalidLoadBalancerAction', `Action type '${type}' is not supported by Stratus`, { field: `${f}.Type` })
  } else {
    throw validation(`${f}.Type`, `Action type '${type}' must be one of forward, redirect, fixed-response`)
  }
  const order = optionalInt(a.Order, `${f}.Order`, 1, 50000) ?? 1
  return [{ ...out, Order: order }]
}

const METHOD = /^[A-Z_-]{1,40}$/

function countWildcards(values: readonly string[]): number {
  let n = 0
  for (const v of values) for (const ch of v) if (ch === '*' || ch === '?') n++
  return n
}

/** A rule's conditions, checked and normalised (path-pattern and host-header carry both Values and their Config). */
export function checkConditions(ctx: ElbContext, value: unknown, field: string): RuleCondition[] {
  const list = requireList<RuleCondition>(value, field)
  if (list.length === 0) throw validation(field, 'A rule must have at least one condition', 1)
  const once = new Set<string>()
  let values = 0
  let wildcards = 0
  const out = list.map((c, i) => {
    const f = `${field}[${i}]`
    const name = requireString(c?.Field, `${f}.Field`)
    if (['host-header', 'path-pattern', 'http-request-method', 'source-ip'].includes(name)) {
      if (once.has(name)) throw validation(`${f}.Field`, `A rule can have only one '${name}' condition`)
      once.add(name)
    }
    const legacy = optionalList<string>(c.Values, `${f}.Values`)
    const pick = (config: { Values?: string[] } | undefined, configName: string): string[] => {
      const inConfig = optionalList<string>(config?.Values, `${f}.${configName}.Values`)
      if (legacy !== undefined && inConfig !== undefined) throw validation(`${f}.Values`, `Values and ${configName} cannot both be specified`)
      const v = inConfig ?? legacy
      if (v === undefined || v.length === 0) throw validation(`${f}.${configName}.Values`, `A '${name}' condition must have at least one value`, 1)
      v.forEach((x, j) => requireString(x, `${f}.${configName}.Values[${j}]`))
      return v
    }
    let cond: RuleCondition
    let vs: string[]
    switch (name) {
      case 'path-pattern': {
        vs = pick(c.PathPatternConfig, 'PathPatternConfig')
        vs.forEach((v, j) => {
          if (v.length > 128 || !/^[A-Za-z0-9_\-.$/~"'@:+&()!,;=*?%]+$/.test(v)) throw validation(`${f}.PathPatternConfig.Values[${j}]`, `Path pattern '${v}' must be 1 to 128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & ( ) ! , ; = * ?`, 128)
        })
        cond = { Field: name, Values: vs, PathPatternConfig: { Values: vs } }
        break
      }
      case 'host-header': {
        vs = pick(c.HostHeaderConfig, 'HostHeaderConfig')
        vs.forEach((v, j) => {
          if (v.length > 128 || !/^[A-Za-z0-9\-.*?]+$/.test(v)) throw validation(`${f}.HostHeaderConfig.Values[${j}]`, `Host header '${v}' must be 1 to 128 characters of A-Z a-z 0-9 - . * ?`, 128)
        })
        cond = { Field: name, Values: vs, HostHeaderConfig: { Values: vs } }
        break
      }
      case 'http-header': {
        if (legacy !== undefined) throw validation(`${f}.Values`, "An 'http-header' condition takes its values in HttpHeaderConfig")
        const header = requireString(c.HttpHeaderConfig?.HttpHeaderName, `${f}.HttpHeaderConfig.HttpHeaderName`)
        if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/.test(header)) throw validation(`${f}.HttpHeaderConfig.HttpHeaderName`, `HTTP header name '${header}' must be 1 to 40 token characters`, 40)
        vs = pick(c.HttpHeaderConfig, 'HttpHeaderConfig')
        vs.forEach((v, j) => { if (v.length > 128) throw validation(`${f}.HttpHeaderConfig.Values[${j}]`, 'HTTP header values can be at most 128 characters long', 128) })
        cond = { Field: name, HttpHeaderConfig: { HttpHeaderName: header, Values: vs } }
        break
      }
      case 'http-request-method': {
        if (legacy !== undefined) throw validation(`${f}.Values`, "An 'http-request-method' condition takes its values in HttpRequestMethodConfig")
        vs = pick(c.HttpRequestMethodConfig, 'HttpRequestMethodConfig')
        vs.forEach((v, j) => { if (!METHOD.test(v)) throw validation(`${f}.HttpRequestMethodConfig.Values[${j}]`, `HTTP request method '${v}' must be 1 to 40 characters of A-Z, - and _`, 40) })
        cond = { Field: name, HttpRequestMethodConfig: { Values: vs } }
        break
      }
      case 'query-string': {
        if (legacy !== undefined) throw validation(`${f}.Values`, "A 'query-string' condition takes its values in QueryStringConfig")
        const pairs = optionalList<{ Key?: string; Value?: string }>(c.QueryStringConfig?.Values, `${f}.QueryStringConfig.Values`) ?? []
        if (pairs.length === 0) throw validation(`${f}.QueryStringConfig.Values`, "A 'query-string' condition must have at least one value", 1)
        const norm = pairs.map((p, j) => {
          const key = optionalString(p?.Key, `${f}.QueryStringConfig.Values[${j}].Key`)
          const v = requireString(p?.Value, `${f}.QueryStringConfig.Values[${j}].Value`)
          if (v.length > 128 || (key?.length ?? 0) > 128) throw validation(`${f}.QueryStringConfig.Values[${j}]`, 'Query string keys and values can be at most 128 characters long', 128)
          return { ...(key !== undefined ? { Key: key } : {}), Value: v }
        })
        vs = norm.map((p) => `${p.Key ?? ''}${p.Value}`)
        cond = { Field: name, QueryStringConfig: { Values: norm } }
        break
      }
      case 'source-ip': {
        if (legacy !== undefined) throw validation(`${f}.Values`, "A 'source-ip' condition takes its values in SourceIpConfig")
        vs = pick(c.SourceIpConfig, 'SourceIpConfig')
        vs.forEach((v, j) => {
          if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(v) && !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(v)) throw validation(`${f}.SourceIpConfig.Values[${j}]`, `Source IP '${v}' must be a CIDR block (127.0.0.0/8)`)
        })
        cond = { Field: name, SourceIpConfig: { Values: vs } }
        break
      }
      default:
        throw validation(`${f}.Field`, `Condition field '${name}' must be one of path-pattern, host-header, http-header, http-request-method, query-string, source-ip`)
    }
    values += vs.length
    if (name !== 'source-ip') wildcards += countWildcards(vs)
    return cond
  })
  if (values > ctx.quotas.conditionValuesPerRule) {
    throw validation(field, `A rule can have at most ${ctx.quotas.conditionValuesPerRule} condition values`, ctx.quotas.conditionValuesPerRule)
  }
  if (wildcards > ctx.quotas.wildcardsPerRule) throw validation(field, `A rule can have at most ${ctx.quotas.wildcardsPerRule} wildcards`, ctx.quotas.wildcardsPerRule)
  return out
}
