// The engine's local certificate authority: one self-signed root per engine,
// created on first use and kept in the store (acm:authority), so a durable
// store keeps it in the data directory and it survives restarts. It signs
// the leaves ACM issues: SAN dNSNames, serverAuth, chained to the root. The
// root's PEM is what a user installs to trust the engine's certificates.
// All X.509 work is @peculiar/x509 over WebCrypto; no hand-written ASN.1.
// Loaded only by a dynamic import (service.ts), when the CA is first needed:
// an engine that issues nothing never loads @peculiar/x509.

import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { randomBytes, webcrypto as nodeWebcrypto } from 'node:crypto'
import type { Store } from '../store/store.js'
import { AUTHORITY, type AuthorityRecord, type Issued, type KeyAlgorithm } from './model.js'

type CryptoKey = nodeWebcrypto.CryptoKey
type CryptoKeyPair = nodeWebcrypto.CryptoKeyPair

const webcrypto = nodeWebcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0] & typeof nodeWebcrypto
x509.cryptoProvider.set(webcrypto)

const ROOT_KEY = 'root'
const DAY = 86_400_000
/** The root outlives every leaf it signs many times over (20 years). */
const ROOT_VALIDITY_MS = 20 * 365 * DAY

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const
const EC_P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const
const RSA_2048 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const

function keyParams(algorithm: KeyAlgorithm): nodeWebcrypto.RsaHashedKeyGenParams | nodeWebcrypto.EcKeyGenParams {
  return algorithm === 'RSA_2048' ? RSA_2048 : algorithm === 'EC_secp384r1' ? EC_P384 : EC_P256
}

function signingParams(algorithm: KeyAlgorithm): nodeWebcrypto.Algorithm | nodeWebcrypto.EcdsaParams {
  return algorithm === 'RSA_2048' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: algorithm === 'EC_secp384r1' ? 'SHA-384' : 'SHA-256' } as nodeWebcrypto.EcdsaParams
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

/** A positive serial of 16 random bytes, as hex (the high bit cleared). */
function newSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] &= 0x7f
  if (bytes[0] === 0) bytes[0] = 0x01
  return bytes.toString('hex')
}

/** The name of ACM's signature algorithms (CertificateDetail.SignatureAlgorithm). */
function signatureName(algorithm: KeyAlgorithm): string {
  return algorithm === 'RSA_2048' ? 'SHA256WITHRSA' : algorithm === 'EC_secp384r1' ? 'SHA384WITHECDSA' : 'SHA256WITHECDSA'
}

export class CertificateAuthority {
  readonly record: AuthorityRecord
  readonly #key: CryptoKey
  readonly #cert: x509.X509Certificate

  private constructor(record: AuthorityRecord, key: CryptoKey) {
    this.record = record
    this.#key = key
    this.#cert = new x509.X509Certificate(record.certPem)
  }

  /** The engine's CA: the one in the store, or a new one (kept there) when there is none. */
  static async open(store: Store, o: { now: number; name: string }): Promise<CertificateAuthority> {
    const found = store.get<AuthorityRecord>(AUTHORITY, ROOT_KEY)
    if (found !== undefined) return new CertificateAuthority(found.value, await importSigningKey(found.value.keyPem))
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as CryptoKeyPair
    const serial = newSerial()
    const notBefore = new Date(o.now - DAY)
    const notAfter = new Date(o.now + ROOT_VALIDITY_MS)
    const subject = `CN=${o.name}, O=Stratus, OU=Local certificate authority`
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial, name: subject, notBefore, notAfter, keys, signingAlgorithm: signingParams('EC_prime256v1'),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
      ]
    }, webcrypto)
    const record: AuthorityRecord = {
      certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
      serial, subject, notBefore: notBefore.getTime(), notAfter: notAfter.getTime(), createdAt: o.now
    }
    // Two engines opening one store at once: the first CA written is the one.
    try {
      store.put(AUTHORITY, ROOT_KEY, record, 0)
    } catch {
      const winner = store.get<AuthorityRecord>(AUTHORITY, ROOT_KEY)!.value
      return new CertificateAuthority(winner, await importSigningKey(winner.keyPem))
    }
    return new CertificateAuthority(record, keys.privateKey)
  }

  /** The root certificate, PEM: what a client trusts. */
  get certificatePem(): string {
    return this.record.certPem
  }

  /** The root's subject, as ACM shows an Issuer. */
  get issuerName(): string {
    return this.#cert.subject
  }

  /** A new key pair and a leaf for `names` (the first is the subject's CN), valid from notBefore to notAfter. */
  async issue(o: { names: readonly string[]; keyAlgorithm: KeyAlgorithm; notBefore: number; notAfter: number; now: number }): Promise<Issued> {
    const keys = await webcrypto.subtle.generateKey(keyParams(o.keyAlgorithm), true, ['sign', 'verify']) as CryptoKeyPair
    const serial = newSerial()
    const subject = `CN=${o.names[0]}`
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial, subject, issuer: this.#cert.subject, notBefore: new Date(o.notBefore), notAfter: new Date(o.notAfter),
      publicKey: keys.publicKey, signingKey: this.#key, signingAlgorithm: signingParams('EC_prime256v1'),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (o.keyAlgorithm === 'RSA_2048' ? x509.KeyUsageFlags.keyEncipherment : 0), true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(o.names.map((value) => ({ type: 'dns' as const, value }))),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.#cert.publicKey)
      ]
    }, webcrypto)
    return {
      certPem: cert.toString('pem') + '\n',
      keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
      chainPem: this.record.certPem,
      serial, subject, issuer: 'Stratus', signatureAlgorithm: signatureName('EC_prime256v1'),
      notBefore: o.notBefore, notAfter: o.notAfter, issuedAt: o.now
    }
  }
}

function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign'])
}
