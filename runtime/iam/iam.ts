// IAM for the engine: who signed a request (Authenticator, over SigV4), whether
// a principal may do an action on a resource (Authorizer, over the policy
// evaluator), the IAM API over the directory and STS's GetCallerIdentity and
// AssumeRole. With mode 'off' nothing is refused: a known key's principal,
// else the account's root.

import { AccessDeniedError, InvalidArgumentError, NotFoundError } from '../errors.js'
import type { Partition } from '../aws/partition.js'
import { PageTokens } from '../aws/pagination.js'
import type { Store } from '../store/store.js'
import type { AuthorizationRequest, Authenticator, Authorizer, Decision, SignedRequest } from '../api/security.js'
import { rootPrincipal, sessionRoleArn, type Principal } from './principal.js'
import { SigV4Verifier, type KeyOwner } from './sigv4.js'
import { compilePolicy, type CompiledPolicy } from './policy-document.js'
import { evaluate } from './policy-evaluation.js'
import type { ContextValue } from './policy-conditions.js'
import { IamDirectory } from './directory.js'
import { loadIamConfig, type IamConfig } from './config.js'
import { ACCESS_KEYS, ROLES, USERS, iamId, newSecret, type AccessKeyRecord, type KeyOwnerRef, type RoleRecord, type UserRecord } from './records.js'
import type * as T from './api-types.js'

export interface IamOptions {
  store: Store
  partition: Partition
  /** 'off' (default): any credentials are accepted; 'iam': requests must be signed by a known key. */
  mode?: 'off' | 'iam'
  /** The IAM file (its path) or its content; applied at start, after it is checked whole. */
  config?: IamConfig | object | string
  /** The engine's clock: creation dates, pagination tokens. */
  now?: () => number
  /** Wall clock for signatures and temporary credentials (default Date.now): never a manual test clock. */
  wallClock?: () => number
}

/** The root key an engine with auth 'iam' gets when no IAM config is given: `test` / `test`, what the AWS tools' local setups use. */
export const DEFAULT_ROOT_KEY = { accessKeyId: 'test', secretAccessKey: 'test' } as const

const POLICY_CACHE_LIMIT = 2048

/** Where each partition's global services (IAM, STS's global endpoint) are signed for. */
const GLOBAL_SIGNING_REGION: Record<string, string> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' }

export class Iam implements Authenticator, Authorizer, T.IamService, T.StsService {
  readonly mode: 'off' | 'iam'
  readonly directory: IamDirectory
  readonly #store: Store
  readonly #partition: Partition
  readonly #wall: () => number
  readonly #now: () => number
  readonly #verifier: SigV4Verifier
  readonly #compiled = new Map<string, CompiledPolicy | undefined>()

  constructor(options: IamOptions) {
    this.mode = options.mode ?? 'off'
    if (this.mode !== 'off' && this.mode !== 'iam') throw new InvalidArgumentError('InvalidAuthMode', `auth must be off or iam, got ${String(this.mode)}`, { field: 'auth' })
    const config = options.config === undefined ? undefined : loadIamConfig(options.config as object | string)
    this.#store = options.store
    this.#partition = options.partition
    this.#wall = options.wallClock ?? Date.now
    const now = options.now ?? Date.now
    this.#now = now
    this.directory = new IamDirectory(options.store, options.partition, now, new PageTokens({ now }))
    this.#verifier = new SigV4Verifier({ lookup: (id) => this.#keyOwner(id), now: this.#wall })
    // The default root key only when no IAM config is given at all: a config that restricts users must not leave
    // test/test signing as root beside them. With one, root has exactly the keys its `root` member lists.
    if (config !== undefined) this.applyConfig(config)
    else if (this.mode === 'iam' && this.directory.keysOf('root').length === 0) this.directory.addKey('root', DEFAULT_ROOT_KEY)
  }

