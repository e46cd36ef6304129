// A certificate's life on the engine's Clock: pending DNS validation looked
// up every few minutes (VALIDATION_TIMED_OUT after 72 hours), issuance by the
// local CA once every name is validated, managed renewal from 60 days before
// expiry (ACM's rule: only certificates in use; DNS-validated ones renew by
// themselves while their records stay, EMAIL-validated ones once the
// validation is confirmed again), and EXPIRED at NotAfter for what was not
// renewed. One timer, at the earliest thing due; a tick handles what is due
// and sets the next one (a real clock's long timers fire early: nothing is
// due yet, and the tick sets the timer again).

import { channel } from 'node:diagnostics_channel'
import type { Clock, TimerHandle } from '../clock/clock.js'
import type { EventBus } from '../events/bus.js'
import type { Store } from '../store/store.js'
import type { CertificateAuthority } from './authority.js'
import {
  CERTIFICATES, RENEWAL_RETRY_MS, RENEWAL_WINDOW_MS, VALIDATION_POLL_MS, VALIDATION_TIMEOUT_MS, VALIDITY_MS,
  type CertificateRecord, type DnsRecordSource, type KeyAlgorithm
} from './model.js'
import { sameDnsName } from './names.js'
import { APPROACHING_EXPIRATION, CERTIFICATE_AVAILABLE, CERTIFICATE_EXPIRED, EXPIRY_NOTICE_MS, RENEWAL_ACTION_REQUIRED, emitAcmEvent } from './events.js'

const issueErrors = channel('stratus:acm:issue-error')
const DAY = 86_400_000

/** The next instant of a grid of `step` starting at `start`, strictly after `now`. */
function nextOnGrid(start: number, step: number, now: number): number {
  return now < start ? start : start + (Math.floor((now - start) / step) + 1) * step
}

export interface LifecycleOptions {
  store: Store
  clock: Clock
  ca: CertificateAuthority
  dns: () => DnsRecordSource | undefined
  /** ACM's EventBridge events go here (none when absent). */
  events?: EventBus
  /** After a renewal is committed. */
  renewed: (arn: string) => void
}

export class CertificateLifecycle {
  readonly #o: LifecycleOptions
  readonly #issuing = new Map<string, Promise<void>>()
  readonly #removeProbe: () => void
  #timer: TimerHandle | undefined
  #closed = false

  constructor(o: LifecycleOptions) {
    this.#o = o
    this.#removeProbe = o.clock.addBusyProbe?.(() => this.#issuing.size > 0) ?? (() => {})
  }

  /** Whether every name's validation holds now: confirmed, or (DNS) each CNAME found with its value. */
  validated(r: CertificateRecord): boolean {
    if (r.confirmed) return true
    return r.validationMethod === 'DNS' && r.validation.every((v) => this.#found(v.recordName, v.recordValue))
  }

  #found(name: string, value: string): boolean {
    const dns = this.#o.dns()
    if (dns === undefined) return false
    try {
      return dns.lookup(name.replace(/\.$/, ''), 'CNAME').some((answer) => sameDnsName(answer, value))
    } catch {
      return false
    }
  }

  /** Issues (kind initial: from PENDING_VALIDATION) or re-issues (renewal: an ISSUED one) the certificate; the same promise while one is under way. */
  issue(id: string, kind: 'initial' | 'renewal'): Promise<void> {
    const running = this.#issuing.get(id)
    if (running !== undefined) return running
    const { store, clock, ca } = this.#o
    const found = store.get<CertificateRecord>(CERTIFICATES, id)
    if (found === undefined) return Promise.resolve()
    const r = found.value
    const run = (async () => {
      const now = clock.now()
      let issued
      try {
        issued = await ca.issue({ names: r.names, keyAlgorithm: r.keyAlgorithm as KeyAlgorithm, notBefore: now, notAfter: now + VALIDITY_MS, now })
      } catch (error) {
        if (issueErrors.hasSubscribers) issueErrors.publish({ arn: r.arn, error })
        store.transaction((tx) => {
          const cur = tx.get<CertificateRecord>(CERTIFICATES, id)
          if (cur === undefined) return
          const next: CertificateRecord = kind === 'initial'
            ? { ...cur.value, status: 'FAILED', failureReason: 'OTHER' }
            : { ...cur.value, renewal: { status: 'FAILED', reason: 'OTHER', updatedAt: clock.now() } }
          tx.put(CERTIFICATES, id, next, cur.version)
        })
        return
      }
      store.transaction((tx) => {
        const cur = tx.get<CertificateRecord>(CERTIFICATES, id)
        if (cur === undefined) return
        // A new NotAfter: the Approaching Expiration notices count again from it.
        const { expiryNoticeDay: _, ...v } = cur.value
        if (kind === 'initial' ? v.status !== 'PENDING_VALIDATION' : v.status !== 'ISSUED') return
        const next: CertificateRecord = {
          ...v, status: 'ISSUED', issued,
          validation: v.validation.map((d) => ({ ...d, status: 'SUCCESS' as const })),
          ...(kind === 'renewal' ? { renewal: { status: 'SUCCESS' as const, updatedAt: now } } : {})
        }
        tx.put(CERTIFICATES, id, next, cur.version)
        emitAcmEvent(tx, this.#o.events, next, CERTIFICATE_AVAILABLE, now, { Action: kind === 'initial' ? 'ISSUANCE' : 'RENEWAL' })
        if (kind === 'renewal') tx.afterCommit(() => this.#o.renewed(v.arn))
      })
    })().finally(() => {
      this.#issuing.delete(id)
      this.schedule()
    })
    this.#issuing.set(id, run)
    return run
  }

  #put(key: string, version: number, next: CertificateRecord, event?: string): void {
    this.#o.store.transaction((tx) => {
      tx.put(CERTIFICATES, key, next, version)
      if (event !== undefined) emitAcmEvent(tx, this.#o.events, next, event, this.#o.clock.now())
    })
  }

