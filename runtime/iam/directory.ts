// The IAM directory: users, roles, their access keys, inline policies and
// tags, kept in the Store (records.ts). Every operation checks its input
// first and writes in one transaction, so a refused call changes nothing.
// Shapes are IAM's (api-types.ts); errors carry IAM's exception names as
// codes (NoSuchEntity, EntityAlreadyExists, DeleteConflict, LimitExceeded,
// MalformedPolicyDocument, ValidationError, InvalidInput).

import { ConflictError, InvalidArgumentError, LimitExceededError, NotFoundError } from '../errors.js'
import { checkTags } from '../aws/tags.js'
import type { Partition } from '../aws/partition.js'
import type { Store } from '../store/store.js'
import type { PageTokens } from '../aws/pagination.js'
import { compilePolicy } from './policy-document.js'
import {
  ACCESS_KEYS, KEYS_BY_OWNER, ROLES, USERS, checkName, checkPath, iamId, newSecret, validationError,
  type AccessKeyRecord, type KeyOwnerRef, type RoleRecord, type UserRecord
} from './records.js'
import type * as T from './api-types.js'

export const LIMITS = { accessKeysPerUser: 2, userPolicyBytes: 2048, rolePolicyBytes: 10240, maxItems: 1000, defaultItems: 100 } as const

function noSuch(kind: 'user' | 'role', name: string): NotFoundError {
  return new NotFoundError('NoSuchEntity', `The ${kind} with name ${name} cannot be found.`, { field: kind === 'user' ? 'UserName' : 'RoleName' })
}

function tagList(tags: Readonly<Record<string, string>>): T.Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
}

/** IAM's Tags list → a checked map. */
function tagsIn(list: unknown, field = 'Tags'): Record<string, string> {
  if (list === undefined) return {}
  if (!Array.isArray(list)) throw new InvalidArgumentError('InvalidInput', `${field}: must be a list of { Key, Value }`, { field })
  const map: Record<string, string> = {}
  list.forEach((t: { Key?: unknown; Value?: unknown }, i) => {
    if (typeof t?.Key !== 'string') throw validationError(`${field}.${i + 1}.member.key`, t?.Key, 'Member must not be null')
    map[t.Key] = typeof t.Value === 'string' ? t.Value : ''
  })
  return checkTags(map, field, 'InvalidInput') ?? {}
}

/** A document's size as IAM counts it: characters other than whitespace. */
function policySize(document: string): number {
  return document.replace(/\s/g, '').length
}

export class IamDirectory implements Omit<T.IamService, 'getUser' | 'createAccessKey' | 'listAccessKeys' | 'updateAccessKey' | 'deleteAccessKey'> {
  readonly #store: Store
  readonly #partition: Partition
  readonly #now: () => number
  readonly #tokens: PageTokens

  constructor(store: Store, partition: Partition, now: () => number, tokens: PageTokens) {
    this.#store = store
    this.#partition = partition
    this.#now = now
    this.#tokens = tokens
    store.defineIndex<AccessKeyRecord>(ACCESS_KEYS, KEYS_BY_OWNER, (k) => k.owner)
  }

  userArn(name: string, path = '/'): string {
    return `arn:${this.#partition.partition}:iam::${this.#partition.accountId}:user${path}${name}`
  }

  roleArn(name: string, path = '/'): string {
    return `arn:${this.#partition.partition}:iam::${this.#partition.accountId}:role${path}${name}`
  }

  user(name: string): UserRecord {
    const found = this.#store.get<UserRecord>(USERS, name)
    if (found === undefined) throw noSuch('user', name)
    return found.value
  }

  role(name: string): RoleRecord {
    const found = this.#store.get<RoleRecord>(ROLES, name)
    if (found === undefined) throw noSuch('role', name)
    return found.value
  }

  static userShape(u: UserRecord): T.User {
    return { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: new Date(u.createDate), ...(Object.keys(u.tags).length > 0 ? { Tags: tagList(u.tags) } : {}) }
  }

