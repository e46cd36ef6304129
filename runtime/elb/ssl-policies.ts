// The security policies HTTPS and TLS listeners may name (DescribeSSLPolicies).
// Stratus's listeners speak TLS 1.2 and 1.3 only (the issue: TLS 1.2+), so it
// offers ELBv2's policies of that floor, with their protocol lists and
// ciphers in ELBv2's priority order (OpenSSL names, as ELBv2 reports them),
// plus ELBSecurityPolicy-2016-08 — ELBv2's long-time default that scripts and
// Terraform name — shown with the TLS 1.2 it is served with here (on AWS it
// also allows TLS 1.0 and 1.1).

import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { optionalList, optionalString, page } from './input.js'
import type { Cipher, DescribeSSLPoliciesInput, DescribeSSLPoliciesOutput, SslPolicy } from './model.js'

export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'

const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']
const TLS12_GCM = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384']
const TLS12_CBC = ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384']

function ciphers(names: readonly string[]): Cipher[] {
  return names.map((Name, i) => ({ Name, Priority: i + 1 }))
}

const BOTH = ['application', 'network']

export const SSL_POLICIES: readonly SslPolicy[] = [
  { Name: 'ELBSecurityPolicy-TLS13-1-2-2021-06', SslProtocols: ['TLSv1.2', 'TLSv1.3'], Ciphers: ciphers([...TLS13, ...TLS12_GCM, ...TLS12_CBC]), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', SslProtocols: ['TLSv1.2', 'TLSv1.3'], Ciphers: ciphers([...TLS13, ...TLS12_GCM]), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-TLS13-1-3-2021-06', SslProtocols: ['TLSv1.3'], Ciphers: ciphers(TLS13), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-TLS-1-2-2017-01', SslProtocols: ['TLSv1.2'], Ciphers: ciphers([...TLS12_GCM, ...TLS12_CBC]), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06', SslProtocols: ['TLSv1.2'], Ciphers: ciphers([...TLS12_GCM, ...TLS12_CBC]), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-2016-08', SslProtocols: ['TLSv1.2'], Ciphers: ciphers([...TLS12_GCM, ...TLS12_CBC]), SupportedLoadBalancerTypes: BOTH },
  { Name: 'ELBSecurityPolicy-FS-1-2-Res-2020-10', SslProtocols: ['TLSv1.2'], Ciphers: ciphers(TLS12_GCM), SupportedLoadBalancerTypes: BOTH }
]

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