  /** Writes a checked config in one transaction: its users and roles replace those of the same names (ids and creation dates kept). */
  applyConfig(config: IamConfig): void {
    const d = this.directory
    this.#store.transaction((tx) => {
      const putKey = (owner: KeyOwnerRef, k: { accessKeyId: string; secretAccessKey: string }) => {
        const found = tx.get<AccessKeyRecord>(ACCESS_KEYS, k.accessKeyId)
        const record: AccessKeyRecord = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, status: 'Active', createDate: found?.value.createDate ?? this.#now(), owner }
        tx.put(ACCESS_KEYS, k.accessKeyId, record, found?.version ?? 0)
      }
      // Root's keys are the config's: one left in the store by an earlier start (the default test/test) goes.
      const rootKeys = new Set(config.root.accessKeys.map((k) => k.accessKeyId))
      for (const k of tx.scan<AccessKeyRecord>(ACCESS_KEYS, { index: { name: 'owner', value: 'root' } })) {
        if (!rootKeys.has(k.key)) tx.delete(ACCESS_KEYS, k.key)
      }
      for (const k of config.root.accessKeys) putKey('root', k)
      for (const u of config.users) {
        const found = tx.get<UserRecord>(USERS, u.userName)
        const path = u.path ?? '/'
        const record: UserRecord = {
          userName: u.userName, userId: found?.value.userId ?? iamId('AIDA'), arn: d.userArn(u.userName, path), path, createDate: found?.value.createDate ?? this.#now(),
          tags: u.tags, policies: Object.fromEntries(u.policies.map((p) => [p.policyName, p.policyDocument]))
        }
        tx.put(USERS, u.userName, record, found?.version ?? 0)
        for (const k of u.accessKeys) putKey(`user/${u.userName}`, k)
      }
      for (const r of config.roles) {
        const found = tx.get<RoleRecord>(ROLES, r.roleName)
        const path = r.path ?? '/'
        const trust = r.assumeRolePolicyDocument ?? JSON.stringify({
          Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${this.#partition.partition}:iam::${this.#partition.accountId}:root` }, Action: 'sts:AssumeRole' }]
        })
        const record: RoleRecord = {
          roleName: r.roleName, roleId: found?.value.roleId ?? iamId('AROA'), arn: d.roleArn(r.roleName, path), path, createDate: found?.value.createDate ?? this.#now(),
          assumeRolePolicyDocument: trust, maxSessionDuration: found?.value.maxSessionDuration ?? 3600, tags: r.tags,
          policies: Object.fromEntries(r.policies.map((p) => [p.policyName, p.policyDocument])), ...(r.description === undefined ? {} : { description: r.description })
        }
        tx.put(ROLES, r.roleName, record, found?.version ?? 0)
        for (const k of r.accessKeys) putKey(`role/${r.roleName}`, k)
      }
    })
  }

  // ---- authentication

  #principalOf(key: AccessKeyRecord): Principal | undefined {
    const { accountId, partition } = this.#partition
    if (key.owner === 'root') return rootPrincipal(accountId, partition, key.accessKeyId)
    if (key.owner.startsWith('user/')) {
      const user = this.#store.get<UserRecord>(USERS, key.owner.slice(5))?.value
      if (user === undefined) return undefined
      return { type: 'IAMUser', arn: user.arn, accountId, principalId: user.userId, userName: user.userName, accessKeyId: key.accessKeyId, tags: user.tags }
    }
    const role = this.#store.get<RoleRecord>(ROLES, key.owner.slice(5))?.value
    if (role === undefined) return undefined
    const session = key.sessionName ?? key.accessKeyId
    return {
      type: 'AssumedRole', arn: `arn:${partition}:sts::${accountId}:assumed-role/${role.roleName}/${session}`, accountId,
      principalId: `${role.roleId}:${session}`, roleName: role.roleName, accessKeyId: key.accessKeyId, tags: role.tags
    }
  }

  /** A known active key's owner; an expired session key too (with its expiration: the verifier answers ExpiredToken). */
  #keyOwner(accessKeyId: string): KeyOwner | undefined {
    const key = this.#store.get<AccessKeyRecord>(ACCESS_KEYS, accessKeyId)?.value
    if (key === undefined || key.status !== 'Active') return undefined
    const principal = this.#principalOf(key)
    if (principal === undefined) return undefined
    return {
      secretAccessKey: key.secretAccessKey, principal, ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }),
      ...(key.expiration === undefined ? {} : { expiration: key.expiration })
    }
  }

  /**
   * The regions a service's credential scope may name: the engine's; IAM and
   * STS also the partition's global signing region (the SDKs sign IAM for
   * us-east-1 whatever their region). The Stratus-only API takes any (the
   * remote SDK signs for its own region setting).
   */
  #scopeRegions(service: string): readonly string[] | undefined {
    if (service === 'stratus') return undefined
    if (service === 'iam' || service === 'sts') return [this.#partition.region, GLOBAL_SIGNING_REGION[this.#partition.partition] ?? 'us-east-1']
    return [this.#partition.region]
  }

  /**
   * The principal an ARN names now (root, a user, or a role's session), as
   * authentication would have proved it; undefined when it no longer exists.
   * Registry tokens carry their caller's ARN: /v2/ requests are authorized as it.
   */
  principalByArn(arn: string): Principal | undefined {
    const { accountId, partition } = this.#partition
    if (arn === `arn:${partition}:iam::${accountId}:root`) return rootPrincipal(accountId, partition)
    const user = new RegExp(`^arn:${partition}:iam::${accountId}:user/(?:.*/)?([^/]+)$`).exec(arn)
    if (user !== null) {
      const record = this.#store.get<UserRecord>(USERS, user[1])?.value
      if (record === undefined || record.arn !== arn) return undefined
      return { type: 'IAMUser', arn: record.arn, accountId, principalId: record.userId, userName: record.userName, tags: record.tags }
    }
    const session = new RegExp(`^arn:${partition}:sts::${accountId}:assumed-role/([^/]+)/([^/]+)$`).exec(arn)
    if (session !== null) {
      const role = this.#store.get<RoleRecord>(ROLES, session[1])?.value
      if (role === undefined) return undefined
      return { type: 'AssumedRole', arn, accountId, principalId: `${role.roleId}:${session[2]}`, roleName: role.roleName, tags: role.tags }
    }
    return undefined
  }

  authenticate(request: SignedRequest, scope?: { readonly service: string }): Principal {
    if (this.mode === 'iam') {
      if (scope === undefined) return this.#verifier.verify(request)
      const regions = this.#scopeRegions(scope.service)
      return this.#verifier.verify(request, { service: scope.service, ...(regions === undefined ? {} : { regions }) })
    }
    const accessKeyId = this.#verifier.accessKeyOf(request)
    const owner = accessKeyId === undefined ? undefined : this.#keyOwner(accessKeyId)
    const current = owner !== undefined && (owner.expiration === undefined || owner.expiration > this.#wall())
    return current ? owner.principal : rootPrincipal(this.#partition.accountId, this.#partition.partition, accessKeyId)
  }

  signingService(request: SignedRequest): string | undefined {
    return this.#verifier.signingService(request)
  }

  // ---- authorization

  #compile(document: string, kind: 'identity' | 'resource'): CompiledPolicy | undefined {
    const id = `${kind}\n${document}`
    if (this.#compiled.has(id)) return this.#compiled.get(id)
    let policy: CompiledPolicy | undefined
    try {
      policy = compilePolicy(document, kind)
    } catch {
      policy = undefined // a stored document was checked when put; a resource policy that does not parse grants nothing
    }
    if (this.#compiled.size >= POLICY_CACHE_LIMIT) this.#compiled.clear()
    this.#compiled.set(id, policy)
    return policy
  }

  #identityPolicies(p: Principal): CompiledPolicy[] {
    const record = p.type === 'IAMUser' && p.userName !== undefined ? this.#store.get<UserRecord>(USERS, p.userName)?.value
      : p.type === 'AssumedRole' && p.roleName !== undefined ? this.#store.get<RoleRecord>(ROLES, p.roleName)?.value : undefined
    if (record === undefined) return []
    const out: CompiledPolicy[] = []
    for (const document of Object.values(record.policies)) {
      const compiled = this.#compile(document, 'identity')
      if (compiled !== undefined) out.push(compiled)
    }
    return out
  }

  /** The request's condition keys plus the principal's own (aws:PrincipalArn, aws:PrincipalTag/…, aws:username, aws:userid, aws:PrincipalAccount, aws:PrincipalType), lower-cased. */
  #context(request: AuthorizationRequest): Map<string, ContextValue> {
    const context = new Map<string, ContextValue>()
    for (const [k, v] of Object.entries(request.context)) context.set(k.toLowerCase(), v)
    const p = request.principal
    const principalArn = sessionRoleArn(p) ?? p.arn
    context.set('aws:principalarn', principalArn)
    context.set('aws:principalaccount', p.accountId)
    context.set('aws:userid', p.principalId)
    context.set('aws:principaltype', p.type === 'IAMUser' ? 'User' : p.type === 'Root' ? 'Account' : p.type)
    if (p.userName !== undefined) context.set('aws:username', p.userName)
    for (const [k, v] of Object.entries(p.tags)) context.set(`aws:principaltag/${k.toLowerCase()}`, v)
    return context
  }

  authorize(request: AuthorizationRequest): Decision {
    const p = request.principal
    // AWS: no permission is needed for GetCallerIdentity, and a Deny does not stop it.
    if (request.action.toLowerCase() === 'sts:getcalleridentity') return { allowed: true }
    const resourcePolicy = request.resourcePolicy === undefined ? undefined : this.#compile(request.resourcePolicy, 'resource')
    const head = `User: ${p.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}`
    if (p.type === 'Root' && p.accountId === this.#partition.accountId) {
      // Root needs no Allow, but an explicit Deny in the resource's policy applies to it too (as in AWS). A policy
      // that cannot be evaluated does not lock root out: root is who can replace it.
      if (resourcePolicy === undefined) return { allowed: true }
      const outcome = evaluate([], resourcePolicy, { principal: p, action: request.action, resource: request.resource, context: this.#context(request) })
      return outcome.effect === 'Deny' ? { allowed: false, explicit: true, message: `${head} with an explicit deny in a resource-based policy` } : { allowed: true }
    }
    // Fail closed: a resource policy that cannot be evaluated may hold a Deny; ignoring it would let its principals through.
    if (request.resourcePolicy !== undefined && resourcePolicy === undefined) return { allowed: false, explicit: true, message: `${head} because its resource-based policy cannot be evaluated` }
    const outcome = evaluate(this.#identityPolicies(p), resourcePolicy, {
      principal: p, action: request.action, resource: request.resource, context: this.#context(request)
    })
    if (outcome.effect === 'Allow') return { allowed: true }
    if (outcome.effect === 'Deny') return { allowed: false, explicit: true, message: `${head} with an explicit deny in ${outcome.source === 'identity' ? 'an identity-based' : 'a resource-based'} policy` }
    return { allowed: false, explicit: false, message: `${head} because no identity-based policy allows the ${request.action} action` }
  }

  // ---- IAM API (the directory, plus the operations that default to the caller)

  #callerUser(name: string | undefined, caller: Principal | undefined, operation: string): string {
    if (name !== undefined) return name
    if (caller?.type === 'IAMUser' && caller.userName !== undefined) return caller.userName
    throw new InvalidArgumentError('ValidationError', `${operation}: UserName is required when the caller is not an IAM user`, { field: 'UserName' })
  }

  createUser(input: T.CreateUserRequest) { return this.directory.createUser(input) }
  getUser(input: Partial<T.UserNameRequest> = {}, caller?: Principal) {
    return { User: IamDirectory.userShape(this.directory.user(this.#callerUser(input.UserName, caller, 'GetUser'))) }
  }
  listUsers(input: T.ListUsersRequest = {}) { return this.directory.listUsers(input) }
  deleteUser(input: T.UserNameRequest) { return this.directory.deleteUser(input) }

  createAccessKey(input: T.CreateAccessKeyRequest = {}, caller?: Principal): { AccessKey: T.AccessKey } {
    const user = this.directory.user(this.#callerUser(input.UserName, caller, 'CreateAccessKey'))
    const key = this.directory.addKey(`user/${user.userName}`)
    return { AccessKey: { UserName: user.userName, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: new Date(key.createDate) } }
  }

  listAccessKeys(input: T.ListAccessKeysRequest = {}, caller?: Principal): T.ListAccessKeysResponse {
    const user = this.directory.user(this.#callerUser(input.UserName, caller, 'ListAccessKeys'))
    const AccessKeyMetadata = this.directory.keysOf(`user/${user.userName}`)
      .map((k) => ({ UserName: user.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: new Date(k.createDate) }))
    return { AccessKeyMetadata, IsTruncated: false }
  }

  updateAccessKey(input: T.UpdateAccessKeyRequest, caller?: Principal): T.Empty {
    const user = this.directory.user(this.#callerUser(input.UserName, caller, 'UpdateAccessKey'))
    this.directory.setKeyStatus(input.AccessKeyId, `user/${user.userName}`, input.Status)
    return {}
  }

  deleteAccessKey(input: T.DeleteAccessKeyRequest, caller?: Principal): T.Empty {
    const user = this.directory.user(this.#callerUser(input.UserName, caller, 'DeleteAccessKey'))
    this.directory.removeKey(input.AccessKeyId, `user/${user.userName}`)
    return {}
  }

  putUserPolicy(input: T.PutUserPolicyRequest) { return this.directory.putUserPolicy(input) }
  getUserPolicy(input: T.UserPolicyRequest) { return this.directory.getUserPolicy(input) }
  listUserPolicies(input: T.ListUserPoliciesRequest) { return this.directory.listUserPolicies(input) }
  deleteUserPolicy(input: T.UserPolicyRequest) { return this.directory.deleteUserPolicy(input) }
  tagUser(input: T.TagUserRequest) { return this.directory.tagUser(input) }
  untagUser(input: T.UntagUserRequest) { return this.directory.untagUser(input) }
  listUserTags(input: T.UserNameRequest & T.Paged) { return this.directory.listUserTags(input) }
  createRole(input: T.CreateRoleRequest) { return this.directory.createRole(input) }
  getRole(input: T.RoleNameRequest) { return this.directory.getRole(input) }
  listRoles(input: T.ListRolesRequest = {}) { return this.directory.listRoles(input) }
  deleteRole(input: T.RoleNameRequest) { return this.directory.deleteRole(input) }
  putRolePolicy(input: T.PutRolePolicyRequest) { return this.directory.putRolePolicy(input) }
  getRolePolicy(input: T.RolePolicyRequest) { return this.directory.getRolePolicy(input) }
  listRolePolicies(input: T.ListRolePoliciesRequest) { return this.directory.listRolePolicies(input) }
  deleteRolePolicy(input: T.RolePolicyRequest) { return this.directory.deleteRolePolicy(input) }
  tagRole(input: T.TagRoleRequest) { return this.directory.tagRole(input) }
  untagRole(input: T.UntagRoleRequest) { return this.directory.untagRole(input) }
  listRoleTags(input: T.RoleNameRequest & T.Paged) { return this.directory.listRoleTags(input) }
  createRoleAccessKey(input: T.RoleNameRequest) { return this.directory.createRoleAccessKey(input) }

  // ---- STS

  getCallerIdentity(_input: T.Empty, caller: Principal): T.GetCallerIdentityResponse {
    return { UserId: caller.principalId, Account: caller.accountId, Arn: caller.arn }
  }

  /** The trust policy of the role an ARN names (for the router's resource-policy check of sts:AssumeRole). */
  trustPolicy(roleArn: string): string | undefined {
    const name = roleArn.slice(roleArn.lastIndexOf('/') + 1)
    const role = this.#store.get<RoleRecord>(ROLES, name)?.value
    return role?.arn === roleArn ? role.assumeRolePolicyDocument : undefined
  }

  /**
   * Temporary credentials of a role. The caller must be allowed by the role's
   * trust policy or its own identity policies (checked here too, so the
   * embedded SDK gets the same answer as the wire).
   */
  assumeRole(input: T.AssumeRoleRequest, caller: Principal): T.AssumeRoleResponse {
    if (typeof input.RoleArn !== 'string' || input.RoleArn.length < 20) throw new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${String(input.RoleArn)}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`, { field: 'RoleArn' })
    if (typeof input.RoleSessionName !== 'string' || !/^[\w+=,.@-]{2,64}$/.test(input.RoleSessionName)) {
      throw new InvalidArgumentError('ValidationError', `1 validation error detected: Value '${String(input.RoleSessionName)}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`, { field: 'RoleSessionName' })
    }
    const trust = this.trustPolicy(input.RoleArn)
    if (trust === undefined) throw new NotFoundError('NoSuchEntity', `The role with ARN ${input.RoleArn} cannot be found.`, { field: 'RoleArn' })
    const role = this.directory.role(input.RoleArn.slice(input.RoleArn.lastIndexOf('/') + 1))
    const decision = this.authorize({ principal: caller, action: 'sts:AssumeRole', resource: role.arn, context: {}, resourcePolicy: trust })
    if (!decision.allowed) throw new AccessDeniedError('AccessDenied', decision.message)
    const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds)
    if (!Number.isInteger(duration) || duration < 900 || duration > role.maxSessionDuration) {
      throw new InvalidArgumentError('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (900 to ${role.maxSessionDuration}).`, { field: 'DurationSeconds', limit: role.maxSessionDuration })
    }
    const expiration = this.#wall() + duration * 1000
    const record: AccessKeyRecord = {
      accessKeyId: iamId('ASIA'), secretAccessKey: newSecret(), status: 'Active', createDate: this.#wall(), owner: `role/${role.roleName}`,
      sessionToken: Buffer.from(newSecret() + newSecret()).toString('base64'), sessionName: input.RoleSessionName, expiration
    }
    this.#store.transaction((tx) => {
      // Expired session keys of this role go when a new one is made: they never accumulate.
      for (const k of tx.scan<AccessKeyRecord>(ACCESS_KEYS, { index: { name: 'owner', value: record.owner } })) {
        if (k.value.expiration !== undefined && k.value.expiration <= this.#wall()) tx.delete(ACCESS_KEYS, k.key)
      }
      tx.put(ACCESS_KEYS, record.accessKeyId, record, 0)
    })
    const arn = `arn:${this.#partition.partition}:sts::${this.#partition.accountId}:assumed-role/${role.roleName}/${input.RoleSessionName}`
    return {
      Credentials: { AccessKeyId: record.accessKeyId, SecretAccessKey: record.secretAccessKey, SessionToken: record.sessionToken!, Expiration: new Date(expiration) },
      AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${input.RoleSessionName}`, Arn: arn }
    }
  }
}
