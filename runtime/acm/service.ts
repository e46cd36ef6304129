// AWS Certificate Manager over the engine's local CA: ACM's operations in
// ACM's shapes (RequestCertificate, DescribeCertificate, ListCertificates,
// GetCertificate, DeleteCertificate, ImportCertificate, tags), the Stratus
// extensions (confirmValidation: the validation records count as present;
// authorityCertificate: the root to trust), what the ELBv2 control plane
// needs (markInUse / unmarkInUse fill InUseBy and make a certificate eligible
// for managed renewal; DeleteCertificate is refused while it is in use), and
// CertificateSource for the listeners (get: ISSUED ones; served: EXPIRED ones
// too, which a listener holding them keeps presenting; onRenewed).
// Opening ACM costs nothing: the CA (and @peculiar/x509 with it) is loaded
// by a dynamic import and opened — created, or loaded from the store — on
// first need (an issuance or renewal, authorityCertificate); ImportCertificate
// loads its x509 checks the same way. One shared promise: two first uses at
// once open one CA.

import { randomUUID } from 'node:crypto'
import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Clock } from '../clock/clock.js'
import { ConflictError, InvalidArgumentError, LimitExceededError } from '../errors.js'
import type { CertificateSource, IssuedCertificate } from '../lb/model.js'
import type { Store } from '../store/store.js'
import type { EventBus } from '../events/bus.js'
import { CERTIFICATE_AVAILABLE, emitAcmEvent } from './events.js'
import type { CertificateAuthority } from './authority.js'
import { certificateArn, certificateIdOf, checkRequest, checkTags, mergeTags, notFound } from './input.js'
import { CertificateLifecycle } from './lifecycle.js'
import { CERTIFICATES, IDEMPOTENCY_MS, MAX_CERTIFICATES, type CertificateRecord, type CertificateStatus, type DnsRecordSource, type Tag } from './model.js'
import { validationDomainOf, validationError, validationRecord } from './names.js'
import { certificateDetail, certificateSummary } from './shapes.js'

type Input = Record<string, any>

