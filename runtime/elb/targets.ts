// Targets: RegisterTargets, DeregisterTargets, DescribeTargetHealth, and the
// TargetRegistry ECS uses for services' loadBalancers (the same records and
// runtimes). A registration is written to the group's record, then handed to
// its runtime; a deregistration leaves the record at once while the runtime
// drains the target (in-flight requests finish, the deregistration delay).

import type { StoreReader, Transaction } from '../store/store.js'
import type { TargetHealth as PlaneHealth, TargetRegistry, TargetSpec } from '../lb/model.js'
import type { ElbContext, HealthListener } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { isLoadBalancerAddress } from './addresses.js'
import { optionalInt, optionalString, requireList, requireString, checkArn } from './input.js'
import type { DeregisterTargetsInput, DescribeTargetHealthInput, DescribeTargetHealthOutput, Empty, RegisterTargetsInput, TargetDescription, TargetHealthDescription } from './model.js'
import { TARGET_GROUPS, type TargetGroupRecord, type TargetRecord } from './records.js'
import { getTargetGroup, describeGroup } from './target-groups.js'
import { loadBalancersOf, planeTargets, syncGroup } from './group-runtimes.js'
import { targetGroupConfig } from './target-group-settings.js'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** The targets of a request, checked and resolved (ip: in 127.0.0.0/8; instance: an instance the engine knows). */
function resolveTargets(ctx: ElbContext, r: TargetGroupRecord, list: readonly TargetDescription[], field: string, forRegister: boolean): TargetRecord[] {
  if (list.length === 0) throw validation(field, 'At least one target must be specified', 1)
  const bad: string[] = []
  const out = list.map((t, i) => {
    const id = requireString(t?.Id, `${field}[${i}].Id`)
    const port = optionalInt(t.Port, `${field}[${i}].Port`, 1, 65535) ?? r.targetGroup.Port ?? 80
    const az = optionalString(t.AvailabilityZone, `${field}[${i}].AvailabilityZone`)
    if (az !== undefined && az !== 'all' && !ctx.zones.includes(az)) {
      throw validation(`${field}[${i}].AvailabilityZone`, `Availability zone '${az}' is not one of ${ctx.zones.join(', ')} (or all)`)
    }
    let host = id
    if (r.targetGroup.TargetType === 'ip') {
      if (!IPV4.test(id) || !id.startsWith('127.') || isLoadBalancerAddress(id)) bad.push(id)
    } else if (forRegister) {
      const resolved = ctx.resolveInstance(id)
      if (resolved === undefined) bad.push(id)
      else host = resolved
    } else {
      host = r.targets.find((x) => x.Id === id && x.Port === port)?.host ?? id
    }
    return { Id: id, Port: port, host, ...(az !== undefined ? { AvailabilityZone: az } : {}) }
  })
  if (bad.length > 0) {
    const msg = r.targetGroup.TargetType === 'ip'
      ? `The IP address${bad.length > 1 ? 'es' : ''} '${bad.join("', '")}' ${bad.length > 1 ? 'are' : 'is'} not valid: ip targets must be IPv4 addresses in 127.0.0.0/8 outside the load balancers' 127.250.0.0/16`
      : `The following targets are not valid instances: '${bad.join("', '")}'`
    throw new Elbv2Error('InvalidTarget', msg, { field })
  }
  return out
}

/** The group's record with these targets added (already there: kept); TooManyTargets past the quota. */
function withTargets(ctx: ElbContext, r: TargetGroupRecord, targets: readonly TargetRecord[]): TargetGroupRecord {
  const have = new Set(r.targets.map((t) => `${t.Id}:${t.Port}`))
  const added = targets.filter((t) => {
    const k = `${t.Id}:${t.Port}`
    if (have.has(k)) return false
    have.add(k)
    return true
  })
  if (r.targets.length + added.length > ctx.quotas.targetsPerTargetGroup) {
    throw new Elbv2Error('TooManyTargets', `You've reached the limit on the number of targets per target group (${ctx.quotas.targetsPerTargetGroup})`, { field: 'Targets', limit: ctx.quotas.targetsPerTargetGroup })
  }
  return { ...r, targets: [...r.targets, ...added] }
}

function describeHealth(h: PlaneHealth, az: string | undefined): TargetHealthDescription {
  return {
    Target: { Id: h.id, Port: h.port, ...(az !== undefined ? { AvailabilityZone: az } : {}) },
    HealthCheckPort: h.healthCheckPort,
    TargetHealth: { State: h.state, ...(h.reason !== undefined ? { Reason: h.reason } : {}), ...(h.description !== undefined ? { Description: h.description } : {}) }
  }
}

