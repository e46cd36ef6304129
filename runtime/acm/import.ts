// ImportCertificate's checks and record: the user's certificate, private key
// and optional chain as PEM, parsed with @peculiar/x509 and node:crypto; the
// key must match the certificate's public key, be unencrypted and of an
// algorithm ACM takes; the certificate must be valid now. Loaded only by a
// dynamic import (service.ts) on the first ImportCertificate.

import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'
import type { AnyKeyAlgorithm, CertificateRecord, Tag } from './model.js'

type Input = Record<string, unknown>

function text(value: unknown, field: string): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  throw new InvalidArgumentError('ValidationException', `${field}: must be PEM-encoded bytes`, { field })
}

function keyAlgorithmOf(key: KeyObject): AnyKeyAlgorithm | undefined {
  const d = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength
    return bits === 1024 ? 'RSA_1024' : bits === 2048 ? 'RSA_2048' : bits === 3072 ? 'RSA_3072' : bits === 4096 ? 'RSA_4096' : undefined
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = d?.namedCurve
    return curve === 'prime256v1' ? 'EC_prime256v1' : curve === 'secp384r1' ? 'EC_secp384r1' : curve === 'secp521r1' ? 'EC_secp521r1' : undefined
  }
  return undefined
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

export function importedRecord(input: Input, o: { id: string; arn: string; now: number; tags: Tag[]; previous?: CertificateRecord }): CertificateRecord {
  const certText = text(input.Certificate, 'Certificate')
  const blocks = certText.match(PEM_CERT) ?? []
  if (blocks.length !== 1) {
    throw new InvalidArgumentError('ValidationException', blocks.length === 0 ? 'Unable to parse certificate. Please ensure the certificate is in PEM format.' : 'The certificate field contains more than one certificate. You can specify only one certificate in this field.', { field: 'Certificate' })
  }
  let cert: x509.X509Certificate
  try {
    cert = new x509.X509Certificate(blocks[0])
  } catch {
    throw new InvalidArgumentError('ValidationException', 'Unable to parse certificate. Please ensure the certificate is in PEM format.', { field: 'Certificate' })
  }
  const keyText = text(input.PrivateKey, 'PrivateKey')
  if (/ENCRYPTED/.test(keyText)) throw new InvalidArgumentError('ValidationException', 'The private key must not be encrypted (ACM imports unencrypted PEM keys only)', { field: 'PrivateKey' })
  let key: KeyObject
  try {
    key = createPrivateKey(keyText)
  } catch {
    throw new InvalidArgumentError('ValidationException', 'Unable to parse private key. Please ensure the key is an unencrypted PEM-encoded private key.', { field: 'PrivateKey' })
  }
  const keyAlgorithm = keyAlgorithmOf(key)
  if (keyAlgorithm === undefined) throw new InvalidArgumentError('ValidationException', `The private key's algorithm (${key.asymmetricKeyType ?? 'unknown'}) is not supported: ACM imports RSA 1024–4096 and ECDSA P-256, P-384 and P-521 keys`, { field: 'PrivateKey' })
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  if (!spki.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new InvalidArgumentError('ValidationException', 'The private key does not match the public key in the certificate.', { field: 'PrivateKey' })
  }
  const notBefore = cert.notBefore.getTime()
  const notAfter = cert.notAfter.getTime()
  if (o.now >= notAfter) throw new InvalidArgumentError('ValidationException', `The certificate expired on ${cert.notAfter.toISOString()}: it cannot be imported`, { field: 'Certificate', limit: cert.notAfter.toISOString() })
  if (o.now < notBefore) throw new InvalidArgumentError('ValidationException', `The certificate is not valid before ${cert.notBefore.toISOString()}: it cannot be imported yet`, { field: 'Certificate' })
  let chainPem = ''
  if (input.CertificateChain !== undefined) {
    const chain = text(input.CertificateChain, 'CertificateChain').match(PEM_CERT) ?? []
    if (chain.length === 0) throw new InvalidArgumentError('ValidationException', 'Unable to parse the certificate chain. Please ensure it is PEM-encoded certificates.', { field: 'CertificateChain' })
    try {
      for (const c of chain) new x509.X509Certificate(c)
    } catch {
      throw new InvalidArgumentError('ValidationException', 'Unable to parse the certificate chain. Please ensure it is PEM-encoded certificates.', { field: 'CertificateChain' })
    }
    chainPem = chain.join('\n') + '\n'
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
  const dnsNames = san?.names.items.filter((n) => n.type === 'dns').map((n) => n.value) ?? []
  const cn = cert.subjectName.getField('CN')[0]
  const names = [...new Set([...(cn !== undefined ? [cn] : []), ...dnsNames])]
  const domainName = cn ?? dnsNames[0] ?? ''
  const issuerName = cert.issuerName.getField('O')[0] ?? cert.issuerName.getField('CN')[0] ?? cert.issuer
  return {
    id: o.id, arn: o.arn, type: 'IMPORTED', domainName, names, status: 'ISSUED', keyAlgorithm, validation: [], confirmed: false,
    createdAt: o.previous?.createdAt ?? o.now, importedAt: o.now, inUseBy: o.previous?.inUseBy ?? [], tags: o.tags,
    transparencyLogging: o.previous?.transparencyLogging ?? 'ENABLED',
    issued: {
      certPem: blocks[0] + '\n', keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string, chainPem,
      serial: cert.serialNumber, subject: cert.subject, issuer: issuerName,
      signatureAlgorithm: signatureName(cert), notBefore, notAfter, issuedAt: o.now
    }
  }
}

function signatureName(cert: x509.X509Certificate): string {
  const a = cert.signatureAlgorithm as { name?: string; hash?: { name?: string } }
  const hash = (a.hash?.name ?? 'SHA-256').replace('-', '')
  return a.name === 'ECDSA' ? `${hash}WITHECDSA` : a.name === 'RSA-PSS' ? `${hash}WITHRSAANDMGF1` : `${hash}WITHRSA`
}