const STATUSES: readonly CertificateStatus[] = ['PENDING_VALIDATION', 'ISSUED', 'INACTIVE', 'EXPIRED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'FAILED']

export interface AcmOptions {
  store: Store
  clock: Clock
  partition: Partition
  tokens: PageTokens
  /** Where DNS validation records are looked up (none yet: confirmValidation stands in for them). */
  dns?: DnsRecordSource
  /** Where ACM's EventBridge events go (aws.acm: Certificate Available, Expired, Renewal Action Required, Approaching Expiration). */
  events?: EventBus
}

export class Acm implements CertificateSource {
  readonly #store: Store
  readonly #clock: Clock
  readonly #p: Partition
  readonly #tokens: PageTokens
  readonly #lifecycle: CertificateLifecycle
  readonly #renewed = new Set<(arn: string) => void>()
  #dns: DnsRecordSource | undefined
  readonly #events: EventBus | undefined
  #ca: Promise<CertificateAuthority> | undefined

  private constructor(o: AcmOptions) {
    this.#store = o.store
    this.#clock = o.clock
    this.#p = o.partition
    this.#tokens = o.tokens
    this.#dns = o.dns
    this.#events = o.events
    this.#lifecycle = new CertificateLifecycle({
      store: o.store, clock: o.clock, ca: () => this.ca(), dns: () => this.#dns, ...(o.events !== undefined ? { events: o.events } : {}),
      renewed: (arn) => { for (const listener of [...this.#renewed]) { try { listener(arn) } catch { /* a listener's failure is its own */ } } }
    })
    // What a restarted engine had pending, issued or renewing goes on from the store.
    this.#lifecycle.tick()
  }

  /** ACM over the engine's store; its CA is opened when first needed (see the header). */
  static async open(o: AcmOptions): Promise<Acm> {
    return new Acm(o)
  }

  /**
   * The engine's CA: the one in the store (acm:authority), or a new one kept
   * there, opened on the first call; every call shares that one promise. A
   * failed open is not kept: the next call tries again.
   */
  ca(): Promise<CertificateAuthority> {
    if (this.#ca === undefined) {
      const opening = import('./authority.js').then(({ CertificateAuthority }) =>
        CertificateAuthority.open(this.#store, { now: this.#clock.now(), name: `Stratus local CA ${this.#p.accountId}` }))
      opening.catch(() => { if (this.#ca === opening) this.#ca = undefined })
      this.#ca = opening
    }
    return this.#ca
  }

  /** The root certificate (PEM) every certificate of this engine chains to: what a client trusts. */
  async authorityCertificate(): Promise<string> {
    return (await this.ca()).certificatePem
  }

  /** Where DNS validation records are looked up from now on (the Lightsail DNS server); checked at once. */
  setDnsSource(dns: DnsRecordSource | undefined): void {
    this.#dns = dns
    this.#lifecycle.tick()
  }

  #record(arnValue: unknown, field = 'CertificateArn'): { key: string; value: CertificateRecord; version: number } {
    const id = certificateIdOf(this.#p, arnValue, field)
    const found = this.#store.get<CertificateRecord>(CERTIFICATES, id)
    if (found === undefined) throw notFound(String(arnValue))
    return found
  }

  requestCertificate(input: Input): { CertificateArn: string } {
    const req = checkRequest(input ?? {})
    const now = this.#clock.now()
    const all = this.#store.scan<CertificateRecord>(CERTIFICATES)
    if (req.idempotencyToken !== undefined) {
      const same = all.find((r) => r.value.idempotency !== undefined && r.value.idempotency.token === req.idempotencyToken && r.value.idempotency.expiresAt > now)
      if (same !== undefined) return { CertificateArn: same.value.arn }
    }
    if (all.length >= MAX_CERTIFICATES) {
      throw new LimitExceededError('LimitExceededException', `the account has ${all.length} certificates: ACM's quota is ${MAX_CERTIFICATES} per account and region`, { field: 'DomainName', limit: MAX_CERTIFICATES })
    }
    const id = randomUUID()
    const record: CertificateRecord = {
      id, arn: certificateArn(this.#p, id), type: 'AMAZON_ISSUED', domainName: req.domainName, names: req.names,
      status: 'PENDING_VALIDATION', keyAlgorithm: req.keyAlgorithm, validationMethod: req.validationMethod,
      validation: req.names.map((domainName) => {
        const record = validationRecord(this.#p.accountId, domainName)
        return {
          domainName, validationDomain: req.validationDomains.get(domainName.toLowerCase()) ?? validationDomainOf(domainName),
          recordName: record.name, recordValue: record.value, status: 'PENDING_VALIDATION'
        }
      }),
      confirmed: false, createdAt: now, inUseBy: [], tags: req.tags, transparencyLogging: req.transparencyLogging,
      ...(req.idempotencyToken !== undefined ? { idempotency: { token: req.idempotencyToken, expiresAt: now + IDEMPOTENCY_MS } } : {})
    }
    this.#store.put(CERTIFICATES, id, record, 0)
    // DNS records already there (the same domain validated before) count at once.
    this.#lifecycle.tick()
    return { CertificateArn: record.arn }
  }

  describeCertificate(input: Input): { Certificate: Record<string, unknown> } {
    return { Certificate: certificateDetail(this.#record(input?.CertificateArn).value) }
  }

  listCertificates(input: Input = {}): { CertificateSummaryList: Record<string, unknown>[]; NextToken?: string } {
    const statuses = input.CertificateStatuses as unknown
    if (statuses !== undefined && (!Array.isArray(statuses) || statuses.some((s) => !STATUSES.includes(s)))) {
      throw validationError('certificateStatuses', statuses, `Member must satisfy constraint: [Member must satisfy enum value set: [${STATUSES.join(', ')}]]`)
    }
    const max = input.MaxItems ?? 1000
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw validationError('maxItems', max, 'Member must have value between 1 and 1000', 1000)
    const includes = (input.Includes ?? {}) as { keyTypes?: string[]; keyUsage?: string[]; extendedKeyUsage?: string[] }
    // ACM's default filter: RSA_2048 certificates only.
    const keyTypes = includes.keyTypes ?? ['RSA_2048']
    const order = input.SortOrder ?? 'ASCENDING'
    if (input.SortBy !== undefined && input.SortBy !== 'CREATED_AT') throw validationError('sortBy', input.SortBy, 'Member must satisfy enum value set: [CREATED_AT]')
    if (order !== 'ASCENDING' && order !== 'DESCENDING') throw validationError('sortOrder', order, 'Member must satisfy enum value set: [ASCENDING, DESCENDING]')
    const scope = `ListCertificates:${JSON.stringify([statuses ?? null, keyTypes, includes.keyUsage ?? null, includes.extendedKeyUsage ?? null, order])}`
    const position = (r: CertificateRecord) => `${String(r.type === 'IMPORTED' ? r.importedAt ?? r.createdAt : r.createdAt).padStart(16, '0')}|${r.id}`
    const after = input.NextToken !== undefined ? this.#tokens.read(input.NextToken, scope, { code: 'InvalidArgsException', field: 'NextToken' }) : undefined
    const rows = this.#store.scan<CertificateRecord>(CERTIFICATES).map((r) => r.value)
      .filter((r) => (statuses === undefined || (statuses as string[]).includes(r.status)) && keyTypes.includes(r.keyAlgorithm))
      .filter((r) => {
        const summary = certificateSummary(r)
        const usages = (summary.KeyUsages ?? []) as string[]
        const extended = (summary.ExtendedKeyUsages ?? []) as string[]
        return (includes.keyUsage === undefined || includes.keyUsage.some((u) => u === 'ANY' || usages.includes(u)))
          && (includes.extendedKeyUsage === undefined || includes.extendedKeyUsage.some((u) => u === 'ANY' || extended.includes(u)))
      })
      .sort((a, b) => (position(a) < position(b) ? -1 : 1) * (order === 'DESCENDING' ? -1 : 1))
    const start = after === undefined ? rows : rows.filter((r) => (order === 'DESCENDING' ? position(r) < after : position(r) > after))
    const page = start.slice(0, max)
    return {
      CertificateSummaryList: page.map(certificateSummary),
      ...(start.length > max ? { NextToken: this.#tokens.issue(scope, position(page[page.length - 1])) } : {})
    }
  }

  getCertificate(input: Input): { Certificate: string; CertificateChain?: string } {
    const { value: r } = this.#record(input?.CertificateArn)
    if (r.issued === undefined) {
      if (r.status === 'PENDING_VALIDATION') {
        throw new ConflictError('RequestInProgressException', `Certificate '${r.arn}' in account '${this.#p.accountId}' not yet issued`, { field: 'CertificateArn' })
      }
      throw new InvalidArgumentError('InvalidStateException', `Certificate '${r.arn}' is in state ${r.status}: it has no certificate to return`, { field: 'CertificateArn' })
    }
    return { Certificate: r.issued.certPem, ...(r.issued.chainPem !== '' ? { CertificateChain: r.issued.chainPem } : {}) }
  }

  deleteCertificate(input: Input): Record<string, never> {
    const { key, value: r, version } = this.#record(input?.CertificateArn)
    if (r.inUseBy.length > 0) {
      throw new ConflictError('ResourceInUseException', `Certificate ${r.arn} in account ${this.#p.accountId} is in use by ${r.inUseBy.join(', ')}`, { field: 'CertificateArn' })
    }
    this.#store.delete(CERTIFICATES, key, version)
    this.#lifecycle.schedule()
    return {}
  }

  addTagsToCertificate(input: Input): Record<string, never> {
    const { key, value: r, version } = this.#record(input?.CertificateArn)
    const tags = mergeTags(r.tags, checkTags(input.Tags))
    if (tags.length > 50) throw new LimitExceededError('TooManyTagsException', `Tags: a certificate can have at most 50 tags; it has ${r.tags.length} and this adds ${tags.length - r.tags.length}`, { field: 'Tags', limit: 50 })
    this.#store.put(CERTIFICATES, key, { ...r, tags }, version)
    return {}
  }

  removeTagsFromCertificate(input: Input): Record<string, never> {
    const { key, value: r, version } = this.#record(input?.CertificateArn)
    const removed = checkTags(input.Tags)
    const tags = r.tags.filter((t) => !removed.some((x) => x.Key === t.Key && (x.Value === undefined || x.Value === (t.Value ?? ''))))
    this.#store.put(CERTIFICATES, key, { ...r, tags }, version)
    return {}
  }

  listTagsForCertificate(input: Input): { Tags: Tag[] } {
    return { Tags: this.#record(input?.CertificateArn).value.tags.map((t) => ({ ...t })) }
  }

  /** ImportCertificate: a user's certificate and key (PEM), checked to match; CertificateArn re-imports over an imported one. */
  async importCertificate(input: Input): Promise<{ CertificateArn: string }> {
    const { importedRecord } = await import('./import.js')
    const now = this.#clock.now()
    let previous: { key: string; value: CertificateRecord; version: number } | undefined
    if (input?.CertificateArn !== undefined) {
      previous = this.#record(input.CertificateArn)
      if (previous.value.type !== 'IMPORTED') {
        throw new InvalidArgumentError('ValidationException', `Certificate ${previous.value.arn} was issued by ACM: only an imported certificate can be re-imported`, { field: 'CertificateArn' })
      }
      if (input.Tags !== undefined) throw new InvalidArgumentError('InvalidParameterException', 'Tags cannot be applied when re-importing a certificate', { field: 'Tags' })
    } else if (this.#store.count(CERTIFICATES) >= MAX_CERTIFICATES) {
      throw new LimitExceededError('LimitExceededException', `ACM's quota is ${MAX_CERTIFICATES} certificates per account and region`, { field: 'Certificate', limit: MAX_CERTIFICATES })
    }
    const tags = input?.Tags === undefined ? (previous?.value.tags ?? []) : checkTags(input.Tags)
    const id = previous?.key ?? randomUUID()
    const record = importedRecord(input ?? {}, { id, arn: certificateArn(this.#p, id), now, tags, previous: previous?.value })
    this.#store.transaction((tx) => {
      tx.put(CERTIFICATES, id, record, previous?.version ?? 0)
      emitAcmEvent(tx, this.#events, record, CERTIFICATE_AVAILABLE, now, { Action: previous === undefined ? 'IMPORT' : 'REIMPORT' })
    })
    this.#lifecycle.schedule()
    if (previous !== undefined) for (const listener of [...this.#renewed]) listener(record.arn)
    return { CertificateArn: record.arn }
  }

  /**
   * Stratus: the validation the certificate waits for is done (its DNS
   * records are in place, or its e-mail approved) — until the engine has a
   * DNS server of its own. A pending certificate is then issued (resolves
   * once it is), an ISSUED one whose renewal waits for validation renewed.
   */
  async confirmValidation(input: Input): Promise<{ Certificate: Record<string, unknown> }> {
    const { key, value: r, version } = this.#record(input?.CertificateArn)
    if (r.type !== 'AMAZON_ISSUED') throw new InvalidArgumentError('InvalidStateException', `Certificate ${r.arn} is imported: it has no domain validation`, { field: 'CertificateArn' })
    if (r.status === 'PENDING_VALIDATION') {
      this.#store.put(CERTIFICATES, key, { ...r, confirmed: true, validation: r.validation.map((v) => ({ ...v, status: 'SUCCESS' as const })) }, version)
      await this.#lifecycle.issue(key, 'initial')
    } else if (r.status === 'ISSUED') {
      const renewing = r.renewal?.status === 'PENDING_VALIDATION'
      this.#store.put(CERTIFICATES, key, { ...r, confirmed: true, ...(renewing ? { renewal: { status: 'PENDING_AUTO_RENEWAL' as const, updatedAt: this.#clock.now() } } : {}) }, version)
      if (renewing) await this.#lifecycle.issue(key, 'renewal')
    } else {
      throw new InvalidArgumentError('InvalidStateException', `Certificate ${r.arn} is in state ${r.status}: there is no validation to confirm`, { field: 'CertificateArn' })
    }
    return this.describeCertificate({ CertificateArn: r.arn })
  }

  /** The ELBv2 control plane: `resourceArn` (a load balancer) uses the certificate (InUseBy; eligible for managed renewal). Unknown ARN: ResourceNotFoundException. */
  markInUse(arn: string, resourceArn: string): void {
    const { key, value: r, version } = this.#record(arn)
    if (r.inUseBy.includes(resourceArn)) return
    this.#store.put(CERTIFICATES, key, { ...r, inUseBy: [...r.inUseBy, resourceArn] }, version)
    this.#lifecycle.schedule()
  }

  /** The ELBv2 control plane: `resourceArn` no longer uses it. A certificate gone already is no error. */
  unmarkInUse(arn: string, resourceArn: string): void {
    let found
    try { found = this.#record(arn) } catch { return }
    const { key, value: r, version } = found
    if (!r.inUseBy.includes(resourceArn)) return
    this.#store.put(CERTIFICATES, key, { ...r, inUseBy: r.inUseBy.filter((x) => x !== resourceArn) }, version)
    this.#lifecycle.schedule()
  }

  /** CertificateSource: an ISSUED certificate's material; undefined otherwise. */
  get(arn: string): IssuedCertificate | undefined {
    return this.#material(arn, false)
  }

  /** CertificateSource: what a listener holding it presents — an ISSUED or an EXPIRED certificate's material (ELB keeps serving an expired one). */
  served(arn: string): IssuedCertificate | undefined {
    return this.#material(arn, true)
  }

  #material(arn: string, expired: boolean): IssuedCertificate | undefined {
    let found
    try { found = this.#record(arn) } catch { return undefined }
    const r = found.value
    if (!(r.status === 'ISSUED' || (expired && r.status === 'EXPIRED')) || r.issued === undefined) return undefined
    return { arn: r.arn, certPem: r.issued.certPem, keyPem: r.issued.keyPem, chainPem: r.issued.chainPem, names: [...r.names], notBefore: r.issued.notBefore, notAfter: r.issued.notAfter }
  }

  onRenewed(listener: (arn: string) => void): () => void {
    this.#renewed.add(listener)
    return () => this.#renewed.delete(listener)
  }

  /** A certificate's tags, for IAM's aws:ResourceTag (undefined: none, or no such certificate). */
  tagsOf(arn: string): Record<string, string> | undefined {
    let found
    try { found = this.#record(arn) } catch { return undefined }
    return Object.fromEntries(found.value.tags.map((t) => [t.Key, t.Value ?? '']))
  }

  /** Resolves when no issuance or renewal is under way. */
  settled(): Promise<void> {
    return this.#lifecycle.settled()
  }

  close(): void {
    this.#lifecycle.close()
  }
}
