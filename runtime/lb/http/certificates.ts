// An HTTPS listener's certificates: SNI picks the one whose names cover the
// server name (an exact name first, then a `*.` wildcard covering one label),
// else the default certificate. Replaced in place on update(): new handshakes
// see the new set, open connections keep theirs.

import tls from 'node:tls'
import { InvalidArgumentError } from '../../errors.js'
import type { ListenerCertificate } from '../model.js'

export interface TlsSettings {
  minVersion: tls.SecureVersion
}

/** TLS versions per ELB security policy (never below TLS 1.2 here). */
export function tlsSettings(sslPolicy: string | undefined): TlsSettings {
  if (sslPolicy !== undefined && /TLS13-1-3|TLS-1-3/.test(sslPolicy)) return { minVersion: 'TLSv1.3' }
  return { minVersion: 'TLSv1.2' }
}

export function contextOptions(cert: ListenerCertificate, settings: TlsSettings): tls.SecureContextOptions {
  const chain = cert.chainPem === undefined || cert.chainPem === '' ? '' : `\n${cert.chainPem}`
  return { cert: `${cert.certPem}${chain}`, key: cert.keyPem, minVersion: settings.minVersion }
}

export class CertificateSet {
  #exact = new Map<string, tls.SecureContext>()
  #wildcard = new Map<string, tls.SecureContext>()
  #default: ListenerCertificate
  #defaultContext: tls.SecureContext
  #settings: TlsSettings

  constructor(certificates: readonly ListenerCertificate[], sslPolicy: string | undefined) {
    this.#settings = tlsSettings(sslPolicy)
    const { first, context } = this.#build(certificates)
    this.#default = first
    this.#defaultContext = context
  }

  /** The default certificate's options (the server's own context). */
  get defaultOptions(): tls.SecureContextOptions {
    return contextOptions(this.#default, this.#settings)
  }

  get minVersion(): tls.SecureVersion {
    return this.#settings.minVersion
  }

  replace(certificates: readonly ListenerCertificate[], sslPolicy: string | undefined): void {
    this.#settings = tlsSettings(sslPolicy)
    const { first, context } = this.#build(certificates)
    this.#default = first
    this.#defaultContext = context
  }

  /** The context for a server name (SNI); the default one without a name or a match. */
  contextFor(serverName: string | undefined): tls.SecureContext {
    if (serverName === undefined || serverName === '') return this.#defaultContext
    const name = serverName.toLowerCase()
    const exact = this.#exact.get(name)
    if (exact !== undefined) return exact
    const dot = name.indexOf('.')
    if (dot > 0) {
      const wild = this.#wildcard.get(name.slice(dot + 1))
      if (wild !== undefined) return wild
    }
    return this.#defaultContext
  }

  #build(certificates: readonly ListenerCertificate[]): { first: ListenerCertificate; context: tls.SecureContext } {
    if (certificates.length === 0) {
      throw new InvalidArgumentError('lb.listener.certificate-required', 'An HTTPS listener needs at least one certificate', { field: 'certificates' })
    }
    const exact = new Map<string, tls.SecureContext>()
    const wildcard = new Map<string, tls.SecureContext>()
    const first = certificates.find((c) => c.isDefault) ?? certificates[0]!
    let defaultContext: tls.SecureContext | undefined
    // The default first, so that a name two certificates cover goes to the default one.
    for (const cert of [first, ...certificates.filter((c) => c !== first)]) {
      let context: tls.SecureContext
      try {
        context = tls.createSecureContext(contextOptions(cert, this.#settings))
      } catch (err) {
        throw new InvalidArgumentError('lb.listener.certificate-invalid', `The certificate ${cert.key} cannot be used: ${(err as Error).message}`, { field: 'certificates', cause: err })
      }
      if (cert === first) defaultContext = context
      for (const raw of cert.names) {
        const name = raw.toLowerCase()
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(2))) wildcard.set(name.slice(2), context)
        } else if (!exact.has(name)) {
          exact.set(name, context)
        }
      }
    }
    this.#exact = exact
    this.#wildcard = wildcard
    return { first, context: defaultContext! }
  }
}
