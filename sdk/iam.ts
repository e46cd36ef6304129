// The IAM part of the SDK: `cloud.iam.user('alice').create({ tags })`,
// `.accessKey()`, `.policy(name, document)`, `cloud.iam.role('builder')…`,
// over the IAM service interface (runtime/iam/api-types.ts) — the engine in
// this process, or a remote engine implementing the same interface.

import type { IamService, User, Role, AccessKey, AccessKeyMetadata, RoleAccessKey, Tag } from '../runtime/index.js'

export type PolicyDocument = string | { Version?: string; Statement: unknown }

function tagList(tags: Record<string, string> | undefined): Tag[] | undefined {
  return tags === undefined ? undefined : Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
}

function tagMap(list: Tag[]): Record<string, string> {
  return Object.fromEntries(list.map((t) => [t.Key, t.Value]))
}

function documentText(document: PolicyDocument): string {
  return typeof document === 'string' ? document : JSON.stringify({ Version: '2012-10-17', ...document })
}

/** Every page of a Marker-paged IAM list. */
async function allPages<T>(page: (marker?: string) => Promise<{ items: T[]; IsTruncated: boolean; Marker?: string }>): Promise<T[]> {
  const out: T[] = []
  let marker: string | undefined
  do {
    const p = await page(marker)
    out.push(...p.items)
    marker = p.IsTruncated ? p.Marker : undefined
  } while (marker !== undefined)
  return out
}

export class UserHandle {
  readonly name: string
  readonly #iam: IamService

  constructor(iam: IamService, name: string) {
    this.#iam = iam
    this.name = name
  }

  async create(options: { tags?: Record<string, string>; path?: string } = {}): Promise<User> {
    const tags = tagList(options.tags)
    return (await this.#iam.createUser({ UserName: this.name, ...(options.path ? { Path: options.path } : {}), ...(tags ? { Tags: tags } : {}) })).User
  }

  async describe(): Promise<User> {
    return (await this.#iam.getUser({ UserName: this.name })).User
  }

  /** A new access key (its secret is only ever returned here, as on AWS). */
  async accessKey(): Promise<AccessKey> {
    return (await this.#iam.createAccessKey({ UserName: this.name })).AccessKey
  }

  async accessKeys(): Promise<AccessKeyMetadata[]> {
    return (await this.#iam.listAccessKeys({ UserName: this.name })).AccessKeyMetadata
  }

  /** Puts an inline policy (an object is given Version 2012-10-17 unless it has one). */
  async policy(name: string, document: PolicyDocument): Promise<void> {
    await this.#iam.putUserPolicy({ UserName: this.name, PolicyName: name, PolicyDocument: documentText(document) })
  }

  async policies(): Promise<string[]> {
    return allPages(async (Marker) => {
      const p = await this.#iam.listUserPolicies({ UserName: this.name, ...(Marker ? { Marker } : {}) })
      return { items: p.PolicyNames, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) }
    })
  }

  /** An inline policy's document, parsed. */
  async policyDocument(name: string): Promise<unknown> {
    return JSON.parse(decodeURIComponent((await this.#iam.getUserPolicy({ UserName: this.name, PolicyName: name })).PolicyDocument))
  }

  async removePolicy(name: string): Promise<void> {
    await this.#iam.deleteUserPolicy({ UserName: this.name, PolicyName: name })
  }

  async tag(tags: Record<string, string>): Promise<void> {
    await this.#iam.tagUser({ UserName: this.name, Tags: tagList(tags)! })
  }

  async untag(...keys: string[]): Promise<void> {
    await this.#iam.untagUser({ UserName: this.name, TagKeys: keys })
  }

  async tags(): Promise<Record<string, string>> {
    return tagMap((await this.#iam.listUserTags({ UserName: this.name })).Tags)
  }

  /** Deletes the user; with force, its access keys and policies first (IAM refuses otherwise). */
  async delete(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) {
      for (const k of await this.accessKeys()) await this.#iam.deleteAccessKey({ UserName: this.name, AccessKeyId: k.AccessKeyId })
      for (const p of await this.policies()) await this.removePolicy(p)
    }
    await this.#iam.deleteUser({ UserName: this.name })
  }
}

export class RoleHandle {
  readonly name: string
  readonly #iam: IamService

  constructor(iam: IamService, name: string) {
    this.#iam = iam
    this.name = name
  }

  /** Creates the role; the trust policy defaults to the account (any of its principals allowed by their own policies may assume it). */
  async create(options: { trust?: PolicyDocument; tags?: Record<string, string>; description?: string; maxSessionDuration?: number; path?: string } = {}): Promise<Role> {
    const tags = tagList(options.tags)
    const trust = options.trust ?? { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }
    return (await this.#iam.createRole({
      RoleName: this.name, AssumeRolePolicyDocument: documentText(trust), ...(options.path ? { Path: options.path } : {}),
      ...(options.description ? { Description: options.description } : {}), ...(options.maxSessionDuration ? { MaxSessionDuration: options.maxSessionDuration } : {}),
      ...(tags ? { Tags: tags } : {})
    })).Role
  }

  async describe(): Promise<Role> {
    return (await this.#iam.getRole({ RoleName: this.name })).Role
  }

  /** A long-lived access key that acts as the role (Stratus only). */
  async accessKey(): Promise<RoleAccessKey> {
    return (await this.#iam.createRoleAccessKey({ RoleName: this.name })).AccessKey
  }

  async policy(name: string, document: PolicyDocument): Promise<void> {
    await this.#iam.putRolePolicy({ RoleName: this.name, PolicyName: name, PolicyDocument: documentText(document) })
  }

  async policies(): Promise<string[]> {
    return allPages(async (Marker) => {
      const p = await this.#iam.listRolePolicies({ RoleName: this.name, ...(Marker ? { Marker } : {}) })
      return { items: p.PolicyNames, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) }
    })
  }

  async removePolicy(name: string): Promise<void> {
    await this.#iam.deleteRolePolicy({ RoleName: this.name, PolicyName: name })
  }

  async tag(tags: Record<string, string>): Promise<void> {
    await this.#iam.tagRole({ RoleName: this.name, Tags: tagList(tags)! })
  }

  async untag(...keys: string[]): Promise<void> {
    await this.#iam.untagRole({ RoleName: this.name, TagKeys: keys })
  }

  async tags(): Promise<Record<string, string>> {
    return tagMap((await this.#iam.listRoleTags({ RoleName: this.name })).Tags)
  }

  /** Deletes the role (its access keys go with it); with force, its policies first. */
  async delete(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) for (const p of await this.policies()) await this.removePolicy(p)
    await this.#iam.deleteRole({ RoleName: this.name })
  }
}

export class IamClient {
  /** The IAM operations in IAM's shapes. */
  readonly service: IamService

  constructor(service: IamService) {
    this.service = service
  }

  user(name: string): UserHandle {
    return new UserHandle(this.service, name)
  }

  role(name: string): RoleHandle {
    return new RoleHandle(this.service, name)
  }

  /** Every user, all pages. */
  async users(): Promise<User[]> {
    return allPages(async (Marker) => {
      const p = await this.service.listUsers(Marker ? { Marker } : {})
      return { items: p.Users, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) }
    })
  }

  async roles(): Promise<Role[]> {
    return allPages(async (Marker) => {
      const p = await this.service.listRoles(Marker ? { Marker } : {})
      return { items: p.Roles, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) }
    })
  }
}
