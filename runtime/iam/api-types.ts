// The IAM and STS operations Stratus serves, in IAM's own shapes (PascalCase
// members, as the service model and the SDK clients have them), so the wire
// table is a table and SDK users recognise what they see.

import type { Principal } from './principal.js'

/** What a service method answers: at once (embedded) or later (over the wire). */
type Answer<T> = T | Promise<T>

export interface Tag { Key: string; Value: string }

export interface User { Path: string; UserName: string; UserId: string; Arn: string; CreateDate: Date; Tags?: Tag[] }
export interface Role {
  Path: string; RoleName: string; RoleId: string; Arn: string; CreateDate: Date
  /** URL-encoded JSON, as IAM returns it. */
  AssumeRolePolicyDocument?: string
  Description?: string; MaxSessionDuration?: number; Tags?: Tag[]
}
export interface AccessKey { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive'; SecretAccessKey: string; CreateDate: Date }
export interface AccessKeyMetadata { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive'; CreateDate: Date }

export interface Paged { Marker?: string; MaxItems?: number }
export interface Truncated { IsTruncated: boolean; Marker?: string }

export interface CreateUserRequest { UserName: string; Path?: string; Tags?: Tag[] }
export interface UserNameRequest { UserName: string }
export interface ListUsersRequest extends Paged { PathPrefix?: string }
export interface ListUsersResponse extends Truncated { Users: User[] }
export interface CreateAccessKeyRequest { UserName?: string }
export interface ListAccessKeysRequest extends Paged { UserName?: string }
export interface ListAccessKeysResponse extends Truncated { AccessKeyMetadata: AccessKeyMetadata[] }
export interface DeleteAccessKeyRequest { UserName?: string; AccessKeyId: string }
export interface UpdateAccessKeyRequest { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive' }
export interface PutUserPolicyRequest { UserName: string; PolicyName: string; PolicyDocument: string }
export interface UserPolicyRequest { UserName: string; PolicyName: string }
export interface GetUserPolicyResponse { UserName: string; PolicyName: string; PolicyDocument: string }
export interface ListUserPoliciesRequest extends Paged { UserName: string }
export interface ListPoliciesResponse extends Truncated { PolicyNames: string[] }
export interface TagUserRequest { UserName: string; Tags: Tag[] }
export interface UntagUserRequest { UserName: string; TagKeys: string[] }
export interface ListTagsResponse extends Truncated { Tags: Tag[] }

export interface CreateRoleRequest {
  RoleName: string; AssumeRolePolicyDocument: string; Path?: string; Description?: string; MaxSessionDuration?: number; Tags?: Tag[]
}
export interface RoleNameRequest { RoleName: string }
export interface ListRolesRequest extends Paged { PathPrefix?: string }
export interface ListRolesResponse extends Truncated { Roles: Role[] }
export interface PutRolePolicyRequest { RoleName: string; PolicyName: string; PolicyDocument: string }
export interface RolePolicyRequest { RoleName: string; PolicyName: string }
export interface GetRolePolicyResponse { RoleName: string; PolicyName: string; PolicyDocument: string }
export interface ListRolePoliciesRequest extends Paged { RoleName: string }
export interface TagRoleRequest { RoleName: string; Tags: Tag[] }
export interface UntagRoleRequest { RoleName: string; TagKeys: string[] }

export interface GetCallerIdentityResponse { UserId: string; Account: string; Arn: string }
export interface AssumeRoleRequest { RoleArn: string; RoleSessionName: string; DurationSeconds?: number }
export interface Credentials { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date }
export interface AssumeRoleResponse { Credentials: Credentials; AssumedRoleUser: { AssumedRoleId: string; Arn: string } }

/** A role's long-lived access key (Stratus only: AWS roles have none; here a role can be acted as by signing with one). */
export interface RoleAccessKey { RoleName: string; AccessKeyId: string; SecretAccessKey: string; Status: 'Active'; CreateDate: Date }

export type Empty = Record<string, never>

/**
 * The IAM service as the SDKs see it: embedded (the Iam class) or remote (over
 * the wire). `caller` is who makes the call: operations whose UserName is
 * optional act on the caller's own user, as IAM does.
 */
export interface IamService {
  createUser(input: CreateUserRequest): Answer<{ User: User }>
  getUser(input: Partial<UserNameRequest>, caller?: Principal): Answer<{ User: User }>
  listUsers(input: ListUsersRequest): Answer<ListUsersResponse>
  deleteUser(input: UserNameRequest): Answer<Empty>
  createAccessKey(input: CreateAccessKeyRequest, caller?: Principal): Answer<{ AccessKey: AccessKey }>
  listAccessKeys(input: ListAccessKeysRequest, caller?: Principal): Answer<ListAccessKeysResponse>
  updateAccessKey(input: UpdateAccessKeyRequest, caller?: Principal): Answer<Empty>
  deleteAccessKey(input: DeleteAccessKeyRequest, caller?: Principal): Answer<Empty>
  putUserPolicy(input: PutUserPolicyRequest): Answer<Empty>
  getUserPolicy(input: UserPolicyRequest): Answer<GetUserPolicyResponse>
  listUserPolicies(input: ListUserPoliciesRequest): Answer<ListPoliciesResponse>
  deleteUserPolicy(input: UserPolicyRequest): Answer<Empty>
  tagUser(input: TagUserRequest): Answer<Empty>
  untagUser(input: UntagUserRequest): Answer<Empty>
  listUserTags(input: UserNameRequest & Paged): Answer<ListTagsResponse>
  createRole(input: CreateRoleRequest): Answer<{ Role: Role }>
  getRole(input: RoleNameRequest): Answer<{ Role: Role }>
  listRoles(input: ListRolesRequest): Answer<ListRolesResponse>
  deleteRole(input: RoleNameRequest): Answer<Empty>
  putRolePolicy(input: PutRolePolicyRequest): Answer<Empty>
  getRolePolicy(input: RolePolicyRequest): Answer<GetRolePolicyResponse>
  listRolePolicies(input: ListRolePoliciesRequest): Answer<ListPoliciesResponse>
  deleteRolePolicy(input: RolePolicyRequest): Answer<Empty>
  tagRole(input: TagRoleRequest): Answer<Empty>
  untagRole(input: UntagRoleRequest): Answer<Empty>
  listRoleTags(input: RoleNameRequest & Paged): Answer<ListTagsResponse>
  /** Stratus only: a long-lived access key of a role. */
  createRoleAccessKey(input: RoleNameRequest): Answer<{ AccessKey: RoleAccessKey }>
}

export interface StsService {
  getCallerIdentity(input: Empty, caller: Principal): Answer<GetCallerIdentityResponse>
  assumeRole(input: AssumeRoleRequest, caller: Principal): Answer<AssumeRoleResponse>
}
