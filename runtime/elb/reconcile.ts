// Records → the data plane. A load balancer's record, its listeners, their
// rules and certificates become one LoadBalancerConfig (runtime/lb/model.ts)
// that LbPlane.apply binds. A change to any of them goes through
// applyThenCommit: the change is made in a transaction that is rolled back
// (to read the state it would leave), that state is applied to the data
// plane, and only then is the change committed — so a port that cannot be
// bound refuses the call with nothing committed, and the store and the
// listeners never disagree.

import type { StoreReader, Transaction } from '../store/store.js'
import type { Action as PlaneAction, Condition, ListenerCertificate, ListenerConfig, LoadBalancerConfig, RuleConfig } from '../lb/model.js'
import type { ElbContext } from './context.js'
import { StratusError } from '../errors.js'
import { Elbv2Error } from './errors.js'
import type { Action, RuleCondition } from './model.js'
import { LISTENERS, LOAD_BALANCERS, RULES, forwardedGroups, type ListenerRecord, type LoadBalancerRecord, type RuleRecord } from './records.js'

/** ELBv2 actions as the data plane runs them (the terminal action; authenticate actions are refused before they are stored). */
export function planeActions(actions: readonly Action[]): PlaneAction[] {
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
  const out: PlaneAction[] = []
  for (const a of sorted) {
    if (a.Type === 'forward') {
      const groups = a.ForwardConfig?.TargetGroups !== undefined && a.ForwardConfig.TargetGroups.length > 0
        ? a.ForwardConfig.TargetGroups.map((t) => ({ key: t.TargetGroupArn ?? '', weight: t.Weight ?? 1 }))
        : [{ key: a.TargetGroupArn ?? '', weight: 1 }]
      const sticky = a.ForwardConfig?.TargetGroupStickinessConfig
      out.push({
        type: 'forward', targetGroups: groups,
        ...(sticky?.Enabled === true ? { groupStickiness: { enabled: true, durationMs: (sticky.DurationSeconds ?? 3600) * 1000 } } : {})
      })
    } else if (a.Type === 'redirect' && a.RedirectConfig !== undefined) {
      const r = a.RedirectConfig
      out.push({
        type: 'redirect', protocol: r.Protocol ?? '#{protocol}', host: r.Host ?? '#{host}', port: r.Port ?? '#{port}',
        path: r.Path ?? '/#{path}', query: r.Query ?? '#{query}', statusCode: r.StatusCode
      })
    } else if (a.Type === 'fixed-response' && a.FixedResponseConfig !== undefined) {
      const f = a.FixedResponseConfig
      out.push({
        type: 'fixed-response', statusCode: f.StatusCode,
        ...(f.ContentType !== undefined ? { contentType: f.ContentType } : {}), ...(f.MessageBody !== undefined ? { messageBody: f.MessageBody } : {})
      })
    }
  }
  return out
}

/** ELBv2 rule conditions as the data plane matches them. */
export function planeConditions(conditions: readonly RuleCondition[]): Condition[] {
  return conditions.map((c): Condition => {
    switch (c.Field) {
      case 'path-pattern': return { field: 'path-pattern', values: c.PathPatternConfig?.Values ?? c.Values ?? [] }
      case 'host-header': return { field: 'host-header', values: c.HostHeaderConfig?.Values ?? c.Values ?? [] }
      case 'http-header': return { field: 'http-header', headerName: c.HttpHeaderConfig?.HttpHeaderName ?? '', values: c.HttpHeaderConfig?.Values ?? [] }
      case 'http-request-method': return { field: 'http-request-method', values: c.HttpRequestMethodConfig?.Values ?? [] }
      case 'query-string': return { field: 'query-string', values: (c.QueryStringConfig?.Values ?? []).map((v) => ({ ...(v.Key !== undefined ? { key: v.Key } : {}), value: v.Value ?? '' })) }
      default: return { field: 'source-ip', values: c.SourceIpConfig?.Values ?? [] }
    }
  })
}

/** The certificates of a listener as the data plane needs them (expired ones kept, as ELB serves them; those ACM no longer has are left out). */
function planeCertificates(ctx: ElbContext, l: ListenerRecord): ListenerCertificate[] {
  const out: ListenerCertificate[] = []
  const source = ctx.certificates
  for (const c of l.certificates) {
    const arn = c.CertificateArn
    const issued = arn === undefined || source === undefined ? undefined : source.served !== undefined ? source.served(arn) : source.get(arn)
    if (issued === undefined) continue
    out.push({ key: issued.arn, certPem: issued.certPem, keyPem: issued.keyPem, chainPem: issued.chainPem, names: issued.names, isDefault: c.IsDefault === true })
  }
  return out
}

function listenerConfig(ctx: ElbContext, reader: StoreReader, l: ListenerRecord): ListenerConfig | undefined {
  const rules: RuleConfig[] = reader.scan<RuleRecord>(RULES, { index: { name: 'listener', value: l.listener.ListenerArn } }).map(({ value: r }) => ({
    key: r.RuleArn, priority: r.Priority, conditions: planeConditions(r.Conditions), actions: planeActions(r.Actions)
  }))
  const secure = l.listener.Protocol === 'HTTPS' || l.listener.Protocol === 'TLS'
  const certificates = secure ? planeCertificates(ctx, l) : []
  // A secure listener whose certificates are all gone cannot serve: it stays unbound until one is attached again.
  if (secure && certificates.length === 0) return undefined
  return {
    key: l.listener.ListenerArn,
    protocol: l.listener.Protocol as ListenerConfig['protocol'],
    port: l.listener.Port,
    certificates,
    ...(l.listener.SslPolicy !== undefined ? { sslPolicy: l.listener.SslPolicy } : {}),
    rules,
    defaultActions: planeActions(l.listener.DefaultActions)
  }
}

