// The IAM file given at start (`--iam FILE`, the embedded `iam` option):
//
//   { "root":  { "accessKeys": [{ "accessKeyId", "secretAccessKey" }] },
//     "users": [{ "userName", "path"?, "accessKeys"?, "policies"?: [{ "policyName", "policyDocument" }], "tags"?: { k: v } }],
//     "roles": [{ "roleName", "path"?, "assumeRolePolicyDocument"?, "description"?, "accessKeys"?, "policies"?, "tags"? }] }
//
// Checked whole before anything is applied: the first bad member is named
// (`users[1].accessKeys[0].secretAccessKey: …`) and nothing changes.

import { readFileSync } from 'node:fs'
import { InvalidArgumentError, StratusError } from '../errors.js'
import { checkTags } from '../aws/tags.js'
import { compilePolicy } from './policy-document.js'
import { NAME_PATTERN } from './records.js'

export interface IamConfigKey { accessKeyId: string; secretAccessKey: string }
export interface IamConfigPolicy { policyName: string; policyDocument: string }
export interface IamConfigUser { userName: string; path?: string; accessKeys: IamConfigKey[]; policies: IamConfigPolicy[]; tags: Record<string, string> }
export interface IamConfigRole {
  roleName: string; path?: string; assumeRolePolicyDocument?: string; description?: string
  accessKeys: IamConfigKey[]; policies: IamConfigPolicy[]; tags: Record<string, string>
}
export interface IamConfig { root: { accessKeys: IamConfigKey[] }; users: IamConfigUser[]; roles: IamConfigRole[] }

function bad(field: string, message: string): never {
  throw new InvalidArgumentError('InvalidIamConfig', `${field}: ${message}`, { field })
}

function object(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad(field, 'must be an object')
  for (const key of Object.keys(value as object)) if (!allowed.includes(key)) bad(`${field}.${key}`.replace(/^\./, ''), `unknown member (expected ${allowed.join(', ')})`)
  return value as Record<string, unknown>
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) bad(field, 'must be a list')
  return value
}

function text(value: unknown, field: string, pattern?: RegExp, max = 128): string {
  if (typeof value !== 'string' || value.length === 0) bad(field, 'is required (a non-empty string)')
  if (value.length > max) bad(field, `at most ${max} characters, got ${value.length}`)
  if (pattern !== undefined && !pattern.test(value)) bad(field, `must match ${pattern.source}, got ${JSON.stringify(value)}`)
  return value
}

function keys(value: unknown, field: string, seen: Set<string>): IamConfigKey[] {
  return list(value, field).map((raw, i) => {
    const at = `${field}[${i}]`
    const k = object(raw, at, ['accessKeyId', 'secretAccessKey'])
    const accessKeyId = text(k.accessKeyId, `${at}.accessKeyId`, /^[\w]+$/)
    const secretAccessKey = text(k.secretAccessKey, `${at}.secretAccessKey`, undefined, 256)
    if (seen.has(accessKeyId)) bad(`${at}.accessKeyId`, `access key ${accessKeyId} is given twice`)
    seen.add(accessKeyId)
    return { accessKeyId, secretAccessKey }
  })
}

function policyText(value: unknown, field: string, kind: 'identity' | 'resource'): string {
  const document = typeof value === 'string' ? value : JSON.stringify(value)
  if (value === undefined || (typeof value !== 'string' && (value === null || typeof value !== 'object'))) bad(field, 'is required (a policy document: an object or its JSON text)')
  try {
    compilePolicy(document, kind)
  } catch (err) {
    if (err instanceof StratusError) bad(err.field === undefined ? field : `${field}.${err.field}`, err.message)
    throw err
  }
  return document
}

function policies(value: unknown, field: string): IamConfigPolicy[] {
  const names = new Set<string>()
  return list(value, field).map((raw, i) => {
    const at = `${field}[${i}]`
    const p = object(raw, at, ['policyName', 'policyDocument'])
    const policyName = text(p.policyName, `${at}.policyName`, NAME_PATTERN)
    if (names.has(policyName)) bad(`${at}.policyName`, `policy ${policyName} is given twice`)
    names.add(policyName)
    return { policyName, policyDocument: policyText(p.policyDocument, `${at}.policyDocument`, 'identity') }
  })
}

