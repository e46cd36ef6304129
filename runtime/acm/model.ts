// What AWS Certificate Manager keeps in the store and the numbers it runs by.
//
//   acm:authority     root                 AuthorityRecord (the engine's local CA)
//   acm:certificates  <certificate id>     CertificateRecord (requested and imported)
//
// A CertificateRecord holds the engine's facts (times in epoch ms on the
// Clock, PEMs, validation records); shapes.ts turns it into ACM's
// CertificateDetail / CertificateSummary. Private keys stay in the store: a
// durable store keeps them in the data directory, as the CA's own.

export const AUTHORITY = 'acm:authority'
export const CERTIFICATES = 'acm:certificates'

const DAY = 86_400_000

/** ACM's public certificates are valid 395 days (13 months). */
export const VALIDITY_MS = 395 * DAY
/** Managed renewal starts 60 days before expiry. */
export const RENEWAL_WINDOW_MS = 60 * DAY
/** Renewal attempts, once in the window, hourly (as ACM retries). */
export const RENEWAL_RETRY_MS = 3_600_000
/** A request not validated within 72 hours times out (VALIDATION_TIMED_OUT). */
export const VALIDATION_TIMEOUT_MS = 72 * 3_600_000
/** How often pending DNS validation records are looked up. */
export const VALIDATION_POLL_MS = 5 * 60_000
/** ACM's default quota: domain names per certificate (the DomainName counts). */
export const MAX_NAMES = 10
/** ACM's default quota: certificates per account and region. */
export const MAX_CERTIFICATES = 2500
/** Tags per certificate. */
export const MAX_TAGS = 50
/** An IdempotencyToken names the same request for one hour. */
export const IDEMPOTENCY_MS = 3_600_000

export type CertificateStatus = 'PENDING_VALIDATION' | 'ISSUED' | 'INACTIVE' | 'EXPIRED' | 'VALIDATION_TIMED_OUT' | 'REVOKED' | 'FAILED'
export type DomainStatus = 'PENDING_VALIDATION' | 'SUCCESS' | 'FAILED'
/** What RequestCertificate issues. */
export type KeyAlgorithm = 'RSA_2048' | 'EC_prime256v1' | 'EC_secp384r1'
/** What a record may hold (an imported certificate's key may be any of ACM's). */
export type AnyKeyAlgorithm = KeyAlgorithm | 'RSA_1024' | 'RSA_3072' | 'RSA_4096' | 'EC_secp521r1'
export type ValidationMethod = 'DNS' | 'EMAIL'
export type RenewalStatus = 'PENDING_AUTO_RENEWAL' | 'PENDING_VALIDATION' | 'SUCCESS' | 'FAILED'

export interface Tag {
  Key: string
  Value?: string
}

/** One name's validation: the CNAME ACM asks for (DNS) or the addresses it would write to (EMAIL). */
export interface DomainValidationRecord {
  domainName: string
  /** The domain the record lives under (a wildcard's base domain). */
  validationDomain: string
  recordName: string
  recordValue: string
  status: DomainStatus
}

/** The engine's local certificate authority: its self-signed root and key (PKCS#8 PEM). */
export interface AuthorityRecord {
  certPem: string
  keyPem: string
  serial: string
  subject: string
  notBefore: number
  notAfter: number
  createdAt: number
}

/** The issued material of a certificate (replaced whole on renewal). */
export interface Issued {
  certPem: string
  keyPem: string
  chainPem: string
  serial: string
  subject: string
  issuer: string
  signatureAlgorithm: string
  notBefore: number
  notAfter: number
  issuedAt: number
}

export interface CertificateRecord {
  id: string
  arn: string
  type: 'AMAZON_ISSUED' | 'IMPORTED'
  domainName: string
  /** DomainName first, then the other SubjectAlternativeNames (no duplicates). */
  names: string[]
  status: CertificateStatus
  keyAlgorithm: AnyKeyAlgorithm
  validationMethod?: ValidationMethod
  validation: DomainValidationRecord[]
  /** The validation was confirmed through the Stratus extension (the records count as present, renewals included). */
  confirmed: boolean
  createdAt: number
  importedAt?: number
  issued?: Issued
  failureReason?: string
  /** Resources (listeners, load balancers) that use it: DeleteCertificate is refused while any does. */
  inUseBy: string[]
  renewal?: { status: RenewalStatus; reason?: string; updatedAt: number }
  /** The last day (counted from 45 days before NotAfter) an Approaching Expiration event was sent for. */
  expiryNoticeDay?: number
  idempotency?: { token: string; expiresAt: number }
  tags: Tag[]
  transparencyLogging: 'ENABLED' | 'DISABLED'
}

/**
 * Where ACM looks for the DNS validation CNAMEs: the engine's own DNS records
 * (the Lightsail DNS server, when it exists). lookup answers the values of
 * the records of that name and type ([] when there are none).
 */
export interface DnsRecordSource {
  lookup(name: string, type: 'CNAME'): readonly string[]
}
