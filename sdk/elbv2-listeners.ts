// ELBv2 listeners and their rules in the SDK:
//   const listener = await lb.listener(443, { protocol: 'HTTPS', certificates: [arn] }).forwardTo(tg)
//   const rule = await listener.rule(10).path('/api/*').method('GET').forwardTo([{ group: blue, weight: 9 }, { group: green, weight: 1 }])
//   await rule.setPriority(5); await listener.defaultTo().fixedResponse(404)

import type { Action, Certificate, Elbv2Operations, Listener, ProtocolEnum, Rule, RuleCondition } from '../runtime/elb/model.js'
import { NotFoundError } from '../runtime/errors.js'
import { ActionChoice } from './elbv2-actions.js'
import { allPages, defined, tagList } from './elbv2-target-groups.js'

export interface ListenerOptions {
  /** Default: HTTP on an application load balancer, TCP on a network one. */
  protocol?: ProtocolEnum
  /** HTTPS / TLS: certificate ARNs, the first the default. */
  certificates?: string[]
  sslPolicy?: string
  tags?: Record<string, string>
}

/** `lb.listener(port, options)`: choose its default action to create it. */
export class ListenerBuilder extends ActionChoice<ListenerHandle> {
  readonly #elb: Elbv2Operations
  readonly #loadBalancerArn: () => Promise<string>
  readonly #loadBalancerType: () => Promise<string | undefined>
  readonly #port: number
  readonly #options: ListenerOptions

  constructor(elb: Elbv2Operations, loadBalancer: { arn: () => Promise<string>; type: () => Promise<string | undefined> }, port: number, options: ListenerOptions = {}) {
    super()
    this.#elb = elb
    this.#loadBalancerArn = loadBalancer.arn
    this.#loadBalancerType = loadBalancer.type
    this.#port = port
    this.#options = options
  }

  protected async apply(actions: Action[]): Promise<ListenerHandle> {
    const o = this.#options
    const certificates: Certificate[] | undefined = o.certificates?.map((CertificateArn) => ({ CertificateArn }))
    const protocol = o.protocol ?? ((await this.#loadBalancerType()) === 'network' ? 'TCP' : 'HTTP')
    const { Listeners } = await this.#elb.createListener(defined({
      LoadBalancerArn: await this.#loadBalancerArn(), Port: this.#port, Protocol: protocol, DefaultActions: actions,
      Certificates: certificates, SslPolicy: o.sslPolicy, Tags: tagList(o.tags)
    }))
    const extra = o.certificates?.slice(1) ?? []
    const handle = new ListenerHandle(this.#elb, Listeners![0])
    // CreateListener takes the default certificate only; the others SNI picks from are added after.
    if (extra.length > 0) await handle.addCertificates(...extra)
    return handle
  }
}

export class ListenerHandle {
  readonly arn: string
  readonly port: number
  readonly protocol: ProtocolEnum | undefined
  readonly #elb: Elbv2Operations

  constructor(elb: Elbv2Operations, listener: Listener) {
    this.#elb = elb
    this.arn = listener.ListenerArn!
    this.port = listener.Port!
    this.protocol = listener.Protocol
  }

  async describe(): Promise<Listener> {
    const { Listeners } = await this.#elb.describeListeners({ ListenerArns: [this.arn] })
    const listener = Listeners?.[0]
    if (listener === undefined) throw new NotFoundError('ListenerNotFound', `listener ${this.arn} does not exist`, { field: 'listenerArn' })
    return listener
  }

