// A CertificateRecord as ACM shows it: CertificateDetail (DescribeCertificate)
// and CertificateSummary (ListCertificates), times as Dates (the wire
// encodes them as epoch seconds, as ACM's awsJson1_1 does).

import type { CertificateRecord, DomainValidationRecord } from './model.js'
import { colonSerial, validationEmails } from './names.js'

type Shape = Record<string, unknown>

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms))

const SERVER_AUTH = { Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }
const CLIENT_AUTH = { Name: 'TLS_WEB_CLIENT_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.2' }

function keyUsages(r: CertificateRecord): string[] {
  return r.keyAlgorithm === 'RSA_2048' ? ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'] : ['DIGITAL_SIGNATURE']
}

/** ELIGIBLE: issued by ACM and associated with a resource (ACM's rule for managed renewal). */
export function renewalEligibility(r: CertificateRecord): 'ELIGIBLE' | 'INELIGIBLE' {
  return r.type === 'AMAZON_ISSUED' && r.status === 'ISSUED' && r.inUseBy.length > 0 ? 'ELIGIBLE' : 'INELIGIBLE'
}

function domainValidation(r: CertificateRecord, v: DomainValidationRecord): Shape {
  const method = r.validationMethod ?? 'DNS'
  return {
    DomainName: v.domainName,
    ValidationDomain: v.validationDomain,
    ValidationStatus: v.status,
    ValidationMethod: method,
    ...(method === 'DNS'
      ? { ResourceRecord: { Name: v.recordName, Type: 'CNAME', Value: v.recordValue } }
      : { ValidationEmails: validationEmails(v.validationDomain) })
  }
}

export function certificateDetail(r: CertificateRecord): Shape {
  const issued = r.issued
  const detail: Shape = {
    CertificateArn: r.arn,
    DomainName: r.domainName,
    SubjectAlternativeNames: [...r.names],
    Status: r.status,
    Type: r.type,
    KeyAlgorithm: r.keyAlgorithm,
    CreatedAt: r.type === 'AMAZON_ISSUED' ? date(r.createdAt) : undefined,
    ImportedAt: date(r.importedAt),
    InUseBy: [...r.inUseBy],
    RenewalEligibility: renewalEligibility(r),
    Options: { CertificateTransparencyLoggingPreference: r.transparencyLogging }
  }
  if (r.type === 'AMAZON_ISSUED') detail.DomainValidationOptions = r.validation.map((v) => domainValidation(r, v))
  if (issued !== undefined) {
    Object.assign(detail, {
      Serial: colonSerial(issued.serial),
      Subject: issued.subject,
      Issuer: issued.issuer,
      ...(r.type === 'AMAZON_ISSUED' ? { IssuedAt: date(issued.issuedAt) } : {}),
      NotBefore: date(issued.notBefore),
      NotAfter: date(issued.notAfter),
      SignatureAlgorithm: issued.signatureAlgorithm,
      KeyUsages: keyUsages(r).map((Name) => ({ Name })),
      ExtendedKeyUsages: [SERVER_AUTH, CLIENT_AUTH]
    })
  }
  if (r.failureReason !== undefined) detail.FailureReason = r.failureReason
  if (r.renewal !== undefined) {
    detail.RenewalSummary = {
      RenewalStatus: r.renewal.status,
      DomainValidationOptions: r.validation.map((v) => domainValidation(r, v)),
      ...(r.renewal.reason !== undefined ? { RenewalStatusReason: r.renewal.reason } : {}),
      UpdatedAt: date(r.renewal.updatedAt)
    }
  }
  return detail
}

export function certificateSummary(r: CertificateRecord): Shape {
  return {
    CertificateArn: r.arn,
    DomainName: r.domainName,
    SubjectAlternativeNameSummaries: [...r.names],
    HasAdditionalSubjectAlternativeNames: false,
    Status: r.status,
    Type: r.type,
    KeyAlgorithm: r.keyAlgorithm,
    ...(r.issued !== undefined ? { KeyUsages: keyUsages(r), ExtendedKeyUsages: ['TLS_WEB_SERVER_AUTHENTICATION', 'TLS_WEB_CLIENT_AUTHENTICATION'] } : {}),
    InUse: r.inUseBy.length > 0,
    RenewalEligibility: renewalEligibility(r),
    ...(r.issued !== undefined ? { NotBefore: date(r.issued.notBefore), NotAfter: date(r.issued.notAfter) } : {}),
    ...(r.type === 'AMAZON_ISSUED' ? { CreatedAt: date(r.createdAt) } : { ImportedAt: date(r.importedAt) }),
    ...(r.type === 'AMAZON_ISSUED' && r.issued !== undefined ? { IssuedAt: date(r.issued.issuedAt) } : {})
  }
}

/** The timestamp members of ACM's shapes (the remote SDK revives them to Dates). */
export const ACM_TIMESTAMP_MEMBERS: ReadonlySet<string> = new Set(['CreatedAt', 'IssuedAt', 'ImportedAt', 'NotBefore', 'NotAfter', 'RevokedAt', 'UpdatedAt'])
