// The Elastic Load Balancing v2 part of the SDK:
//
//   const tg = await cloud.elbv2.targetGroup('api', { port: 8080 }).create()
//   await tg.register('127.0.0.1:8080', { id: '127.0.0.1', port: 8081 })
//   const lb = await cloud.elbv2.loadBalancer('web').create()
//   const listener = await lb.listener(80).forwardTo(tg)
//   await listener.rule(10).path('/api/*').forwardTo(tg)
//   await tg.health()   // [{ id, port, state: 'initial' | 'healthy' | …, reason? }]
//   await fetch(`${await lb.url(80)}/api/users`)
//
// Over the ELBv2 service interface (runtime/elb/model.ts): the engine's
// control plane in this process, or ELBv2's API of a remote engine (the same
// code runs on both). Shapes are ELBv2's (PascalCase); times epoch ms.

import type { AvailabilityZone, IpAddressType, LoadBalancer, LoadBalancerScheme, LoadBalancerType, Listener, SslPolicy, TargetGroup } from '../runtime/elb/model.js'
import { NotFoundError } from '../runtime/errors.js'
import { ListenerBuilder, ListenerHandle, type ListenerOptions } from './elbv2-listeners.js'
import { TargetGroupHandle, allPages, attributeList, attributeRecord, defined, tagList, type Elbv2Service, type TargetGroupOptions } from './elbv2-target-groups.js'

export { TargetGroupHandle, type Elbv2Service, type TargetGroupOptions, type HealthCheckOptions, type TargetRef, type TargetHealthView } from './elbv2-target-groups.js'
export { ListenerBuilder, ListenerHandle, ListenerRuleBuilder, ListenerRuleHandle, type ListenerOptions } from './elbv2-listeners.js'
export { ActionChoice, type ForwardTo } from './elbv2-actions.js'

export interface LoadBalancerOptions {
  /** application (default: HTTP/HTTPS listeners) or network (TCP/TLS). */
  type?: LoadBalancerType
  scheme?: LoadBalancerScheme
  /** Subnet ids (`subnet-stratus-<zone>`); default every zone of the region. */
  subnets?: string[]
  /** Security group ids; an ALB gets `sg-stratus` without them, an NLB none (and can then never have any). */
  securityGroups?: string[]
  tags?: Record<string, string>
}

export class LoadBalancerHandle {
  readonly name: string
  readonly #elb: Elbv2Service
  #arn: string | undefined

  constructor(elb: Elbv2Service, name: string, arn?: string) {
    this.#elb = elb
    this.name = name
    this.#arn = arn
  }

