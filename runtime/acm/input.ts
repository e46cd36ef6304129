// ACM's input checks: certificate ARNs (InvalidArnException), tags
// (InvalidTagException, TooManyTagsException), and RequestCertificate's
// members (names, quota of names, validation method, key algorithm,
// DomainValidationOptions, idempotency token). Each refusal names the member
// and the limit; nothing is changed by a refused call.

import type { Partition } from '../aws/partition.js'
import { InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js'
import { MAX_NAMES, MAX_TAGS, type KeyAlgorithm, type Tag, type ValidationMethod } from './model.js'
import { checkDomainName, validationDomainOf, validationError } from './names.js'

const ARN_RE = /^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]*:certificate\/([\w+=/,.@-]+)$/
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1']

export function certificateArn(p: Partition, id: string): string {
  return `arn:${p.partition}:acm:${p.region}:${p.accountId}:certificate/${id}`
}

/** The id a CertificateArn names here: InvalidArnException when it is not an ACM certificate ARN, ResourceNotFoundException when it is another account's or region's. */
export function certificateIdOf(p: Partition, value: unknown, field = 'CertificateArn'): string {
  if (typeof value !== 'string' || value.length < 20 || value.length > 2048) {
    throw new InvalidArgumentError('InvalidArnException', `String '${String(value)}' is not a valid ARN.`, { field })
  }
  const m = ARN_RE.exec(value)
  if (m === null) throw new InvalidArgumentError('InvalidArnException', `String '${value}' is not a valid ARN.`, { field })
  if (!value.startsWith(`arn:${p.partition}:acm:${p.region}:${p.accountId}:`)) throw notFound(value)
  return m[1]
}

export function notFound(arn: string): NotFoundError {
  return new NotFoundError('ResourceNotFoundException', `Could not find certificate ${arn}.`, { field: 'CertificateArn' })
}

/** Tags as ACM takes them: Key 1–128, Value 0–256, no `aws:` keys, at most 50 on a certificate. */
export function checkTags(value: unknown, field = 'Tags'): Tag[] {
  if (!Array.isArray(value)) throw validationError(field, value, 'Member must be a list')
  if (value.length < 1) throw validationError(field, '[]', 'Member must have length greater than or equal to 1', 1)
  if (value.length > MAX_TAGS) throw new LimitExceededError('TooManyTagsException', `${field}: a certificate can have at most ${MAX_TAGS} tags, got ${value.length}`, { field, limit: MAX_TAGS })
  return value.map((tag: unknown, i): Tag => {
    const t = (tag ?? {}) as Record<string, unknown>
    const at = `${field}.${i + 1}.member`
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw validationError(`${at}.key`, t.Key, 'Member must have length between 1 and 128', 128)
    if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(t.Key)) throw validationError(`${at}.key`, t.Key, String.raw`Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:\/=+\-@]*`)
    if (t.Key.toLowerCase().startsWith('aws:')) throw new InvalidArgumentError('InvalidTagException', `Tag key ${t.Key} is invalid: keys beginning with aws: are reserved for AWS use`, { field: `${at}.key` })
    if (t.Value !== undefined) {
      if (typeof t.Value !== 'string' || t.Value.length > 256) throw validationError(`${at}.value`, t.Value, 'Member must have length less than or equal to 256', 256)
      if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(t.Value)) throw validationError(`${at}.value`, t.Value, String.raw`Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:\/=+\-@]*`)
    }
    return t.Value === undefined ? { Key: t.Key } : { Key: t.Key, Value: t.Value }
  })
}

/** Tags after adding `added` (same key: the new value). */
export function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, t]))
  for (const t of added) byKey.set(t.Key, t)
  return [...byKey.values()]
}

export interface CheckedRequest {
  domainName: string
  names: string[]
  validationMethod: ValidationMethod
  keyAlgorithm: KeyAlgorithm
  /** DomainName → ValidationDomain (DomainValidationOptions; EMAIL only uses them). */
  validationDomains: Map<string, string>
  idempotencyToken?: string
  tags: Tag[]
  transparencyLogging: 'ENABLED' | 'DISABLED'
}

