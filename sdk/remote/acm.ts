// AcmService over the wire: ACM's own API (awsJson1_1, `X-Amz-Target:
// CertificateManager.<Op>`, signing name acm), so a remote call is the call
// the official ACM client and `aws acm` make — authorized as acm:<Op>. ACM's
// times come back as epoch seconds and are revived to Dates; PEM text given
// for ImportCertificate's blobs is sent as bytes (base64). The extensions go
// over /stratus/ (AcmConfirmValidation, AcmAuthorityCertificate).

import { ACM_TIMESTAMP_MEMBERS } from '../../runtime/index.js'
import { ACM_TARGET } from '../../runtime/api/tables/acm.js'
import type { AcmService } from '../acm.js'
import { encode, reviveDates } from './codec.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

const OPERATIONS = [
  'RequestCertificate', 'DescribeCertificate', 'ListCertificates', 'GetCertificate', 'DeleteCertificate',
  'AddTagsToCertificate', 'RemoveTagsFromCertificate', 'ListTagsForCertificate', 'ImportCertificate'
] as const

const BLOBS = ['Certificate', 'PrivateKey', 'CertificateChain']

export function remoteAcm(wire: WireClient, stratus: StratusApi): AcmService {
  const service: Record<string, (input?: Record<string, unknown>) => Promise<unknown>> = {}
  for (const op of OPERATIONS) {
    service[op[0].toLowerCase() + op.slice(1)] = async (input = {}) => {
      const body: Record<string, unknown> = { ...input }
      if (op === 'ImportCertificate') for (const b of BLOBS) if (typeof body[b] === 'string') body[b] = Buffer.from(body[b] as string, 'utf8')
      return reviveDates(await wire.json({
        service: 'acm', path: '/', body: encode(body), family: 'stratus',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ACM_TARGET}.${op}` }
      }), ACM_TIMESTAMP_MEMBERS)
    }
  }
  return {
    ...service,
    confirmValidation: async (input: { CertificateArn: string }) => reviveDates(await stratus.call('AcmConfirmValidation', input, { long: true }), ACM_TIMESTAMP_MEMBERS),
    authorityCertificate: async () => (await stratus.call<{ Certificate: string }>('AcmAuthorityCertificate', {})).Certificate
  } as unknown as AcmService
}