/** The record's draining targets whose delay has not passed, less those in `except` (keys Id:Port); the same array when nothing goes. */
function stillDraining(ctx: ElbContext, r: TargetGroupRecord, except: ReadonlySet<string> = new Set()): TargetGroupRecord['draining'] {
  const draining = r.draining
  if (draining === undefined) return undefined
  const now = ctx.clock.now()
  const kept = draining.filter((t) => t.until > now && !except.has(`${t.Id}:${t.Port}`))
  if (kept.length === draining.length) return draining
  return kept.length === 0 ? undefined : kept
}

function withDraining(r: TargetGroupRecord, draining: TargetGroupRecord['draining']): TargetGroupRecord {
  const { draining: _, ...rest } = r
  return draining === undefined ? rest : { ...rest, draining }
}

/** Registers targets in one transaction of its own (or the caller's, as a savepoint), then in the runtime after the commit. */
function register(ctx: ElbContext, groupArn: string, resolve: (r: TargetGroupRecord) => TargetRecord[], field = 'TargetGroupArn'): void {
  ctx.store.transaction((tx: Transaction) => {
    const { record, version } = getTargetGroup(ctx, groupArn, field, tx)
    const targets = resolve(record)
    // A draining target registered again is registered, no longer draining.
    const draining = stillDraining(ctx, record, new Set(targets.map((t) => `${t.Id}:${t.Port}`)))
    const next = withDraining(withTargets(ctx, record, targets), draining)
    if (next.targets.length !== record.targets.length || draining !== record.draining) tx.put(TARGET_GROUPS, groupArn, next, version)
    tx.afterCommit(() => syncGroup(ctx, next).register(planeTargets(ctx, next, targets)))
  })
}

function deregister(ctx: ElbContext, groupArn: string, targets: readonly { Id: string; Port: number }[], field: string, strict: boolean): void {
  ctx.store.transaction((tx: Transaction) => {
    const { record, version } = getTargetGroup(ctx, groupArn, 'TargetGroupArn', tx)
    const gone = new Set(targets.map((t) => `${t.Id}:${t.Port}`))
    const missing = targets.filter((t) => !record.targets.some((x) => x.Id === t.Id && x.Port === t.Port))
    if (strict && missing.length > 0) {
      throw new Elbv2Error('InvalidTarget', `The following targets are not registered in target group '${groupArn}': '${missing.map((t) => `${t.Id}:${t.Port}`).join("', '")}'`, { field })
    }
    const leaving = record.targets.filter((t) => gone.has(`${t.Id}:${t.Port}`))
    const delayMs = targetGroupConfig(record).deregistrationDelayMs
    // Kept with the end of their delay, for an engine that restarts before it.
    const until = ctx.clock.now() + delayMs
    // A target is in targets or in draining, never both: one deregistered again while it drains
    // is not leaving, and keeps its first end, as the data plane does.
    const kept = stillDraining(ctx, record)
    const draining = delayMs > 0 && leaving.length > 0 ? [...(kept ?? []), ...leaving.map((t) => ({ ...t, until }))] : kept
    const next = withDraining({ ...record, targets: record.targets.filter((t) => !gone.has(`${t.Id}:${t.Port}`)) }, draining)
    if (leaving.length > 0 || kept !== record.draining) tx.put(TARGET_GROUPS, groupArn, next, version)
    tx.afterCommit(() => ctx.plane.getTargetGroup(groupArn)?.deregister(targets.map((t) => ({ id: t.Id, port: t.Port }))))
  })
}

export function targetOperations(ctx: ElbContext) {
  return {
    async registerTargets(input: RegisterTargetsInput): Promise<Empty> {
      return ctx.serial(() => {
        const groupArn = checkArn(ctx, input.TargetGroupArn, 'TargetGroupArn', 'targetgroup')
        const list = requireList<TargetDescription>(input.Targets, 'Targets')
        register(ctx, groupArn, (r) => resolveTargets(ctx, r, list, 'Targets', true))
        return {}
      })
    },

    async deregisterTargets(input: DeregisterTargetsInput): Promise<Empty> {
      return ctx.serial(() => {
        const { record } = getTargetGroup(ctx, input.TargetGroupArn)
        const list = requireList<TargetDescription>(input.Targets, 'Targets')
        const targets = resolveTargets(ctx, record, list, 'Targets', false)
        deregister(ctx, record.targetGroup.TargetGroupArn, targets, 'Targets', true)
        return {}
      })
    },

    async describeTargetHealth(input: DescribeTargetHealthInput): Promise<DescribeTargetHealthOutput> {
      const { record } = getTargetGroup(ctx, input.TargetGroupArn)
      const runtime = ctx.plane.getTargetGroup(record.targetGroup.TargetGroupArn) ?? syncGroup(ctx, record)
      const asked = input.Targets === undefined || input.Targets === null ? undefined : resolveTargets(ctx, record, requireList<TargetDescription>(input.Targets, 'Targets'), 'Targets', false)
      const zoneOf = (id: string, port: number) => record.targets.find((t) => t.Id === id && t.Port === port)?.AvailabilityZone
      const health = runtime.health(asked?.map((t) => ({ id: t.Id, port: t.Port })))
      const include = input.Include === undefined || input.Include === null ? [] : requireList<string>(input.Include, 'Include')
      for (const [i, v] of include.entries()) {
        if (v !== 'AnomalyDetection' && v !== 'All') throw new Elbv2Error('ValidationError', `Value '${String(v)}' at 'include.${i + 1}.member' failed to satisfy constraint: Member must satisfy enum value set: [AnomalyDetection, All]`, { field: 'Include' })
      }
      const anomalies = include.length > 0
      return {
        TargetHealthDescriptions: health.map((h) => {
          const d = describeHealth(h, zoneOf(h.id, h.port))
          // Reported for weighted_random HTTP(S) groups, where anomaly detection runs.
          if (anomalies && h.anomaly !== undefined) d.AnomalyDetection = { Result: h.anomaly.result, MitigationInEffect: h.anomaly.mitigationInEffect }
          return d
        })
      }
    }
  }
}

