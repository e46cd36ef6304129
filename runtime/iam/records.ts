// IAM's records in the engine's Store: one collection per kind, keyed by name
// (users, roles) or access key id. Inline policies live in their owner's
// record (IAM limits their total size per owner, so they stay small).

import { randomBytes } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

export const USERS = 'iam:users'
export const ROLES = 'iam:roles'
export const ACCESS_KEYS = 'iam:accessKeys'
/** Index of ACCESS_KEYS: the owner (`root`, `user/<name>`, `role/<name>`). */
export const KEYS_BY_OWNER = 'owner'

export interface UserRecord {
  readonly userName: string
  readonly userId: string
  readonly arn: string
  readonly path: string
  /** Epoch ms. */
  readonly createDate: number
  readonly tags: Readonly<Record<string, string>>
  /** Inline policies: name → document JSON text. */
  readonly policies: Readonly<Record<string, string>>
}

export interface RoleRecord {
  readonly roleName: string
  readonly roleId: string
  readonly arn: string
  readonly path: string
  readonly createDate: number
  /** The trust policy (JSON text). */
  readonly assumeRolePolicyDocument: string
  readonly description?: string
  readonly maxSessionDuration: number
  readonly tags: Readonly<Record<string, string>>
  readonly policies: Readonly<Record<string, string>>
}

export type KeyOwnerRef = 'root' | `user/${string}` | `role/${string}`

export interface AccessKeyRecord {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly status: 'Active' | 'Inactive'
  readonly createDate: number
  readonly owner: KeyOwnerRef
  /** Temporary credentials (AssumeRole): the session token, the session name and when they expire (epoch ms, wall clock). */
  readonly sessionToken?: string
  readonly sessionName?: string
  readonly expiration?: number
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** An IAM unique id: a four-letter prefix (AIDA user, AROA role, AKIA key, ASIA temporary key) and 16 base-32 characters. */
export function iamId(prefix: 'AIDA' | 'AROA' | 'AKIA' | 'ASIA'): string {
  const bytes = randomBytes(16)
  let out = prefix
  for (const b of bytes) out += ID_ALPHABET[b & 31]
  return out
}

export function newSecret(): string {
  return randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'X' : 'Y')).slice(0, 40)
}

export const NAME_PATTERN = /^[\w+=,.@-]+$/

/** IAM's ValidationError wording for a member that breaks a constraint. */
export function validationError(member: string, value: unknown, constraint: string): InvalidArgumentError {
  return new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`, { field: member })
}

export function checkName(value: unknown, member: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) throw validationError(member, value, 'Member must not be null')
  if (value.length > max) throw new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`, { field: member, limit: max })
  if (!NAME_PATTERN.test(value)) throw validationError(member, value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+')
  return value
}

export function checkPath(value: unknown, member = 'path'): string {
  if (value === undefined) return '/'
  if (typeof value !== 'string' || value.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(value)) {
    throw validationError(member, value, 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)')
  }
  return value
}