  /** Handles everything due now, then sets the next timer. */
  tick(): void {
    this.#timer = undefined
    if (this.#closed) return
    const now = this.#o.clock.now()
    for (const { key, value: r, version } of this.#o.store.scan<CertificateRecord>(CERTIFICATES)) {
      if (this.#issuing.has(key)) continue
      if (r.status === 'PENDING_VALIDATION') {
        if (now >= r.createdAt + VALIDATION_TIMEOUT_MS) {
          this.#put(key, version, { ...r, status: 'VALIDATION_TIMED_OUT', validation: r.validation.map((v) => ({ ...v, status: 'FAILED' as const })) })
          continue
        }
        if (r.validationMethod !== 'DNS' || this.#o.dns() === undefined) continue
        const validation = r.validation.map((v) => ({ ...v, status: r.confirmed || this.#found(v.recordName, v.recordValue) ? 'SUCCESS' as const : 'PENDING_VALIDATION' as const }))
        if (validation.some((v, i) => v.status !== r.validation[i].status)) this.#put(key, version, { ...r, validation })
        if (validation.every((v) => v.status === 'SUCCESS')) void this.issue(key, 'initial')
      } else if (r.status === 'ISSUED' && r.issued !== undefined) {
        if (now >= r.issued.notAfter) {
          this.#put(key, version, {
            ...r, status: 'EXPIRED',
            ...(r.renewal !== undefined && r.renewal.status !== 'SUCCESS' ? { renewal: { status: 'FAILED' as const, ...(r.renewal.reason !== undefined ? { reason: r.renewal.reason } : {}), updatedAt: now } } : {})
          }, r.type === 'AMAZON_ISSUED' ? CERTIFICATE_EXPIRED : undefined)
          continue
        }
        const noticeStart = r.issued.notAfter - EXPIRY_NOTICE_MS
        if (this.#o.events !== undefined && now >= noticeStart) {
          const day = Math.floor((now - noticeStart) / DAY)
          if (r.expiryNoticeDay === undefined || r.expiryNoticeDay < day) {
            const noticed: CertificateRecord = { ...r, expiryNoticeDay: day }
            this.#put(key, version, noticed, APPROACHING_EXPIRATION)
            continue
          }
        }
        const windowStart = r.issued.notAfter - RENEWAL_WINDOW_MS
        if (r.type !== 'AMAZON_ISSUED' || now < windowStart || r.inUseBy.length === 0) continue
        const fresh = r.renewal === undefined || r.renewal.updatedAt < windowStart
        if (fresh && r.validationMethod === 'EMAIL') {
          // ACM writes to the domain's addresses again: the renewal waits for the approval (confirmValidation).
          this.#put(key, version, { ...r, confirmed: false, renewal: { status: 'PENDING_VALIDATION', updatedAt: now }, validation: r.validation.map((v) => ({ ...v, status: 'PENDING_VALIDATION' as const })) }, RENEWAL_ACTION_REQUIRED)
        } else if (this.validated(r)) {
          this.#put(key, version, { ...r, renewal: { status: 'PENDING_AUTO_RENEWAL', updatedAt: now } })
          void this.issue(key, 'renewal')
        } else if (fresh || r.renewal?.status !== 'PENDING_VALIDATION') {
          this.#put(key, version, { ...r, renewal: { status: 'PENDING_VALIDATION', updatedAt: now }, validation: r.validation.map((v) => ({ ...v, status: 'PENDING_VALIDATION' as const })) }, RENEWAL_ACTION_REQUIRED)
        }
      }
    }
    this.schedule()
  }

  /** Sets the timer for the earliest thing due (none: no timer). */
  schedule(): void {
    if (this.#closed) return
    const { clock, store } = this.#o
    const now = clock.now()
    const polling = this.#o.dns() !== undefined
    let due = Infinity
    for (const { key, value: r } of store.scan<CertificateRecord>(CERTIFICATES)) {
      if (this.#issuing.has(key)) continue
      if (r.status === 'PENDING_VALIDATION') {
        due = Math.min(due, r.createdAt + VALIDATION_TIMEOUT_MS)
        if (polling && r.validationMethod === 'DNS') due = Math.min(due, nextOnGrid(r.createdAt, VALIDATION_POLL_MS, now))
      } else if (r.status === 'ISSUED' && r.issued !== undefined) {
        due = Math.min(due, r.issued.notAfter)
        if (this.#o.events !== undefined) {
          const noticeStart = r.issued.notAfter - EXPIRY_NOTICE_MS
          due = Math.min(due, now < noticeStart ? noticeStart : r.expiryNoticeDay === undefined ? now : noticeStart + (r.expiryNoticeDay + 1) * DAY)
        }
        if (r.type === 'AMAZON_ISSUED') {
          const windowStart = r.issued.notAfter - RENEWAL_WINDOW_MS
          if (now < windowStart) due = Math.min(due, windowStart)
          else if (r.inUseBy.length > 0) due = Math.min(due, r.renewal === undefined || r.renewal.updatedAt < windowStart ? now : nextOnGrid(windowStart, RENEWAL_RETRY_MS, now))
        }
      }
    }
    clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (due === Infinity) return
    this.#timer = clock.setTimeout(() => this.tick(), Math.max(0, due - now))
  }

  /** Resolves when no issuance is under way. */
  async settled(): Promise<void> {
    while (this.#issuing.size > 0) await Promise.allSettled([...this.#issuing.values()])
  }

  close(): void {
    this.#closed = true
    this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#removeProbe()
  }
}
