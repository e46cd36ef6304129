// The security policies of TLS (NLB) and HTTPS (ALB) listeners: for each of
// ELBv2's policies of the TLS 1.2+ floor, the protocol versions it allows and
// its ciphers in ELBv2's priority order (OpenSSL names, TLS 1.3 suites first),
// plus ELBSecurityPolicy-2016-08, ELBv2's long-time default that scripts and
// Terraform name, served here with TLS 1.2 only (on AWS it also allows TLS 1.0
// and 1.1). A listener's secure contexts are made from its policy: the lowest
// and highest version, the ciphers (nothing outside the list is negotiated)
// and the server's order of preference, as ELBv2 does. DescribeSSLPolicies
// (runtime/elb) reports the same table.

import type tls from 'node:tls'

export type TlsProtocol = 'TLSv1.2' | 'TLSv1.3'

export interface TlsPolicy {
  name: string
  protocols: readonly TlsProtocol[]
  ciphers: readonly string[]
}

/** ELBv2's default security policy for TLS and HTTPS listeners. */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'

const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']
const TLS12_GCM = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384']
const TLS12_CBC = ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384']

export const TLS_POLICIES: readonly TlsPolicy[] = [
  { name: 'ELBSecurityPolicy-TLS13-1-2-2021-06', protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: [...TLS13, ...TLS12_GCM, ...TLS12_CBC] },
  { name: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: [...TLS13, ...TLS12_GCM] },
  { name: 'ELBSecurityPolicy-TLS13-1-3-2021-06', protocols: ['TLSv1.3'], ciphers: TLS13 },
  { name: 'ELBSecurityPolicy-TLS-1-2-2017-01', protocols: ['TLSv1.2'], ciphers: [...TLS12_GCM, ...TLS12_CBC] },
  { name: 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06', protocols: ['TLSv1.2'], ciphers: [...TLS12_GCM, ...TLS12_CBC] },
  { name: 'ELBSecurityPolicy-2016-08', protocols: ['TLSv1.2'], ciphers: [...TLS12_GCM, ...TLS12_CBC] },
  { name: 'ELBSecurityPolicy-FS-1-2-Res-2020-10', protocols: ['TLSv1.2'], ciphers: TLS12_GCM }
]

/** The policy of this name (the default when none is named; the control plane refuses unknown names). */
export function tlsPolicy(name: string | undefined): TlsPolicy {
  const wanted = name ?? DEFAULT_SSL_POLICY
  const found = TLS_POLICIES.find((p) => p.name === wanted)
  if (found === undefined) throw new RangeError(`unknown security policy ${wanted}`)
  return found
}

/** The secure-context options a policy makes: its versions, its ciphers only, in the server's order. */
export function tlsPolicyOptions(name: string | undefined): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'honorCipherOrder'> {
  const policy = tlsPolicy(name)
  return {
    minVersion: policy.protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: policy.protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    ciphers: policy.ciphers.join(':'),
    honorCipherOrder: true
  }
}