  /** CreateLoadBalancer; resolves with this handle (`describe()` has its address and state). */
  async create(options: LoadBalancerOptions = {}): Promise<LoadBalancerHandle> {
    const { LoadBalancers } = await this.#elb.createLoadBalancer(defined({
      Name: this.name, Type: options.type, Scheme: options.scheme, Subnets: options.subnets, SecurityGroups: options.securityGroups, Tags: tagList(options.tags)
    }))
    this.#arn = LoadBalancers?.[0]?.LoadBalancerArn
    return this
  }

  /** Its ARN (looked up by name when this handle did not create it). */
  async arn(): Promise<string> {
    if (this.#arn === undefined) this.#arn = (await this.describe()).LoadBalancerArn
    return this.#arn!
  }

  async describe(): Promise<LoadBalancer> {
    const { LoadBalancers } = await this.#elb.describeLoadBalancers(this.#arn !== undefined ? { LoadBalancerArns: [this.#arn] } : { Names: [this.name] })
    const lb = LoadBalancers?.[0]
    if (lb === undefined) throw new NotFoundError('LoadBalancerNotFound', `load balancer ${this.name} does not exist`, { field: 'name' })
    return lb
  }

  /** Its DNS name: the 127.x address its listeners bind. */
  async address(): Promise<string> {
    return (await this.describe()).DNSName!
  }

  /** `http://<address>:<port>` (`https://` with `secure`). */
  async url(port: number, options: { secure?: boolean } = {}): Promise<string> {
    return `${options.secure === true ? 'https' : 'http'}://${await this.address()}:${port}`
  }

  /** A new listener on this port: choose its default action to create it. */
  listener(port: number, options: ListenerOptions = {}): ListenerBuilder {
    return new ListenerBuilder(this.#elb, { arn: () => this.arn(), type: async () => (await this.describe()).Type }, port, options)
  }

  /** Its listeners (every page). */
  async listeners(): Promise<ListenerHandle[]> {
    const arn = await this.arn()
    const listeners = await allPages<Listener>(async (Marker) => {
      const page = await this.#elb.describeListeners(defined({ LoadBalancerArn: arn, Marker }))
      return { items: page.Listeners, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
    return listeners.map((l) => new ListenerHandle(this.#elb, l))
  }

  /** DescribeLoadBalancerAttributes as a record (`idle_timeout.timeout_seconds`: '60', …). */
  async attributes(): Promise<Record<string, string>> {
    return attributeRecord((await this.#elb.describeLoadBalancerAttributes({ LoadBalancerArn: await this.arn() })).Attributes)
  }

  async setAttributes(values: Record<string, string | number | boolean>): Promise<Record<string, string>> {
    return attributeRecord((await this.#elb.modifyLoadBalancerAttributes({ LoadBalancerArn: await this.arn(), Attributes: attributeList(values) })).Attributes)
  }

  /** SetSecurityGroups: these replace its security groups (an NLB only if it was created with some); resolves with the ids it has now. */
  async setSecurityGroups(...groups: string[]): Promise<string[]> {
    return (await this.#elb.setSecurityGroups({ LoadBalancerArn: await this.arn(), SecurityGroups: groups })).SecurityGroupIds ?? []
  }

  /** SetSubnets: the subnets (hence Availability Zones) it is in from now on; resolves with its zones. */
  async setSubnets(...subnets: string[]): Promise<AvailabilityZone[]> {
    return (await this.#elb.setSubnets({ LoadBalancerArn: await this.arn(), Subnets: subnets })).AvailabilityZones ?? []
  }

  /** SetIpAddressType (Stratus's subnets have no IPv6: only ipv4 is accepted). */
  async setIpAddressType(type: IpAddressType): Promise<IpAddressType | undefined> {
    return (await this.#elb.setIpAddressType({ LoadBalancerArn: await this.arn(), IpAddressType: type })).IpAddressType
  }

  /** Its tags as a record. */
  async tags(): Promise<Record<string, string>> {
    const { TagDescriptions } = await this.#elb.describeTags({ ResourceArns: [await this.arn()] })
    return Object.fromEntries((TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value ?? '']))
  }

  async tag(tags: Record<string, string>): Promise<void> {
    await this.#elb.addTags({ ResourceArns: [await this.arn()], Tags: tagList(tags)! })
  }

  async untag(...keys: string[]): Promise<void> {
    await this.#elb.removeTags({ ResourceArns: [await this.arn()], TagKeys: keys })
  }

  /** DeleteLoadBalancer (its listeners and rules go with it; its target groups stay). */
  async delete(): Promise<void> {
    await this.#elb.deleteLoadBalancer({ LoadBalancerArn: await this.arn() })
  }
}

export class Elbv2Client {
  /** The ELBv2 operations in ELBv2's shapes. */
  readonly service: Elbv2Service

  constructor(service: Elbv2Service) {
    this.service = service
  }

  /** A handle on a load balancer; `.create()` creates it. */
  loadBalancer(name: string): LoadBalancerHandle {
    return new LoadBalancerHandle(this.service, name)
  }

  /** A handle on a target group with the settings `.create()` uses (the other calls work on an existing one too). */
  targetGroup(name: string, options: TargetGroupOptions = {}): TargetGroupHandle {
    return new TargetGroupHandle(this.service, name, options)
  }

  /** Every load balancer (every page). */
  async loadBalancers(): Promise<LoadBalancerHandle[]> {
    const all = await allPages<LoadBalancer>(async (Marker) => {
      const page = await this.service.describeLoadBalancers(defined({ Marker }))
      return { items: page.LoadBalancers, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
    return all.map((lb) => new LoadBalancerHandle(this.service, lb.LoadBalancerName!, lb.LoadBalancerArn))
  }

  /** Every target group (every page). */
  async targetGroups(): Promise<TargetGroupHandle[]> {
    const all = await allPages<TargetGroup>(async (Marker) => {
      const page = await this.service.describeTargetGroups(defined({ Marker }))
      return { items: page.TargetGroups, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
    return all.map((tg) => new TargetGroupHandle(this.service, tg.TargetGroupName!, {}, tg.TargetGroupArn))
  }

  /** The security policies HTTPS and TLS listeners may name. */
  async sslPolicies(): Promise<SslPolicy[]> {
    return allPages<SslPolicy>(async (Marker) => {
      const page = await this.service.describeSSLPolicies(defined({ Marker }))
      return { items: page.SslPolicies, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
  }
}
