// ELBv2 target groups in the SDK (`cloud.elbv2.targetGroup('api', { port })`):
// create, register / deregister targets, their health, health check settings
// and attributes; and the small helpers the other ELBv2 files share.

import { InvalidArgumentError, NotFoundError } from '../runtime/errors.js'
import type { Elbv2Operations, ProtocolEnum, Tag, TargetGroup, TargetHealthReasonEnum, TargetHealthStateEnum, TargetTypeEnum } from '../runtime/elb/model.js'

/** What the SDK runs ELBv2 over (embedded: the engine's control plane; remote: the ELBv2 API). */
export type Elbv2Service = Elbv2Operations

export function tagList(tags: Record<string, string> | undefined): Tag[] | undefined {
  return tags === undefined ? undefined : Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
}

export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** Every page of a Marker-paged ELBv2 call. */
export async function allPages<T>(page: (Marker?: string) => Promise<{ items?: T[]; NextMarker?: string }>): Promise<T[]> {
  const out: T[] = []
  let marker: string | undefined
  do {
    const p = await page(marker)
    out.push(...(p.items ?? []))
    marker = p.NextMarker
  } while (marker !== undefined && marker !== '')
  return out
}

/** A target: `'127.0.0.1:8080'`, `'i-0abc:80'`, or its Id and port. */
export type TargetRef = string | { id: string; port?: number }

function targetOf(ref: TargetRef): { Id: string; Port?: number } {
  if (typeof ref !== 'string') return defined({ Id: ref.id, Port: ref.port })
  const colon = ref.lastIndexOf(':')
  if (colon < 0) return { Id: ref }
  const port = Number(ref.slice(colon + 1))
  if (!Number.isInteger(port)) throw new InvalidArgumentError('ValidationError', `target ${ref}: the port after ':' must be a number`, { field: 'targets' })
  return { Id: ref.slice(0, colon), Port: port }
}

/** A target's health as DescribeTargetHealth reports it. */
export interface TargetHealthView {
  id: string
  port: number | undefined
  state: TargetHealthStateEnum | undefined
  reason?: TargetHealthReasonEnum
  description?: string
}

export interface HealthCheckOptions {
  protocol?: ProtocolEnum
  /** `traffic-port` (default) or a port. */
  port?: number | 'traffic-port'
  path?: string
  enabled?: boolean
  intervalSeconds?: number
  timeoutSeconds?: number
  healthyThreshold?: number
  unhealthyThreshold?: number
  /** HTTP codes: `200`, `200,202`, `200-299`. */
  matcher?: string
}

export interface TargetGroupOptions {
  protocol?: ProtocolEnum
  port?: number
  targetType?: TargetTypeEnum
  healthCheck?: HealthCheckOptions
  tags?: Record<string, string>
}

function healthCheckFields(h: HealthCheckOptions | undefined) {
  if (h === undefined) return {}
  return defined({
    HealthCheckProtocol: h.protocol, HealthCheckPort: h.port === undefined ? undefined : String(h.port), HealthCheckPath: h.path,
    HealthCheckEnabled: h.enabled, HealthCheckIntervalSeconds: h.intervalSeconds, HealthCheckTimeoutSeconds: h.timeoutSeconds,
    HealthyThresholdCount: h.healthyThreshold, UnhealthyThresholdCount: h.unhealthyThreshold, Matcher: h.matcher === undefined ? undefined : { HttpCode: h.matcher }
  })
}

/** Attributes as ELBv2 lists them ↔ a record. */
export const attributeList = (values: Record<string, string | number | boolean>) => Object.entries(values).map(([Key, Value]) => ({ Key, Value: String(Value) }))
export const attributeRecord = (list: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).filter((a) => a.Key !== undefined).map((a) => [a.Key!, a.Value ?? '']))

export class TargetGroupHandle {
  readonly name: string
  readonly #elb: Elbv2Service
  readonly #options: TargetGroupOptions
  #arn: string | undefined

  constructor(elb: Elbv2Service, name: string, options: TargetGroupOptions = {}, arn?: string) {
    this.#elb = elb
    this.name = name
    this.#options = options
    this.#arn = arn
  }

  /** CreateTargetGroup with the handle's options (ELBv2's defaults for the rest: HTTP, port 80, ip targets here). */
  async create(): Promise<TargetGroupHandle> {
    const o = this.#options
    const { TargetGroups } = await this.#elb.createTargetGroup(defined({
      Name: this.name, Protocol: o.protocol ?? 'HTTP', Port: o.port ?? 80, TargetType: o.targetType ?? 'ip', ...healthCheckFields(o.healthCheck), Tags: tagList(o.tags)
    }))
    this.#arn = TargetGroups?.[0]?.TargetGroupArn
    return this
  }

  /** Its ARN (looked up by name when this handle did not create it). */
  async arn(): Promise<string> {
    if (this.#arn === undefined) this.#arn = (await this.describe()).TargetGroupArn
    return this.#arn!
  }

  async describe(): Promise<TargetGroup> {
    const { TargetGroups } = await this.#elb.describeTargetGroups(this.#arn !== undefined ? { TargetGroupArns: [this.#arn] } : { Names: [this.name] })
    const group = TargetGroups?.[0]
    if (group === undefined) throw new NotFoundError('TargetGroupNotFound', `target group ${this.name} does not exist`, { field: 'name' })
    return group
  }

  /** RegisterTargets: `'127.0.0.1:8080'` or `{ id, port }` (port default: the group's). */
  async register(...targets: TargetRef[]): Promise<void> {
    await this.#elb.registerTargets({ TargetGroupArn: await this.arn(), Targets: targets.map(targetOf) })
  }

  /** DeregisterTargets: the targets start draining (the deregistration delay). */
  async deregister(...targets: TargetRef[]): Promise<void> {
    await this.#elb.deregisterTargets({ TargetGroupArn: await this.arn(), Targets: targets.map(targetOf) })
  }

  /** DescribeTargetHealth, of every registered target or of those given. */
  async health(...targets: TargetRef[]): Promise<TargetHealthView[]> {
    const { TargetHealthDescriptions } = await this.#elb.describeTargetHealth(defined({
      TargetGroupArn: await this.arn(), Targets: targets.length > 0 ? targets.map(targetOf) : undefined
    }))
    return (TargetHealthDescriptions ?? []).map((d) => defined({
      id: d.Target?.Id ?? '', port: d.Target?.Port, state: d.TargetHealth?.State, reason: d.TargetHealth?.Reason, description: d.TargetHealth?.Description
    }) as TargetHealthView)
  }

  /** ModifyTargetGroup's health check settings. */
  async healthCheck(settings: HealthCheckOptions): Promise<TargetGroup> {
    const { TargetGroups } = await this.#elb.modifyTargetGroup({ TargetGroupArn: await this.arn(), ...healthCheckFields(settings) })
    return TargetGroups![0]
  }

  /** DescribeTargetGroupAttributes as a record (`deregistration_delay.timeout_seconds`: '300', …). */
  async attributes(): Promise<Record<string, string>> {
    return attributeRecord((await this.#elb.describeTargetGroupAttributes({ TargetGroupArn: await this.arn() })).Attributes)
  }

  /** ModifyTargetGroupAttributes; resolves with every attribute after the change. */
  async setAttributes(values: Record<string, string | number | boolean>): Promise<Record<string, string>> {
    return attributeRecord((await this.#elb.modifyTargetGroupAttributes({ TargetGroupArn: await this.arn(), Attributes: attributeList(values) })).Attributes)
  }

  async delete(): Promise<void> {
    await this.#elb.deleteTargetGroup({ TargetGroupArn: await this.arn() })
  }
}

