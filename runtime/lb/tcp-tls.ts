// The certificates of a TLS (NLB) or HTTPS (ALB) listener: one secure context per
// certificate, the default one for clients that send no server name, and the
// SNI choice among the others as ELBv2 makes it — an exact name first, then a
// wildcard (`*.example.com` covers one label), then the default certificate.
// The security policy (tls-policies.ts) sets the versions and ciphers of every
// context.

import tls from 'node:tls'
import { InvalidArgumentError } from '../errors.js'
import type { ListenerCertificate } from './model.js'
import { tlsPolicyOptions } from './tls-policies.js'

interface Entry {
  certificate: ListenerCertificate
  context: tls.SecureContext
}

export class ListenerCertificates {
  readonly #exact = new Map<string, Entry>()
  readonly #wildcard = new Map<string, Entry>()
  readonly #default: Entry
  readonly options: tls.SecureContextOptions

  /** Throws (nothing kept) when there is no certificate or one cannot be loaded. */
  constructor(certificates: readonly ListenerCertificate[], sslPolicy: string | undefined, field = 'Certificates') {
    if (certificates.length === 0) {
      throw new InvalidArgumentError('CertificateRequired', `a TLS listener needs a default certificate (${field} is empty)`, { field })
    }
    const policy = tlsPolicyOptions(sslPolicy)
    const entries = certificates.map((certificate, i): Entry => {
      try {
        return { certificate, context: tls.createSecureContext(contextOptions(certificate, policy)) }
      } catch (cause) {
        throw new InvalidArgumentError('InvalidCertificate', `certificate ${certificate.key} cannot be loaded: ${(cause as Error).message}`, { field: `${field}[${i}]`, cause })
      }
    })
    const chosen = entries.find((e) => e.certificate.isDefault) ?? entries[0]
    this.#default = chosen
    this.options = contextOptions(chosen.certificate, policy)
    // The default certificate's names win over the others', then the list's order.
    for (const entry of [chosen, ...entries.filter((e) => e !== chosen)]) {
      for (const raw of entry.certificate.names) {
        const name = raw.toLowerCase()
        if (name.startsWith('*.')) {
          if (!this.#wildcard.has(name.slice(2))) this.#wildcard.set(name.slice(2), entry)
        } else if (!this.#exact.has(name)) this.#exact.set(name, entry)
      }
    }
  }

  /** The certificate a client asking for `servername` gets. */
  select(servername: string | undefined): ListenerCertificate {
    return this.#entry(servername).certificate
  }

  /** For tls.Server's SNICallback. */
  readonly sniCallback = (servername: string, callback: (error: Error | null, context?: tls.SecureContext) => void): void => {
    callback(null, this.#entry(servername).context)
  }

  #entry(servername: string | undefined): Entry {
    if (servername === undefined || servername === '') return this.#default
    const name = servername.toLowerCase().replace(/\.$/, '')
    const exact = this.#exact.get(name)
    if (exact !== undefined) return exact
    const dot = name.indexOf('.')
    const wildcard = dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined
    return wildcard ?? this.#default
  }
}

function contextOptions(certificate: ListenerCertificate, policy: ReturnType<typeof tlsPolicyOptions>): tls.SecureContextOptions {
  const chain = certificate.chainPem !== undefined && certificate.chainPem.trim() !== '' ? `\n${certificate.chainPem}` : ''
  return { key: certificate.keyPem, cert: `${certificate.certPem.trim()}${chain}`, ...policy }
}
