// The ACM part of the SDK: `cloud.acm.requestCertificate('www.example.com', { …
// })` → a CertificateHandle (describe, confirmValidation until the engine has
// a DNS server, the PEMs, tags, delete); `cloud.acm.authorityCertificate()`
// → the root PEM a client trusts; import, list. Over AcmService: the engine's
// Acm in this process (embedded.ts) or ACM's API and /stratus/ calls of a
// remote one (remote/acm.ts) — the same code runs on both.

import { InvalidArgumentError } from '../runtime/index.js'

type Shape = Record<string, any>

/** ACM's operations in ACM's shapes (times as Dates both ways) and its Stratus extensions. */
export interface AcmService {
  requestCertificate(input: Shape): Promise<{ CertificateArn: string }>
  describeCertificate(input: { CertificateArn: string }): Promise<{ Certificate: Shape }>
  listCertificates(input?: Shape): Promise<{ CertificateSummaryList: Shape[]; NextToken?: string }>
  getCertificate(input: { CertificateArn: string }): Promise<{ Certificate: string; CertificateChain?: string }>
  deleteCertificate(input: { CertificateArn: string }): Promise<unknown>
  addTagsToCertificate(input: { CertificateArn: string; Tags: Array<{ Key: string; Value?: string }> }): Promise<unknown>
  removeTagsFromCertificate(input: { CertificateArn: string; Tags: Array<{ Key: string; Value?: string }> }): Promise<unknown>
  listTagsForCertificate(input: { CertificateArn: string }): Promise<{ Tags: Array<{ Key: string; Value?: string }> }>
  /** Certificate, PrivateKey, CertificateChain: PEM text or bytes. */
  importCertificate(input: Shape): Promise<{ CertificateArn: string }>
  /** Stratus: the certificate's validation counts as done (its DNS records present, its e-mail approved): resolves once it is issued. */
  confirmValidation(input: { CertificateArn: string }): Promise<{ Certificate: Shape }>
  /** Stratus: the engine's root CA certificate (PEM). */
  authorityCertificate(): Promise<string>
}

export interface RequestCertificateOptions {
  /** The other names (10 in all, the domain name included). */
  subjectAlternativeNames?: string[]
  validationMethod?: 'DNS' | 'EMAIL'
  keyAlgorithm?: 'RSA_2048' | 'EC_prime256v1' | 'EC_secp384r1'
  idempotencyToken?: string
  tags?: Array<{ Key: string; Value?: string }>
}

export class CertificateHandle {
  readonly arn: string
  readonly #acm: AcmService

  constructor(acm: AcmService, arn: string) {
    this.#acm = acm
    this.arn = arn
  }

  /** DescribeCertificate's CertificateDetail. */
  async describe(): Promise<Shape> {
    return (await this.#acm.describeCertificate({ CertificateArn: this.arn })).Certificate
  }

  async status(): Promise<string> {
    return String((await this.describe()).Status)
  }

  /** The CNAMEs to create (DNS validation): one per domain. */
  async validationRecords(): Promise<Array<{ DomainName: string; Name: string; Type: string; Value: string }>> {
    const options = ((await this.describe()).DomainValidationOptions ?? []) as Shape[]
    return options.filter((o) => o.ResourceRecord !== undefined).map((o) => ({ DomainName: String(o.DomainName), ...(o.ResourceRecord as { Name: string; Type: string; Value: string }) }))
  }

  /** Marks the validation done (the engine has no DNS server yet); resolves with the detail once ISSUED. */
  async confirmValidation(): Promise<Shape> {
    return (await this.#acm.confirmValidation({ CertificateArn: this.arn })).Certificate
  }

  /** GetCertificate: the certificate and its chain (the root), PEM. RequestInProgressException before it is issued. */
  async pem(): Promise<{ certificate: string; chain?: string }> {
    const got = await this.#acm.getCertificate({ CertificateArn: this.arn })
    return { certificate: got.Certificate, ...(got.CertificateChain !== undefined ? { chain: got.CertificateChain } : {}) }
  }

  async tag(tags: Record<string, string>): Promise<void> {
    await this.#acm.addTagsToCertificate({ CertificateArn: this.arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })
  }

  async untag(keys: string[]): Promise<void> {
    await this.#acm.removeTagsFromCertificate({ CertificateArn: this.arn, Tags: keys.map((Key) => ({ Key })) })
  }

  async tags(): Promise<Record<string, string>> {
    const { Tags } = await this.#acm.listTagsForCertificate({ CertificateArn: this.arn })
    return Object.fromEntries(Tags.map((t) => [t.Key, t.Value ?? '']))
  }

  /** DeleteCertificate (ResourceInUseException while a listener uses it). */
  async delete(): Promise<void> {
    await this.#acm.deleteCertificate({ CertificateArn: this.arn })
  }
}

export class AcmClient {
  /** ACM's operations in its shapes, and the Stratus extensions. */
  readonly service: AcmService

  constructor(service: AcmService) {
    this.service = service
  }

  /** RequestCertificate (PENDING_VALIDATION until validated: `.confirmValidation()`). */
  async requestCertificate(domainName: string, options: RequestCertificateOptions = {}): Promise<CertificateHandle> {
    const { CertificateArn } = await this.service.requestCertificate({
      DomainName: domainName,
      ...(options.subjectAlternativeNames !== undefined ? { SubjectAlternativeNames: options.subjectAlternativeNames } : {}),
      ...(options.validationMethod !== undefined ? { ValidationMethod: options.validationMethod } : {}),
      ...(options.keyAlgorithm !== undefined ? { KeyAlgorithm: options.keyAlgorithm } : {}),
      ...(options.idempotencyToken !== undefined ? { IdempotencyToken: options.idempotencyToken } : {}),
      ...(options.tags !== undefined ? { Tags: options.tags } : {})
    })
    return new CertificateHandle(this.service, CertificateArn)
  }

  /** ImportCertificate: your own certificate and unencrypted key (PEM); the key must match. */
  async importCertificate(o: { certificate: string | Uint8Array; privateKey: string | Uint8Array; chain?: string | Uint8Array; tags?: Array<{ Key: string; Value?: string }> }): Promise<CertificateHandle> {
    const { CertificateArn } = await this.service.importCertificate({
      Certificate: o.certificate, PrivateKey: o.privateKey, ...(o.chain !== undefined ? { CertificateChain: o.chain } : {}), ...(o.tags !== undefined ? { Tags: o.tags } : {})
    })
    return new CertificateHandle(this.service, CertificateArn)
  }

  /** A handle on a certificate by ARN. */
  certificate(arn: string): CertificateHandle {
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new InvalidArgumentError('InvalidArnException', `String '${String(arn)}' is not a valid ARN.`, { field: 'arn' })
    return new CertificateHandle(this.service, arn)
  }

  /** ListCertificates, every page (ACM's default: RSA_2048 only; pass Includes.keyTypes for others). */
  async list(input: Shape = {}): Promise<Shape[]> {
    const out: Shape[] = []
    let NextToken: string | undefined
    do {
      const page = await this.service.listCertificates({ ...input, ...(NextToken !== undefined ? { NextToken } : {}) })
      out.push(...page.CertificateSummaryList)
      NextToken = page.NextToken
    } while (NextToken !== undefined)
    return out
  }

  /** The engine's root CA certificate (PEM): trust it to verify the engine's HTTPS listeners. */
  authorityCertificate(): Promise<string> {
    return this.service.authorityCertificate()
  }
}
