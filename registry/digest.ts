import { createHash, type Hash } from 'node:crypto'
import { ociError } from './errors.js'

/**
 * Content digests (`<algorithm>:<hex>`), per the OCI image-spec descriptor rules.
 * sha256 and sha512 are supported; any other well-formed algorithm is refused with
 * DIGEST_INVALID (400), as is anything malformed — never a 500.
 */
export type DigestAlgorithm = 'sha256' | 'sha512'

export const DIGEST_ALGORITHMS: Readonly<Record<DigestAlgorithm, { hexLength: number }>> = Object.freeze({
  sha256: { hexLength: 64 },
  sha512: { hexLength: 128 }
})

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm
  readonly hex: string
  readonly digest: string
}

const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const HEX = /^[a-f0-9]+$/

/** Parses and validates a digest; throws DIGEST_INVALID naming what is wrong. */
export function parseDigest (value: string, field = 'digest'): ParsedDigest {
  if (typeof value !== 'string' || !GRAMMAR.test(value)) {
    throw ociError('DIGEST_INVALID', `${field}: malformed digest`, { detail: { [field]: String(value).slice(0, 200) } })
  }
  const colon = value.indexOf(':')
  const algorithm = value.slice(0, colon)
  const hex = value.slice(colon + 1)
  const spec = DIGEST_ALGORITHMS[algorithm as DigestAlgorithm]
  if (spec === undefined) {
    throw ociError('DIGEST_INVALID', `${field}: unsupported digest algorithm ${algorithm} (supported: sha256, sha512)`, {
      detail: { [field]: value }
    })
  }
  if (hex.length !== spec.hexLength || !HEX.test(hex)) {
    throw ociError('DIGEST_INVALID', `${field}: ${algorithm} digests are ${spec.hexLength} lowercase hex characters`, {
      detail: { [field]: value }
    })
  }
  return { algorithm: algorithm as DigestAlgorithm, hex, digest: value }
}

export function digestOf (content: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`
}

export function newHash (algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm)
}