function tags(value: unknown, field: string): Record<string, string> {
  try {
    return checkTags(value, field, 'InvalidIamConfig') ?? {}
  } catch (err) {
    if (err instanceof StratusError) bad(err.field ?? field, err.message.replace(/^[^:]*: /, ''))
    throw err
  }
}

function path(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^\/([\x21-\x7e]*\/)?$/.test(value)) bad(field, 'must start and end with / (e.g. /teams/a/)')
  return value
}

/** Checks an IAM config (an object, or the path of its JSON file) and returns it normalised. Throws InvalidArgumentError InvalidIamConfig naming the member. */
export function loadIamConfig(source: string | object): IamConfig {
  let raw: unknown = source
  if (typeof source === 'string') {
    let content: string
    try {
      content = readFileSync(source, 'utf8')
    } catch (err) {
      throw new InvalidArgumentError('InvalidIamConfig', `IAM config ${source}: cannot be read (${(err as Error).message})`, { field: 'iam', cause: err })
    }
    try {
      raw = JSON.parse(content)
    } catch (err) {
      throw new InvalidArgumentError('InvalidIamConfig', `IAM config ${source}: not JSON (${(err as Error).message})`, { field: 'iam', cause: err })
    }
  }
  const top = object(raw, '', ['root', 'users', 'roles'])
  const seenKeys = new Set<string>()
  const root = top.root === undefined ? { accessKeys: [] } : { accessKeys: keys(object(top.root, 'root', ['accessKeys']).accessKeys, 'root.accessKeys', seenKeys) }
  const userNames = new Set<string>()
  const users = list(top.users, 'users').map((rawUser, i): IamConfigUser => {
    const at = `users[${i}]`
    const u = object(rawUser, at, ['userName', 'path', 'accessKeys', 'policies', 'tags'])
    const userName = text(u.userName, `${at}.userName`, NAME_PATTERN, 64)
    if (userNames.has(userName)) bad(`${at}.userName`, `user ${userName} is given twice`)
    userNames.add(userName)
    const accessKeys = keys(u.accessKeys, `${at}.accessKeys`, seenKeys)
    if (accessKeys.length > 2) bad(`${at}.accessKeys`, 'at most 2 access keys per user, as IAM allows')
    const p = path(u.path, `${at}.path`)
    return { userName, ...(p === undefined ? {} : { path: p }), accessKeys, policies: policies(u.policies, `${at}.policies`), tags: tags(u.tags, `${at}.tags`) }
  })
  const roleNames = new Set<string>()
  const roles = list(top.roles, 'roles').map((rawRole, i): IamConfigRole => {
    const at = `roles[${i}]`
    const r = object(rawRole, at, ['roleName', 'path', 'assumeRolePolicyDocument', 'description', 'accessKeys', 'policies', 'tags'])
    const roleName = text(r.roleName, `${at}.roleName`, NAME_PATTERN, 64)
    if (roleNames.has(roleName)) bad(`${at}.roleName`, `role ${roleName} is given twice`)
    roleNames.add(roleName)
    const p = path(r.path, `${at}.path`)
    if (r.description !== undefined && typeof r.description !== 'string') bad(`${at}.description`, 'must be a string')
    return {
      roleName, ...(p === undefined ? {} : { path: p }),
      ...(r.assumeRolePolicyDocument === undefined ? {} : { assumeRolePolicyDocument: policyText(r.assumeRolePolicyDocument, `${at}.assumeRolePolicyDocument`, 'resource') }),
      ...(r.description === undefined ? {} : { description: r.description as string }),
      accessKeys: keys(r.accessKeys, `${at}.accessKeys`, seenKeys), policies: policies(r.policies, `${at}.policies`), tags: tags(r.tags, `${at}.tags`)
    }
  })
  return { root, users, roles }
}
