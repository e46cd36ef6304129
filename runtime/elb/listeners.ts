// Listeners and their certificates: CreateListener, DescribeListeners,
// ModifyListener, DeleteListener, Add/Remove/DescribeListenerCertificates.
// Every change goes through applyThenCommit: the listener is bound (or
// rebound, or updated in place) on the load balancer's address first, and
// the change is committed only once the data plane took it.

import type { StoreReader, Transaction } from '../store/store.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkTags, hexId, optionalInt, optionalList, optionalString, page, requireList, requireString, getByArn } from './input.js'
import type {
  AddListenerCertificatesInput, AddListenerCertificatesOutput, Certificate, CreateListenerInput, CreateListenerOutput, DeleteListenerInput,
  DescribeListenerCertificatesInput, DescribeListenerCertificatesOutput, DescribeListenersInput, DescribeListenersOutput, Empty, Listener,
  ModifyListenerInput, ModifyListenerOutput, ProtocolEnum, RemoveListenerCertificatesInput
} from './model.js'
import { LISTENERS, RULES, type ListenerRecord, type LoadBalancerRecord, type RuleRecord } from './records.js'
import { checkActions } from './actions.js'
import { applyThenCommit } from './reconcile.js'
import { getLoadBalancer } from './load-balancers.js'
import { DEFAULT_SSL_POLICY, SSL_POLICIES } from './ssl-policies.js'

const ALB_LISTENER = ['HTTP', 'HTTPS']
const NLB_LISTENER = ['TCP', 'TLS', 'UDP', 'TCP_UDP']
const ALPN = ['HTTP1Only', 'HTTP2Only', 'HTTP2Optional', 'HTTP2Preferred', 'None']

export function isSecure(protocol: string): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS'
}

/** The listener a request's ListenerArn names; ListenerNotFound otherwise. */
export function getListener(ctx: ElbContext, value: unknown, field = 'ListenerArn', reader: StoreReader = ctx.store): { record: ListenerRecord; version: number } {
  return getByArn<ListenerRecord>(ctx, LISTENERS, 'listener', value, field, reader)
}

/** A certificate ARN ACM has issued; CertificateNotFound otherwise. */
function checkCertificate(ctx: ElbContext, value: unknown, field: string): string {
  const arn = requireString(value, field)
  if (ctx.certificates?.get(arn) === undefined) throw new Elbv2Error('CertificateNotFound', `Certificate '${arn}' not found`, { field })
  return arn
}

/** The one default certificate of a create or modify call. */
function checkDefaultCertificate(ctx: ElbContext, value: unknown, field: string): string | undefined {
  const list = optionalList<Certificate>(value, field)
  if (list === undefined || list.length === 0) return undefined
  if (list.length > 1) throw validation(field, 'You must provide exactly one certificate for the listener (add more with AddListenerCertificates)', 1)
  return checkCertificate(ctx, list[0]?.CertificateArn, `${field}[0].CertificateArn`)
}

function protocolFor(lb: LoadBalancerRecord, value: unknown, field: string): ProtocolEnum {
  const protocol = requireString(value, field)
  const allowed = lb.loadBalancer.Type === 'application' ? ALB_LISTENER : NLB_LISTENER
  if (!allowed.includes(protocol)) {
    throw new Elbv2Error('UnsupportedProtocol', `Protocol '${protocol}' is not supported for load balancers of type '${lb.loadBalancer.Type}' (${allowed.join(', ')})`, { field })
  }
  return protocol as ProtocolEnum
}

function checkPortFree(reader: StoreReader, lbArn: string, port: number, except?: string): void {
  const clash = reader.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: lbArn } }).find((l) => l.value.listener.Port === port && l.key !== except)
  if (clash !== undefined) throw new Elbv2Error('DuplicateListener', `A listener already exists on port ${port} for load balancer '${lbArn}'`, { field: 'Port' })
}

function checkSslPolicy(value: unknown, protocol: string, type: string, current: string | undefined): string | undefined {
  const given = optionalString(value, 'SslPolicy')
  if (!isSecure(protocol)) {
    if (given !== undefined) throw validation('SslPolicy', `An SSL policy can be specified only for HTTPS and TLS listeners, not ${protocol}`)
    return undefined
  }
  const name = given ?? current ?? DEFAULT_SSL_POLICY
  const policy = SSL_POLICIES.find((p) => p.Name === name)
  if (policy === undefined || !(policy.SupportedLoadBalancerTypes ?? []).includes(type)) {
    throw new Elbv2Error('SSLPolicyNotFound', `SSL policy '${name}' not found`, { field: 'SslPolicy' })
  }
  return name
}