/** The data plane's configuration of a load balancer as `reader` has it. */
export function loadBalancerConfig(ctx: ElbContext, reader: StoreReader, lb: LoadBalancerRecord): LoadBalancerConfig {
  const listeners = reader.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: lb.loadBalancer.LoadBalancerArn } })
    .map(({ value }) => listenerConfig(ctx, reader, value))
    .filter((l): l is ListenerConfig => l !== undefined)
  const idle = lb.loadBalancer.Type === 'application' ? Number(lb.attributes['idle_timeout.timeout_seconds'] ?? '60') : 350
  return {
    key: lb.loadBalancer.LoadBalancerArn,
    name: lb.loadBalancer.LoadBalancerName,
    type: lb.loadBalancer.Type,
    address: lb.address,
    idleTimeoutMs: idle * 1000,
    http2: lb.loadBalancer.Type === 'application' ? lb.attributes['routing.http2.enabled'] !== 'false' : undefined,
    listeners
  }
}

/** The target groups a load balancer's listeners and rules forward to. */
export function groupsOfLoadBalancer(reader: StoreReader, lbArn: string): string[] {
  const out = new Set<string>()
  for (const { value } of reader.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: lbArn } })) for (const g of forwardedGroups(value.listener.DefaultActions)) out.add(g)
  for (const { value } of reader.scan<RuleRecord>(RULES, { index: { name: 'loadBalancer', value: lbArn } })) for (const g of forwardedGroups(value.Actions)) out.add(g)
  return [...out]
}

/** The certificates a load balancer's listeners hold. */
export function certificatesOf(reader: StoreReader, lbArn: string): Set<string> {
  const out = new Set<string>()
  for (const { value } of reader.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: lbArn } })) {
    for (const c of value.certificates) if (c.CertificateArn !== undefined) out.add(c.CertificateArn)
  }
  return out
}

/** Tells ACM which certificates the load balancer took up or let go (InUseBy). A certificate ACM no longer has is skipped. */
export function markCertificates(ctx: ElbContext, lbArn: string, before: ReadonlySet<string>, after: ReadonlySet<string>): void {
  const use = ctx.certificates
  if (use?.markInUse === undefined || use.unmarkInUse === undefined) return
  for (const arn of after) {
    if (before.has(arn)) continue
    try { use.markInUse(arn, lbArn) } catch { /* deleted meanwhile */ }
  }
  for (const arn of before) {
    if (after.has(arn)) continue
    try { use.unmarkInUse(arn, lbArn) } catch { /* deleted meanwhile */ }
  }
}

class DryRun {
  constructor(readonly config: LoadBalancerConfig | undefined, readonly result: unknown) {}
}

/**
 * Runs `change` (a transaction function; it must be deterministic: ids made
 * before) against the store without keeping it, applies the load balancer's
 * resulting configuration to the data plane, then commits the change. If the
 * data plane refuses (a port in use), nothing is committed and the error is
 * the call's. If the commit fails after all, the previous configuration is
 * applied again. Call inside ctx.serial. (Which target groups are in use —
 * health checks run — the data plane decides from the listeners it holds.)
 */
export async function applyThenCommit<R>(ctx: ElbContext, lbArn: string, change: (tx: Transaction) => R): Promise<R> {
  const before = ctx.store.get<LoadBalancerRecord>(LOAD_BALANCERS, lbArn)?.value
  const certsBefore = certificatesOf(ctx.store, lbArn)
  let dry: DryRun
  try {
    ctx.store.transaction((tx) => {
      const result = change(tx)
      const lb = tx.get<LoadBalancerRecord>(LOAD_BALANCERS, lbArn)?.value
      throw new DryRun(lb === undefined ? undefined : loadBalancerConfig(ctx, tx, lb), result)
    })
    throw new Error('unreachable: the dry run always throws')
  } catch (e) {
    if (!(e instanceof DryRun)) throw e
    dry = e
  }
  if (dry.config === undefined) await ctx.plane.remove(lbArn)
  else await ctx.plane.apply(dry.config).catch((error: unknown) => { throw bindError(error, dry.config!) })
  let result: R
  try {
    result = ctx.store.transaction(change)
  } catch (error) {
    if (before !== undefined) await ctx.plane.apply(loadBalancerConfig(ctx, ctx.store, before)).catch(() => {})
    throw error
  }
  markCertificates(ctx, lbArn, certsBefore, certificatesOf(ctx.store, lbArn))
  return result
}

/** The data plane's refusal (a port in use: ListenerPortUnavailable) as ELBv2's InvalidConfigurationRequest; the control plane's own codes stay. */
function bindError(error: unknown, config: LoadBalancerConfig): unknown {
  if (error instanceof Elbv2Error) return error
  if (error instanceof StratusError) {
    return new Elbv2Error('InvalidConfigurationRequest', `Load balancer '${config.name}' (${config.address}): ${error.message}`, { cause: error, field: /port$/i.test(error.field ?? '') ? 'Port' : 'Listeners' })
  }
  return error
}

/** Applies every load balancer in the store again (engine start, a certificate renewed). Failures are reported, not thrown. */
export async function applyAll(ctx: ElbContext, filter?: (lb: LoadBalancerRecord) => boolean): Promise<Array<{ arn: string; error: unknown }>> {
  const failed: Array<{ arn: string; error: unknown }> = []
  for (const { value } of ctx.store.scan<LoadBalancerRecord>(LOAD_BALANCERS)) {
    if (filter !== undefined && !filter(value)) continue
    try {
      await ctx.plane.apply(loadBalancerConfig(ctx, ctx.store, value))
    } catch (error) {
      failed.push({ arn: value.loadBalancer.LoadBalancerArn, error })
    }
  }
  return failed
}