  static roleShape(r: RoleRecord): T.Role {
    return {
      Path: r.path, RoleName: r.roleName, RoleId: r.roleId, Arn: r.arn, CreateDate: new Date(r.createDate),
      AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicyDocument), MaxSessionDuration: r.maxSessionDuration,
      ...(r.description === undefined ? {} : { Description: r.description }), ...(Object.keys(r.tags).length > 0 ? { Tags: tagList(r.tags) } : {})
    }
  }

  #maxItems(value: unknown): number {
    if (value === undefined) return LIMITS.defaultItems
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxItems) {
      throw new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${String(value)}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${LIMITS.maxItems}`, { field: 'MaxItems', limit: LIMITS.maxItems })
    }
    return n
  }

  /** A page of names (sorted) after Marker. */
  #page<R>(scope: string, items: R[], key: (r: R) => string, input: T.Paged): { page: R[]; IsTruncated: boolean; Marker?: string } {
    const max = this.#maxItems(input.MaxItems)
    let start = 0
    if (input.Marker !== undefined) {
      const after = this.#tokens.read(input.Marker, scope, { code: 'InvalidInput', field: 'Marker' })
      start = items.findIndex((r) => key(r) > after)
      if (start < 0) start = items.length
    }
    const page = items.slice(start, start + max)
    const truncated = start + max < items.length
    return { page, IsTruncated: truncated, ...(truncated ? { Marker: this.#tokens.issue(scope, key(page[page.length - 1])) } : {}) }
  }

  // ---- users

  createUser(input: T.CreateUserRequest): { User: T.User } {
    const name = checkName(input.UserName, 'userName', 64)
    const path = checkPath(input.Path)
    const tags = tagsIn(input.Tags)
    if (this.#store.get(USERS, name) !== undefined) throw new ConflictError('EntityAlreadyExists', `User with name ${name} already exists.`, { field: 'UserName' })
    const record: UserRecord = { userName: name, userId: iamId('AIDA'), arn: this.userArn(name, path), path, createDate: this.#now(), tags, policies: {} }
    this.#store.put(USERS, name, record, 0)
    return { User: IamDirectory.userShape(record) }
  }

  listUsers(input: T.ListUsersRequest = {}): T.ListUsersResponse {
    const prefix = input.PathPrefix ?? '/'
    const users = this.#store.scan<UserRecord>(USERS).map((r) => r.value).filter((u) => u.path.startsWith(prefix))
    const { page, ...rest } = this.#page(`ListUsers:${prefix}`, users, (u) => u.userName, input)
    return { Users: page.map(IamDirectory.userShape), ...rest }
  }

  deleteUser(input: T.UserNameRequest): T.Empty {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    if (Object.keys(user.policies).length > 0) throw new ConflictError('DeleteConflict', 'Cannot delete entity, must delete policies first.', { field: 'UserName' })
    if (this.#store.count(ACCESS_KEYS, { index: { name: KEYS_BY_OWNER, value: `user/${user.userName}` } }) > 0) {
      throw new ConflictError('DeleteConflict', 'Cannot delete entity, must delete access keys first.', { field: 'UserName' })
    }
    this.#store.delete(USERS, user.userName)
    return {}
  }

  #updateUser(name: string, change: (u: UserRecord) => UserRecord): void {
    this.#store.transaction((tx) => {
      const found = tx.get<UserRecord>(USERS, name)
      if (found === undefined) throw noSuch('user', name)
      tx.put(USERS, name, change(found.value), found.version)
    })
  }

  #updateRole(name: string, change: (r: RoleRecord) => RoleRecord): void {
    this.#store.transaction((tx) => {
      const found = tx.get<RoleRecord>(ROLES, name)
      if (found === undefined) throw noSuch('role', name)
      tx.put(ROLES, name, change(found.value), found.version)
    })
  }

  // ---- access keys

  keysOf(owner: KeyOwnerRef): AccessKeyRecord[] {
    return this.#store.scan<AccessKeyRecord>(ACCESS_KEYS, { index: { name: KEYS_BY_OWNER, value: owner } }).map((r) => r.value).filter((k) => k.sessionToken === undefined)
  }

  /** A new access key for an owner (a user: at most two, as IAM allows). */
  addKey(owner: KeyOwnerRef, given?: { accessKeyId: string; secretAccessKey: string }): AccessKeyRecord {
    if (owner.startsWith('user/') && this.keysOf(owner).length >= LIMITS.accessKeysPerUser) {
      throw new LimitExceededError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${LIMITS.accessKeysPerUser}`, { field: 'UserName', limit: LIMITS.accessKeysPerUser })
    }
    const record: AccessKeyRecord = {
      accessKeyId: given?.accessKeyId ?? iamId('AKIA'), secretAccessKey: given?.secretAccessKey ?? newSecret(), status: 'Active', createDate: this.#now(), owner
    }
    this.#store.put(ACCESS_KEYS, record.accessKeyId, record, 0)
    return record
  }

  key(accessKeyId: string, owner: KeyOwnerRef): AccessKeyRecord {
    const found = this.#store.get<AccessKeyRecord>(ACCESS_KEYS, accessKeyId)
    if (found === undefined || found.value.owner !== owner) {
      throw new NotFoundError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`, { field: 'AccessKeyId' })
    }
    return found.value
  }

  setKeyStatus(accessKeyId: string, owner: KeyOwnerRef, status: 'Active' | 'Inactive'): void {
    if (status !== 'Active' && status !== 'Inactive') throw validationError('status', status, 'Member must satisfy enum value set: [Active, Inactive]')
    const key = this.key(accessKeyId, owner)
    this.#store.put(ACCESS_KEYS, accessKeyId, { ...key, status }, this.#store.get(ACCESS_KEYS, accessKeyId)!.version)
  }

  removeKey(accessKeyId: string, owner: KeyOwnerRef): void {
    this.key(accessKeyId, owner)
    this.#store.delete(ACCESS_KEYS, accessKeyId)
  }

  createRoleAccessKey(input: T.RoleNameRequest): { AccessKey: T.RoleAccessKey } {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const key = this.addKey(`role/${role.roleName}`)
    return { AccessKey: { RoleName: role.roleName, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Status: 'Active', CreateDate: new Date(key.createDate) } }
  }

  // ---- inline policies

  #checkedPolicy(name: unknown, document: unknown, existing: Readonly<Record<string, string>>, limit: number, owner: string): [string, string] {
    const policyName = checkName(name, 'policyName', 128)
    if (typeof document !== 'string' || document.length === 0) throw validationError('policyDocument', document, 'Member must not be null')
    compilePolicy(document, 'identity')
    const total = Object.entries({ ...existing, [policyName]: document }).reduce((n, [, d]) => n + policySize(d), 0)
    if (total > limit) throw new LimitExceededError('LimitExceeded', `Maximum policy size of ${limit} bytes exceeded for ${owner}`, { field: 'PolicyDocument', limit })
    return [policyName, document]
  }

  putUserPolicy(input: T.PutUserPolicyRequest): T.Empty {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const [name, document] = this.#checkedPolicy(input.PolicyName, input.PolicyDocument, user.policies, LIMITS.userPolicyBytes, `user ${user.userName}`)
    this.#updateUser(user.userName, (u) => ({ ...u, policies: { ...u.policies, [name]: document } }))
    return {}
  }

  getUserPolicy(input: T.UserPolicyRequest): T.GetUserPolicyResponse {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const document = user.policies[input.PolicyName]
    if (document === undefined) throw new NotFoundError('NoSuchEntity', `The user policy with name ${input.PolicyName} cannot be found.`, { field: 'PolicyName' })
    return { UserName: user.userName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) }
  }

  listUserPolicies(input: T.ListUserPoliciesRequest): T.ListPoliciesResponse {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const { page, ...rest } = this.#page(`ListUserPolicies:${user.userName}`, Object.keys(user.policies).sort(), (n) => n, input)
    return { PolicyNames: page, ...rest }
  }

  deleteUserPolicy(input: T.UserPolicyRequest): T.Empty {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    if (user.policies[input.PolicyName] === undefined) throw new NotFoundError('NoSuchEntity', `The user policy with name ${input.PolicyName} cannot be found.`, { field: 'PolicyName' })
    this.#updateUser(user.userName, (u) => ({ ...u, policies: Object.fromEntries(Object.entries(u.policies).filter(([n]) => n !== input.PolicyName)) }))
    return {}
  }

  // ---- user tags

  tagUser(input: T.TagUserRequest): T.Empty {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const tags = checkTags({ ...user.tags, ...tagsIn(input.Tags) }, 'Tags', 'LimitExceeded') ?? {}
    this.#updateUser(user.userName, (u) => ({ ...u, tags }))
    return {}
  }

  untagUser(input: T.UntagUserRequest): T.Empty {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const drop = new Set(Array.isArray(input.TagKeys) ? input.TagKeys : [])
    this.#updateUser(user.userName, (u) => ({ ...u, tags: Object.fromEntries(Object.entries(u.tags).filter(([k]) => !drop.has(k))) }))
    return {}
  }

  listUserTags(input: T.UserNameRequest & T.Paged): T.ListTagsResponse {
    const user = this.user(checkName(input.UserName, 'userName', 64))
    const { page, ...rest } = this.#page(`ListUserTags:${user.userName}`, tagList(user.tags).sort((a, b) => (a.Key < b.Key ? -1 : 1)), (t) => t.Key, input)
    return { Tags: page, ...rest }
  }

  // ---- roles

  createRole(input: T.CreateRoleRequest): { Role: T.Role } {
    const name = checkName(input.RoleName, 'roleName', 64)
    const path = checkPath(input.Path)
    if (typeof input.AssumeRolePolicyDocument !== 'string') throw validationError('assumeRolePolicyDocument', input.AssumeRolePolicyDocument, 'Member must not be null')
    compilePolicy(input.AssumeRolePolicyDocument, 'resource')
    const duration = input.MaxSessionDuration === undefined ? 3600 : Number(input.MaxSessionDuration)
    if (!Number.isInteger(duration) || duration < 3600 || duration > 43200) {
      throw new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${String(input.MaxSessionDuration)}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`, { field: 'MaxSessionDuration', limit: 43200 })
    }
    if (input.Description !== undefined && (typeof input.Description !== 'string' || input.Description.length > 1000)) {
      throw new InvalidArgumentError('ValidationError', "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000", { field: 'Description', limit: 1000 })
    }
    const tags = tagsIn(input.Tags)
    if (this.#store.get(ROLES, name) !== undefined) throw new ConflictError('EntityAlreadyExists', `Role with name ${name} already exists.`, { field: 'RoleName' })
    const record: RoleRecord = {
      roleName: name, roleId: iamId('AROA'), arn: this.roleArn(name, path), path, createDate: this.#now(), assumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      maxSessionDuration: duration, tags, policies: {}, ...(input.Description === undefined ? {} : { description: input.Description })
    }
    this.#store.put(ROLES, name, record, 0)
    return { Role: IamDirectory.roleShape(record) }
  }

  getRole(input: T.RoleNameRequest): { Role: T.Role } {
    return { Role: IamDirectory.roleShape(this.role(checkName(input.RoleName, 'roleName', 64))) }
  }

  listRoles(input: T.ListRolesRequest = {}): T.ListRolesResponse {
    const prefix = input.PathPrefix ?? '/'
    const roles = this.#store.scan<RoleRecord>(ROLES).map((r) => r.value).filter((r) => r.path.startsWith(prefix))
    const { page, ...rest } = this.#page(`ListRoles:${prefix}`, roles, (r) => r.roleName, input)
    return { Roles: page.map(IamDirectory.roleShape), ...rest }
  }

  deleteRole(input: T.RoleNameRequest): T.Empty {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    if (Object.keys(role.policies).length > 0) throw new ConflictError('DeleteConflict', 'Cannot delete entity, must delete policies first.', { field: 'RoleName' })
    this.#store.transaction((tx) => {
      for (const k of tx.scan<AccessKeyRecord>(ACCESS_KEYS, { index: { name: KEYS_BY_OWNER, value: `role/${role.roleName}` } })) tx.delete(ACCESS_KEYS, k.key)
      tx.delete(ROLES, role.roleName)
    })
    return {}
  }

  putRolePolicy(input: T.PutRolePolicyRequest): T.Empty {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const [name, document] = this.#checkedPolicy(input.PolicyName, input.PolicyDocument, role.policies, LIMITS.rolePolicyBytes, `role ${role.roleName}`)
    this.#updateRole(role.roleName, (r) => ({ ...r, policies: { ...r.policies, [name]: document } }))
    return {}
  }

  getRolePolicy(input: T.RolePolicyRequest): T.GetRolePolicyResponse {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const document = role.policies[input.PolicyName]
    if (document === undefined) throw new NotFoundError('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`, { field: 'PolicyName' })
    return { RoleName: role.roleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) }
  }

  listRolePolicies(input: T.ListRolePoliciesRequest): T.ListPoliciesResponse {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const { page, ...rest } = this.#page(`ListRolePolicies:${role.roleName}`, Object.keys(role.policies).sort(), (n) => n, input)
    return { PolicyNames: page, ...rest }
  }

  deleteRolePolicy(input: T.RolePolicyRequest): T.Empty {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    if (role.policies[input.PolicyName] === undefined) throw new NotFoundError('NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`, { field: 'PolicyName' })
    this.#updateRole(role.roleName, (r) => ({ ...r, policies: Object.fromEntries(Object.entries(r.policies).filter(([n]) => n !== input.PolicyName)) }))
    return {}
  }

  tagRole(input: T.TagRoleRequest): T.Empty {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const tags = checkTags({ ...role.tags, ...tagsIn(input.Tags) }, 'Tags', 'LimitExceeded') ?? {}
    this.#updateRole(role.roleName, (r) => ({ ...r, tags }))
    return {}
  }

  untagRole(input: T.UntagRoleRequest): T.Empty {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const drop = new Set(Array.isArray(input.TagKeys) ? input.TagKeys : [])
    this.#updateRole(role.roleName, (r) => ({ ...r, tags: Object.fromEntries(Object.entries(r.tags).filter(([k]) => !drop.has(k))) }))
    return {}
  }

  listRoleTags(input: T.RoleNameRequest & T.Paged): T.ListTagsResponse {
    const role = this.role(checkName(input.RoleName, 'roleName', 64))
    const { page, ...rest } = this.#page(`ListRoleTags:${role.roleName}`, tagList(role.tags).sort((a, b) => (a.Key < b.Key ? -1 : 1)), (t) => t.Key, input)
    return { Tags: page, ...rest }
  }
}
