// DescribeSSLPolicies: the security policies HTTPS and TLS listeners may name,
// from the data plane's table (runtime/lb/tls-policies.ts: the versions and
// ciphers the listeners really negotiate), in ELBv2's shape.

import { DEFAULT_SSL_POLICY, TLS_POLICIES } from '../lb/tls-policies.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { optionalList, optionalString, page } from './input.js'
import type { DescribeSSLPoliciesInput, DescribeSSLPoliciesOutput, SslPolicy } from './model.js'

export { DEFAULT_SSL_POLICY }

export const SSL_POLICIES: readonly SslPolicy[] = TLS_POLICIES.map((p) => ({
  Name: p.name,
  SslProtocols: [...p.protocols],
  Ciphers: p.ciphers.map((Name, i) => ({ Name, Priority: i + 1 })),
  SupportedLoadBalancerTypes: ['application', 'network']
}))

export function describeSslPolicies(ctx: ElbContext, input: DescribeSSLPoliciesInput): DescribeSSLPoliciesOutput {
  const names = optionalList<string>(input.Names, 'Names')
  const type = optionalString(input.LoadBalancerType, 'LoadBalancerType')
  if (type !== undefined && !['application', 'network', 'gateway'].includes(type)) throw validation('LoadBalancerType', `Load balancer type '${type}' must be application, network or gateway`)
  let list = SSL_POLICIES.filter((p) => type === undefined || (p.SupportedLoadBalancerTypes ?? []).includes(type))
  if (names !== undefined) {
    list = names.map((n, i) => {
      const found = list.find((p) => p.Name === n)
      if (found === undefined) throw new Elbv2Error('SSLPolicyNotFound', `SSL policy '${String(n)}' not found`, { field: `Names[${i}]` })
      return found
    })
  }
  const out = page(ctx, `DescribeSSLPolicies:${JSON.stringify([names, type])}`, list.map((p, i) => ({ p, k: String(i).padStart(3, '0') })), (x) => x.k, input)
  return { SslPolicies: out.items.map((x) => x.p), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
}