function checkAlpn(value: unknown, protocol: string, current: string[] | undefined): string[] | undefined {
  const list = optionalList<string>(value, 'AlpnPolicy')
  if (list === undefined) return protocol === 'TLS' ? current : undefined
  if (protocol !== 'TLS') throw validation('AlpnPolicy', 'An ALPN policy can be specified only for TLS listeners')
  if (list.length !== 1 || !ALPN.includes(list[0])) throw new Elbv2Error('ValidationError', `ALPN policy must be one of ${ALPN.join(', ')}`, { field: 'AlpnPolicy' })
  return list
}

/** The Listener shape DescribeListeners returns. */
function shown(r: ListenerRecord): Listener {
  return r.listener
}

export function listenerOperations(ctx: ElbContext) {
  return {
    async createListener(input: CreateListenerInput): Promise<CreateListenerOutput> {
      return ctx.serial(async () => {
        const { record: lb } = getLoadBalancer(ctx, input.LoadBalancerArn)
        const lbArn = lb.loadBalancer.LoadBalancerArn
        const protocol = protocolFor(lb, input.Protocol, 'Protocol')
        const port = optionalInt(input.Port, 'Port', 1, 65535)
        if (port === undefined) throw validation('Port', '1 validation error detected: Value null at \'port\' failed to satisfy constraint: Member must not be null')
        const cert = checkDefaultCertificate(ctx, input.Certificates, 'Certificates')
        if (isSecure(protocol) && cert === undefined) throw validation('Certificates', `A certificate must be specified for ${protocol} listeners`)
        if (!isSecure(protocol) && cert !== undefined) throw validation('Certificates', `Certificates cannot be specified for ${protocol} listeners`)
        const sslPolicy = checkSslPolicy(input.SslPolicy, protocol, lb.loadBalancer.Type, undefined)
        const alpn = checkAlpn(input.AlpnPolicy, protocol, undefined)
        const tags = checkTags(ctx, input.Tags, 'Tags')
        const rest = lbArn.slice(lbArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length)
        const prefix = lbArn.slice(0, lbArn.indexOf(':loadbalancer/'))
        const listenerId = hexId()
        const listenerArn = `${prefix}:listener/${rest}/${listenerId}`
        const defaultRuleArn = `${prefix}:listener-rule/${rest}/${listenerId}/${hexId()}`
        const created = await applyThenCommit(ctx, lbArn, (tx: Transaction) => {
          checkPortFree(tx, lbArn, port)
          if (tx.count(LISTENERS, { index: { name: 'loadBalancer', value: lbArn } }) >= ctx.quotas.listenersPerLoadBalancer) {
            throw new Elbv2Error('TooManyListeners', `You've reached the limit of ${ctx.quotas.listenersPerLoadBalancer} listeners per load balancer`, { limit: ctx.quotas.listenersPerLoadBalancer })
          }
          const actions = checkActions(ctx, { lbArn, lbType: lb.loadBalancer.Type, listenerProtocol: protocol, reader: tx }, input.DefaultActions, 'DefaultActions')
          const r: ListenerRecord = {
            listener: {
              ListenerArn: listenerArn, LoadBalancerArn: lbArn, Port: port, Protocol: protocol,
              ...(cert !== undefined ? { Certificates: [{ CertificateArn: cert }] } : {}),
              ...(sslPolicy !== undefined ? { SslPolicy: sslPolicy } : {}),
              DefaultActions: actions,
              ...(alpn !== undefined ? { AlpnPolicy: alpn } : {})
            },
            certificates: cert !== undefined ? [{ CertificateArn: cert, IsDefault: true }] : [],
            defaultRuleArn,
            tags
          }
          tx.put(LISTENERS, listenerArn, r, 0)
          return r
        })
        return { Listeners: [shown(created)] }
      })
    },

    async describeListeners(input: DescribeListenersInput): Promise<DescribeListenersOutput> {
      const lb = optionalString(input.LoadBalancerArn, 'LoadBalancerArn')
      const arns = optionalList<string>(input.ListenerArns, 'ListenerArns')
      if (lb === undefined && arns === undefined) throw validation('LoadBalancerArn', 'You must specify either listener ARNs or a load balancer ARN')
      if (lb !== undefined && arns !== undefined) throw validation('LoadBalancerArn', 'Listener ARNs and a load balancer ARN cannot be specified at the same time')
      let records: ListenerRecord[]
      if (arns !== undefined) records = arns.map((a, i) => getListener(ctx, a, `ListenerArns[${i}]`).record)
      else {
        const { record } = getLoadBalancer(ctx, lb)
        records = ctx.store.scan<ListenerRecord>(LISTENERS, { index: { name: 'loadBalancer', value: record.loadBalancer.LoadBalancerArn } }).map((v) => v.value)
      }
      const out = page(ctx, `DescribeListeners:${JSON.stringify([lb, arns])}`, records, (r) => r.listener.ListenerArn, input)
      return { Listeners: out.items.map(shown), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
    },

    async modifyListener(input: ModifyListenerInput): Promise<ModifyListenerOutput> {
      return ctx.serial(async () => {
        const { record: current } = getListener(ctx, input.ListenerArn)
        const lbArn = current.listener.LoadBalancerArn
        const { record: lb } = getLoadBalancer(ctx, lbArn)
        const protocol = input.Protocol === undefined || input.Protocol === null ? current.listener.Protocol : protocolFor(lb, input.Protocol, 'Protocol')
        const port = optionalInt(input.Port, 'Port', 1, 65535) ?? current.listener.Port
        const cert = checkDefaultCertificate(ctx, input.Certificates, 'Certificates')
        if (!isSecure(protocol) && cert !== undefined) throw validation('Certificates', `Certificates cannot be specified for ${protocol} listeners`)
        const defaultCert = isSecure(protocol) ? cert ?? current.certificates.find((c) => c.IsDefault === true)?.CertificateArn : undefined
        if (isSecure(protocol) && defaultCert === undefined) throw validation('Certificates', `A certificate must be specified for ${protocol} listeners`)
        const sslPolicy = checkSslPolicy(input.SslPolicy, protocol, lb.loadBalancer.Type, isSecure(current.listener.Protocol) ? current.listener.SslPolicy : undefined)
        const alpn = checkAlpn(input.AlpnPolicy, protocol, current.listener.AlpnPolicy)
        const listenerArn = current.listener.ListenerArn
        const updated = await applyThenCommit(ctx, lbArn, (tx: Transaction) => {
          const { record: r, version } = getListener(ctx, listenerArn, 'ListenerArn', tx)
          checkPortFree(tx, lbArn, port, listenerArn)
          const scope = { lbArn, lbType: lb.loadBalancer.Type, listenerProtocol: protocol, reader: tx }
          const actions = checkActions(ctx, scope, input.DefaultActions ?? r.listener.DefaultActions, 'DefaultActions')
          // A new protocol must suit what the listener's rules forward to as well.
          for (const { value: rule } of tx.scan<RuleRecord>(RULES, { index: { name: 'listener', value: listenerArn } })) checkActions(ctx, scope, rule.Actions, `Rules(${rule.RuleArn}).Actions`)
          const others = isSecure(protocol) ? r.certificates.filter((c) => c.IsDefault !== true && c.CertificateArn !== defaultCert) : []
          const { Certificates: _c, SslPolicy: _s, AlpnPolicy: _a, ...base } = r.listener
          const next: ListenerRecord = {
            ...r,
            listener: {
              ...base, Port: port, Protocol: protocol,
              ...(defaultCert !== undefined ? { Certificates: [{ CertificateArn: defaultCert }] } : {}),
              ...(sslPolicy !== undefined ? { SslPolicy: sslPolicy } : {}),
              DefaultActions: actions,
              ...(alpn !== undefined ? { AlpnPolicy: alpn } : {})
            },
            certificates: defaultCert !== undefined ? [{ CertificateArn: defaultCert, IsDefault: true }, ...others] : []
          }
          tx.put(LISTENERS, listenerArn, next, version)
          return next
        })
        return { Listeners: [shown(updated)] }
      })
    },

    async deleteListener(input: DeleteListenerInput): Promise<Empty> {
      return ctx.serial(async () => {
        const { record } = getListener(ctx, input.ListenerArn)
        const listenerArn = record.listener.ListenerArn
        await applyThenCommit(ctx, record.listener.LoadBalancerArn, (tx: Transaction) => {
          for (const { key } of tx.scan<RuleRecord>(RULES, { index: { name: 'listener', value: listenerArn } })) tx.delete(RULES, key)
          tx.delete(LISTENERS, listenerArn)
        })
        return {}
      })
    },

    async addListenerCertificates(input: AddListenerCertificatesInput): Promise<AddListenerCertificatesOutput> {
      return ctx.serial(async () => {
        const { record } = getListener(ctx, input.ListenerArn)
        if (!isSecure(record.listener.Protocol)) throw validation('ListenerArn', `Certificates can be added only to HTTPS and TLS listeners, not ${record.listener.Protocol}`)
        const list = requireList<Certificate>(input.Certificates, 'Certificates')
        if (list.length === 0) throw validation('Certificates', 'At least one certificate must be specified', 1)
        const added = list.map((c, i) => {
          if (c?.IsDefault === true) throw validation(`Certificates[${i}].IsDefault`, 'A default certificate cannot be added: replace the default certificate with ModifyListener')
          return checkCertificate(ctx, c?.CertificateArn, `Certificates[${i}].CertificateArn`)
        })
        const listenerArn = record.listener.ListenerArn
        const updated = await applyThenCommit(ctx, record.listener.LoadBalancerArn, (tx: Transaction) => {
          const { record: r, version } = getListener(ctx, listenerArn, 'ListenerArn', tx)
          const have = new Set(r.certificates.map((c) => c.CertificateArn))
          const fresh = [...new Set(added)].filter((a) => !have.has(a))
          const others = r.certificates.filter((c) => c.IsDefault !== true).length + fresh.length
          if (others > ctx.quotas.certificatesPerListener) {
            throw new Elbv2Error('TooManyCertificates', `You've reached the limit of ${ctx.quotas.certificatesPerListener} certificates per listener (the default certificate not counted)`, { field: 'Certificates', limit: ctx.quotas.certificatesPerListener })
          }
          const next: ListenerRecord = { ...r, certificates: [...r.certificates, ...fresh.map((a) => ({ CertificateArn: a, IsDefault: false }))] }
          tx.put(LISTENERS, listenerArn, next, version)
          return next
        })
        return { Certificates: updated.certificates.filter((c) => c.IsDefault !== true) }
      })
    },

    async removeListenerCertificates(input: RemoveListenerCertificatesInput): Promise<Empty> {
      return ctx.serial(async () => {
        const { record } = getListener(ctx, input.ListenerArn)
        const list = requireList<Certificate>(input.Certificates, 'Certificates')
        if (list.length === 0) throw validation('Certificates', 'At least one certificate must be specified', 1)
        const removed = list.map((c, i) => requireString(c?.CertificateArn, `Certificates[${i}].CertificateArn`))
        const def = record.certificates.find((c) => c.IsDefault === true)?.CertificateArn
        const at = removed.findIndex((a) => a === def)
        if (at >= 0) throw new Elbv2Error('OperationNotPermitted', 'The default certificate of a listener cannot be removed: replace it with ModifyListener', { field: `Certificates[${at}].CertificateArn` })
        const listenerArn = record.listener.ListenerArn
        await applyThenCommit(ctx, record.listener.LoadBalancerArn, (tx: Transaction) => {
          const { record: r, version } = getListener(ctx, listenerArn, 'ListenerArn', tx)
          const gone = new Set(removed)
          const next: ListenerRecord = { ...r, certificates: r.certificates.filter((c) => !gone.has(c.CertificateArn ?? '')) }
          if (next.certificates.length !== r.certificates.length) tx.put(LISTENERS, listenerArn, next, version)
        })
        return {}
      })
    },

    async describeListenerCertificates(input: DescribeListenerCertificatesInput): Promise<DescribeListenerCertificatesOutput> {
      const { record } = getListener(ctx, input.ListenerArn)
      const certs = record.certificates.map((c) => ({ CertificateArn: c.CertificateArn, IsDefault: c.IsDefault === true }))
      const out = page(ctx, `DescribeListenerCertificates:${record.listener.ListenerArn}`, certs.map((c, i) => ({ c, k: String(i).padStart(4, '0') })), (x) => x.k, input)
      return { Certificates: out.items.map((x) => x.c), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
    }
  }
}
