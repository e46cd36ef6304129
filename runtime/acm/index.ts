// AWS Certificate Manager: the engine's local CA and ACM's model (see service.ts).

export { Acm, type AcmOptions } from './service.js'
// The CA's module loads @peculiar/x509: only its type here (Acm imports it when first needed).
export type { CertificateAuthority } from './authority.js'
export { checkLightsailCertificateRequest, LIGHTSAIL_CERTIFICATES_PER_YEAR } from './lightsail-rules.js'
export { colonSerial, nameCovers, validationRecord, isWildcard } from './names.js'
export { ACM_TIMESTAMP_MEMBERS, certificateDetail, certificateSummary } from './shapes.js'
export {
  AUTHORITY, CERTIFICATES, MAX_NAMES, RENEWAL_WINDOW_MS, VALIDATION_POLL_MS, VALIDATION_TIMEOUT_MS, VALIDITY_MS,
  type CertificateRecord, type CertificateStatus, type DnsRecordSource, type KeyAlgorithm
} from './model.js'