/** RequestCertificate's members, checked as ACM checks them. */
export function checkRequest(input: Record<string, unknown>): CheckedRequest {
  const domainName = checkDomainName(input.DomainName, 'domainName')
  if (domainName.split('.')[0].length > 64) {
    throw new InvalidArgumentError('InvalidParameterException', `DomainName ${domainName}: the first domain name can have at most 64 octets in its first label (it is the certificate's common name)`, { field: 'DomainName', limit: 64 })
  }
  const sans = input.SubjectAlternativeNames
  if (sans !== undefined && !Array.isArray(sans)) throw validationError('subjectAlternativeNames', sans, 'Member must be a list')
  const given = ((sans ?? []) as unknown[]).map((n, i) => checkDomainName(n, `subjectAlternativeNames.${i + 1}.member`))
  if (given.length > 100) throw validationError('subjectAlternativeNames', `[${given.length} names]`, 'Member must have length less than or equal to 100', 100)
  const names: string[] = []
  const seen = new Set<string>()
  for (const n of [domainName, ...given]) {
    if (seen.has(n.toLowerCase())) continue
    seen.add(n.toLowerCase())
    names.push(n)
  }
  if (names.length > MAX_NAMES) {
    throw new LimitExceededError('LimitExceededException', `Cannot request a certificate for ${names.length} domain names: the quota is ${MAX_NAMES} domain names per certificate, DomainName included`, { field: 'SubjectAlternativeNames', limit: MAX_NAMES })
  }
  const method = input.ValidationMethod ?? 'DNS'
  if (method === 'HTTP') throw new InvalidArgumentError('InvalidParameterException', 'ValidationMethod HTTP is only available for certificates managed by CloudFront; use DNS or EMAIL', { field: 'ValidationMethod' })
  if (method !== 'DNS' && method !== 'EMAIL') throw validationError('validationMethod', method, 'Member must satisfy enum value set: [EMAIL, DNS, HTTP]')
  const keyAlgorithm = (input.KeyAlgorithm ?? 'RSA_2048') as KeyAlgorithm
  if (!KEY_ALGORITHMS.includes(keyAlgorithm)) throw validationError('keyAlgorithm', keyAlgorithm, `Member must satisfy enum value set: [${KEY_ALGORITHMS.join(', ')}]`)
  if (input.CertificateAuthorityArn !== undefined) {
    throw new InvalidArgumentError('InvalidParameterException', 'CertificateAuthorityArn: private certificate authorities (AWS Private CA) are not available here; certificates are signed by the engine\'s own CA', { field: 'CertificateAuthorityArn' })
  }
  const validationDomains = new Map<string, string>()
  if (input.DomainValidationOptions !== undefined) {
    const options = input.DomainValidationOptions
    if (!Array.isArray(options) || options.length < 1 || options.length > 100) throw validationError('domainValidationOptions', options, 'Member must have length between 1 and 100', 100)
    options.forEach((o: unknown, i) => {
      const { DomainName, ValidationDomain } = (o ?? {}) as Record<string, unknown>
      checkDomainName(DomainName, `domainValidationOptions.${i + 1}.member.domainName`)
      checkDomainName(ValidationDomain, `domainValidationOptions.${i + 1}.member.validationDomain`)
      const d = DomainName as string
      const v = ValidationDomain as string
      if (!seen.has(d.toLowerCase())) {
        throw new InvalidArgumentError('InvalidDomainValidationOptionsException', `DomainValidationOptions: ${d} is not one of the domain names the certificate is requested for`, { field: `DomainValidationOptions[${i}].DomainName` })
      }
      const base = validationDomainOf(d)
      const vd = v.toLowerCase()
      if (vd !== base && !base.endsWith(`.${vd}`)) {
        throw new InvalidArgumentError('InvalidDomainValidationOptionsException', `DomainValidationOptions: ValidationDomain ${v} must be ${base} or a superdomain of it`, { field: `DomainValidationOptions[${i}].ValidationDomain` })
      }
      validationDomains.set(d.toLowerCase(), vd)
    })
  }
  let idempotencyToken: string | undefined
  if (input.IdempotencyToken !== undefined) {
    const token = input.IdempotencyToken
    if (typeof token !== 'string' || token.length < 1 || token.length > 32) throw validationError('idempotencyToken', token, 'Member must have length between 1 and 32', 32)
    if (!/^\w+$/.test(token)) throw validationError('idempotencyToken', token, String.raw`Member must satisfy regular expression pattern: \w+`)
    idempotencyToken = token
  }
  const tags = input.Tags === undefined ? [] : checkTags(input.Tags)
  const preference = (input.Options as { CertificateTransparencyLoggingPreference?: unknown } | undefined)?.CertificateTransparencyLoggingPreference ?? 'ENABLED'
  if (preference !== 'ENABLED' && preference !== 'DISABLED') throw validationError('options.certificateTransparencyLoggingPreference', preference, 'Member must satisfy enum value set: [DISABLED, ENABLED]')
  return { domainName, names, validationMethod: method, keyAlgorithm, validationDomains, ...(idempotencyToken !== undefined ? { idempotencyToken } : {}), tags, transparencyLogging: preference }
}