/** The TargetRegistry over the same records and runtimes (ECS services' loadBalancers). */
export function targetRegistry(ctx: ElbContext): TargetRegistry {
  // Nothing left to wait for: the target is out of the group — or, once seen draining, registered
  // again meanwhile (by RegisterTargets), so no drain of this deregistration goes on. (Before it is
  // seen draining, the deregistration may not have reached the data plane yet: a caller's transaction.)
  const gone = (arn: string, t: { id: string; port: number }, drained: Set<string>): boolean => {
    const runtime = ctx.plane.getTargetGroup(arn)
    if (runtime === undefined) return true
    const [h] = runtime.health([t])
    if (h === undefined || (h.state === 'unused' && h.reason === 'Target.NotRegistered')) return true
    const key = `${t.id}:${t.port}`
    if (h.state === 'draining') drained.add(key)
    return h.state !== 'draining' && drained.has(key)
  }
  return {
    describe(targetGroupArn: string) {
      const found = (ctx.store as StoreReader).get<TargetGroupRecord>(TARGET_GROUPS, targetGroupArn)?.value
      if (found === undefined) return undefined
      const tg = describeGroup(ctx.store, found)
      return {
        arn: found.targetGroup.TargetGroupArn, name: found.targetGroup.TargetGroupName, targetType: found.targetGroup.TargetType,
        protocol: found.targetGroup.Protocol as 'HTTP', port: found.targetGroup.Port ?? 80, loadBalancerArns: tg.LoadBalancerArns ?? []
      }
    },
    register(targetGroupArn: string, targets: readonly TargetSpec[]): void {
      register(ctx, targetGroupArn, () => targets.map((t) => ({ Id: t.id, Port: t.port, host: t.host, ...(t.availabilityZone !== undefined ? { AvailabilityZone: t.availabilityZone } : {}) })))
    },
    deregister(targetGroupArn: string, targets: readonly { id: string; port: number }[]): Promise<void> {
      if (ctx.store.get(TARGET_GROUPS, targetGroupArn) !== undefined) {
        deregister(ctx, targetGroupArn, targets.map((t) => ({ Id: t.id, Port: t.port })), 'targets', false)
      }
      const drained = new Set<string>()
      const left = () => targets.map((t) => gone(targetGroupArn, t, drained)).every(Boolean)
      if (left()) return Promise.resolve()
      return new Promise((resolve) => {
        const listener: HealthListener = (arn) => {
          if (arn === targetGroupArn && left()) done()
        }
        // The runtime may take the target out without a state change to report: look again when the delay has passed.
        const delay = ctx.plane.getTargetGroup(targetGroupArn)?.config.deregistrationDelayMs ?? 0
        let timer = ctx.clock.setTimeout(function check() {
          if (left()) done()
          else timer = ctx.clock.setTimeout(check, 1000)
        }, delay + 1)
        const done = () => {
          ctx.healthListeners.delete(listener)
          ctx.clock.clearTimeout(timer)
          const at = ctx.closers.indexOf(done)
          if (at >= 0) ctx.closers.splice(at, 1)
          resolve()
        }
        ctx.healthListeners.add(listener)
        // The control plane closing takes the data plane's targets with it: nothing is left to wait for.
        ctx.closers.push(done)
      })
    },
    health(targetGroupArn: string, target: { id: string; port: number }) {
      const runtime = ctx.plane.getTargetGroup(targetGroupArn)
      if (runtime === undefined) return undefined
      return runtime.health([target])[0]
    },
    onHealthChange(listener: HealthListener): () => void {
      ctx.healthListeners.add(listener)
      return () => ctx.healthListeners.delete(listener)
    }
  }
}

export { loadBalancersOf }
