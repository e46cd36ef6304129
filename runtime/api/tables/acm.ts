// AWS Certificate Manager's operation table (awsJson1_1, X-Amz-Target
// CertificateManager.<Op>, signing name acm): decode → Acm → encode, no
// logic. Actions are acm:<Op> on the certificate's ARN (RequestCertificate,
// ImportCertificate without an ARN and ListCertificates on `*`, as the
// service authorization reference lists them), with aws:RequestTag for the
// tags a call sets. ACM's exceptions are all 400s; the engine's codes are
// their names. Beside it, ACM's Stratus-only calls on /stratus/v1/
// (acmStratusOperations, composed into the Stratus table): AcmConfirmValidation
// (authorized as acm:ResendValidationEmail, ACM's action that drives a
// pending validation) and AcmAuthorityCertificate (the root PEM to trust,
// authorized as acm:GetCertificate).

import type { Acm } from '../../acm/service.js'
import { certificateIdOf } from '../../acm/input.js'
import type { Partition } from '../../aws/partition.js'
import { StratusError } from '../../errors.js'
import { readOnlyByName, type Operation, type ServiceTable, type WireError } from '../operation.js'

type Input = Record<string, any>

export const ACM_TARGET = 'CertificateManager'

export const ACM_EXCEPTIONS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException', 'InvalidArnException', 'InvalidDomainValidationOptionsException', 'LimitExceededException',
  'ResourceInUseException', 'ValidationException', 'InvalidParameterException', 'RequestInProgressException', 'InvalidStateException',
  'InvalidTagException', 'TooManyTagsException', 'TagPolicyException', 'InvalidArgsException', 'ConflictException', 'AccessDeniedException', 'ThrottlingException'
])

/** The certificate ARN IAM is asked about: the one named, once it parses as this account's ACM ARN (a malformed one is refused first, naming the member). */
function certificateResource(p: Partition, i: Input): string {
  certificateIdOf(p, i?.CertificateArn)
  return String(i.CertificateArn)
}

function tagsOf(i: Input): Record<string, string> | undefined {
  return Array.isArray(i?.Tags) ? Object.fromEntries((i.Tags as Array<{ Key: string; Value?: string }>).map((t) => [String(t.Key), String(t.Value ?? '')])) : undefined
}

/** An engine error → ACM's exception (exported for the model check). */
export function acmError(err: unknown): WireError {
  if (err instanceof StratusError) {
    if (ACM_EXCEPTIONS.has(err.code)) return { type: err.code, status: 400, message: err.message }
    if (err.kind === 'NotFound') return { type: 'ResourceNotFoundException', status: 400, message: err.message }
    if (err.kind === 'InvalidArgument') return { type: 'ValidationException', status: 400, message: err.message }
    if (err.kind === 'LimitExceeded') return { type: 'LimitExceededException', status: 400, message: err.message }
    if (err.kind === 'Conflict') return { type: 'ConflictException', status: 400, message: err.message }
    if (err.kind === 'AccessDenied') return { type: 'AccessDeniedException', status: 400, message: err.message }
  }
  return { type: 'InternalServerException', status: 500, message: err instanceof Error ? err.message : String(err) }
}

export function acmTable(acm: Acm, p: Partition): ServiceTable {
  const op = (name: string, required: string[], call: (i: Input) => unknown, o: { resource?: 'certificate' | 'any'; tags?: boolean; blobs?: string[] } = {}): Operation<Input> => ({
    name,
    readOnly: readOnlyByName(name),
    required,
    ...(o.blobs !== undefined ? { blobs: o.blobs, secretInputs: ['PrivateKey'] } : {}),
    authorize: (i) => {
      const requestTags = o.tags === true ? tagsOf(i) : undefined
      const resources = o.resource === 'certificate' || (o.resource === undefined && i?.CertificateArn !== undefined) ? [certificateResource(p, i)] : ['*']
      return { action: `acm:${name}`, resources, ...(requestTags !== undefined ? { requestTags, tagKeys: Object.keys(requestTags) } : {}) }
    },
    call: (i) => call(i ?? {})
  })
  const cert = { resource: 'certificate' as const }
  return {
    signingName: 'acm',
    eventSource: 'acm.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [ACM_TARGET],
    operations: [
      op('RequestCertificate', ['DomainName'], (i) => acm.requestCertificate(i), { resource: 'any', tags: true }),
      op('DescribeCertificate', ['CertificateArn'], (i) => acm.describeCertificate(i), cert),
      op('ListCertificates', [], (i) => acm.listCertificates(i), { resource: 'any' }),
      op('GetCertificate', ['CertificateArn'], (i) => acm.getCertificate(i), cert),
      op('DeleteCertificate', ['CertificateArn'], (i) => acm.deleteCertificate(i), cert),
      op('AddTagsToCertificate', ['CertificateArn', 'Tags'], (i) => acm.addTagsToCertificate(i), { ...cert, tags: true }),
      op('RemoveTagsFromCertificate', ['CertificateArn', 'Tags'], (i) => acm.removeTagsFromCertificate(i), { ...cert, tags: true }),
      op('ListTagsForCertificate', ['CertificateArn'], (i) => acm.listTagsForCertificate(i), cert),
      op('ImportCertificate', ['Certificate', 'PrivateKey'], (i) => acm.importCertificate(i), { tags: true, blobs: ['Certificate', 'PrivateKey', 'CertificateChain'] })
    ],
    error: acmError,
    invalid(member: string, message: string): WireError {
      const field = `${member[0].toLowerCase()}${member.slice(1)}`
      return /is required/.test(message)
        ? { type: 'ValidationException', status: 400, message: `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null` }
        : { type: 'ValidationException', status: 400, message: `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${message}` }
    },
    resourceTags: (resource: string) => acm.tagsOf(resource)
  }
}

/** ACM's calls on the /stratus/ API (see the header). */
export function acmStratusOperations(acm: Acm, p: Partition): Operation<Input>[] {
  return [
    {
      name: 'AcmConfirmValidation',
      readOnly: false,
      required: ['CertificateArn'],
      authorize: (i) => ({ action: 'acm:ResendValidationEmail', resources: [certificateResource(p, i)] }),
      call: (i) => acm.confirmValidation(i)
    },
    {
      name: 'AcmAuthorityCertificate',
      readOnly: true,
      authorize: () => ({ action: 'acm:GetCertificate', resources: ['*'] }),
      call: async () => ({ Certificate: await acm.authorityCertificate() })
    }
  ]
}
