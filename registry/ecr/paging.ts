import { invalidParameter } from '../errors.js'

/** ECR-style pagination: `nextToken` is an opaque offset, `maxResults` bounded. */
export function pageToken (offset: number): string { return Buffer.from(String(offset)).toString('base64url') }

export function pageOffset (token: string | undefined): number {
  if (token === undefined) return 0
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'))
  if (!Number.isSafeInteger(n) || n < 0) throw invalidParameter('nextToken', 'is not a token this registry issued')
  return n
}

export function maxResultsOf (value: number | undefined, limit: number): number {
  if (value === undefined) return limit
  if (!Number.isInteger(value) || value < 1 || value > limit) throw invalidParameter('maxResults', 'must be an integer', `1..${limit}`)
  return value
}