  /** A new rule at this priority (1–50000): add conditions, then say what it does. */
  rule(priority: number, options: { tags?: Record<string, string> } = {}): ListenerRuleBuilder {
    return new ListenerRuleBuilder(this.#elb, this.arn, priority, options)
  }

  /** Its rules in priority order, the default last (every page). */
  async rules(): Promise<ListenerRuleHandle[]> {
    const rules = await allPages(async (Marker) => {
      const page = await this.#elb.describeRules(defined({ ListenerArn: this.arn, Marker }))
      return { items: page.Rules, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
    return rules.map((r) => new ListenerRuleHandle(this.#elb, r))
  }

  /** ModifyListener's default actions. */
  defaultTo(): ActionChoice<ListenerHandle> {
    const modify = (actions: Action[]) => this.modify({ DefaultActions: actions })
    return new (class extends ActionChoice<ListenerHandle> {
      protected apply(actions: Action[]): Promise<ListenerHandle> {
        return modify(actions)
      }
    })()
  }

  /** ModifyListener with ELBv2's members (Port, Protocol, SslPolicy, Certificates, DefaultActions). */
  async modify(changes: { Port?: number; Protocol?: ProtocolEnum; SslPolicy?: string; Certificates?: Certificate[]; DefaultActions?: Action[] }): Promise<ListenerHandle> {
    const { Listeners } = await this.#elb.modifyListener({ ListenerArn: this.arn, ...changes })
    return new ListenerHandle(this.#elb, Listeners![0])
  }

  /** AddListenerCertificates: more certificates SNI may pick. */
  async addCertificates(...arns: string[]): Promise<void> {
    await this.#elb.addListenerCertificates({ ListenerArn: this.arn, Certificates: arns.map((CertificateArn) => ({ CertificateArn })) })
  }

  async removeCertificates(...arns: string[]): Promise<void> {
    await this.#elb.removeListenerCertificates({ ListenerArn: this.arn, Certificates: arns.map((CertificateArn) => ({ CertificateArn })) })
  }

  /** DescribeListenerCertificates: the default (IsDefault) and the others, every page. */
  async certificates(): Promise<Certificate[]> {
    return allPages(async (Marker) => {
      const page = await this.#elb.describeListenerCertificates(defined({ ListenerArn: this.arn, Marker }))
      return { items: page.Certificates, ...(page.NextMarker !== undefined ? { NextMarker: page.NextMarker } : {}) }
    })
  }

  async delete(): Promise<void> {
    await this.#elb.deleteListener({ ListenerArn: this.arn })
  }
}

/** `listener.rule(priority)`: conditions (each call adds one), then the action creates it. */
export class ListenerRuleBuilder extends ActionChoice<ListenerRuleHandle> {
  readonly #elb: Elbv2Operations
  readonly #listenerArn: string
  readonly #priority: number
  readonly #tags: Record<string, string> | undefined
  readonly #conditions: RuleCondition[] = []

  constructor(elb: Elbv2Operations, listenerArn: string, priority: number, options: { tags?: Record<string, string> }) {
    super()
    this.#elb = elb
    this.#listenerArn = listenerArn
    this.#priority = priority
    this.#tags = options.tags
  }

  /** path-pattern: `/api/*` (`*` and `?` wildcards), any of the values. */
  path(...values: string[]): this {
    return this.when({ Field: 'path-pattern', PathPatternConfig: { Values: values } })
  }

  host(...values: string[]): this {
    return this.when({ Field: 'host-header', HostHeaderConfig: { Values: values } })
  }

  header(name: string, ...values: string[]): this {
    return this.when({ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: name, Values: values } })
  }

  method(...values: string[]): this {
    return this.when({ Field: 'http-request-method', HttpRequestMethodConfig: { Values: values } })
  }

  /** query-string: `{ key: 'v', value: '2' }` or `{ value: 'debug' }` (a value under any key). */
  query(...pairs: Array<{ key?: string; value: string }>): this {
    return this.when({ Field: 'query-string', QueryStringConfig: { Values: pairs.map((p) => defined({ Key: p.key, Value: p.value })) } })
  }

  /** source-ip: CIDR blocks (`127.0.0.0/8`). */
  sourceIp(...cidrs: string[]): this {
    return this.when({ Field: 'source-ip', SourceIpConfig: { Values: cidrs } })
  }

  /** An ELBv2 condition as it is. */
  when(condition: RuleCondition): this {
    this.#conditions.push(condition)
    return this
  }

  protected async apply(actions: Action[]): Promise<ListenerRuleHandle> {
    const { Rules } = await this.#elb.createRule(defined({
      ListenerArn: this.#listenerArn, Priority: this.#priority, Conditions: this.#conditions, Actions: actions, Tags: tagList(this.#tags)
    }))
    return new ListenerRuleHandle(this.#elb, Rules![0])
  }
}

export class ListenerRuleHandle {
  readonly arn: string
  /** A number, or `default` (the listener's default rule). */
  readonly priority: string
  readonly rule: Rule
  readonly #elb: Elbv2Operations

  constructor(elb: Elbv2Operations, rule: Rule) {
    this.#elb = elb
    this.rule = rule
    this.arn = rule.RuleArn!
    this.priority = rule.Priority ?? ''
  }

  async describe(): Promise<Rule> {
    const { Rules } = await this.#elb.describeRules({ RuleArns: [this.arn] })
    const rule = Rules?.[0]
    if (rule === undefined) throw new NotFoundError('RuleNotFound', `rule ${this.arn} does not exist`, { field: 'ruleArn' })
    return rule
  }

  /** ModifyRule: new conditions and/or actions (each replaces the rule's whole list). */
  async modify(changes: { Conditions?: RuleCondition[]; Actions?: Action[] }): Promise<ListenerRuleHandle> {
    const { Rules } = await this.#elb.modifyRule({ RuleArn: this.arn, ...changes })
    return new ListenerRuleHandle(this.#elb, Rules![0])
  }

  /** SetRulePriorities for this rule alone. */
  async setPriority(priority: number): Promise<ListenerRuleHandle> {
    const { Rules } = await this.#elb.setRulePriorities({ RulePriorities: [{ RuleArn: this.arn, Priority: priority }] })
    return new ListenerRuleHandle(this.#elb, Rules!.find((r) => r.RuleArn === this.arn) ?? Rules![0])
  }

  async delete(): Promise<void> {
    await this.#elb.deleteRule({ RuleArn: this.arn })
  }
}
