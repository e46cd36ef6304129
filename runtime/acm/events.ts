// ACM's EventBridge events (source aws.acm), written in the transaction of
// the change they announce: "ACM Certificate Available" (Action ISSUANCE,
// RENEWAL, IMPORT, REIMPORT), "ACM Certificate Expired" (ACM-issued ones
// only, as ACM says), "ACM Certificate Renewal Action Required" (a renewal
// waiting for validation) and "ACM Certificate Approaching Expiration"
// (daily from 45 days before NotAfter while ISSUED).

import type { EventBus } from '../events/bus.js'
import { emitEvent } from '../events/outbox-relay.js'
import type { Transaction } from '../store/store.js'
import type { CertificateRecord } from './model.js'

export const ACM_SOURCE = 'aws.acm'
export const CERTIFICATE_AVAILABLE = 'ACM Certificate Available'
export const CERTIFICATE_EXPIRED = 'ACM Certificate Expired'
export const RENEWAL_ACTION_REQUIRED = 'ACM Certificate Renewal Action Required'
export const APPROACHING_EXPIRATION = 'ACM Certificate Approaching Expiration'
/** Approaching Expiration events start this long before NotAfter. */
export const EXPIRY_NOTICE_MS = 45 * 86_400_000

const DAY = 86_400_000
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'))

function common(r: CertificateRecord, now: number): Record<string, unknown> {
  const notAfter = r.issued?.notAfter
  return {
    CertificateType: r.type,
    CommonName: r.domainName,
    ...(r.validationMethod !== undefined ? { DomainValidationMethod: r.validationMethod } : {}),
    CertificateCreatedDate: iso(r.createdAt),
    ...(notAfter !== undefined ? { CertificateExpirationDate: iso(notAfter), DaysToExpiry: Math.max(0, Math.floor((notAfter - now) / DAY)) } : {}),
    InUse: r.inUseBy.length > 0,
    Exported: false
  }
}

/** Writes one of ACM's events about `r` (as it is after the change) into tx's outbox, when anyone listens. */
export function emitAcmEvent(tx: Transaction, bus: EventBus | undefined, r: CertificateRecord, detailType: string, now: number, extra: Record<string, unknown> = {}): void {
  if (bus === undefined) return
  emitEvent(tx, bus, ACM_SOURCE, detailType, () => [r.arn], () => (detailType === APPROACHING_EXPIRATION
    ? { DaysToExpiry: Math.max(0, Math.floor(((r.issued?.notAfter ?? now) - now) / DAY)), CommonName: r.domainName }
    : { ...extra, ...common(r, now) }), () => now)
}
