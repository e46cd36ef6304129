// IAM's operation table (awsQuery, API version 2010-05-08): decode → Iam →
// encode, in IAM's shapes. Errors are IAM's: NoSuchEntity 404,
// EntityAlreadyExists 409, MalformedPolicyDocument 400, LimitExceeded 409,
// ValidationError 400, DeleteConflict 409, InvalidInput 400.

import { StratusError } from '../../errors.js'
import type { Iam } from '../../iam/iam.js'
import type { CallContext, Operation, ServiceTable, WireError } from '../operation.js'
import { queryList, queryNumber } from './query-lists.js'

const IAM_ERRORS: Record<string, number> = {
  NoSuchEntity: 404, EntityAlreadyExists: 409, MalformedPolicyDocument: 400, LimitExceeded: 409, ValidationError: 400, DeleteConflict: 409,
  InvalidInput: 400, ConcurrentModification: 409, ServiceFailure: 500, AccessDenied: 403
}
const BY_KIND: Record<string, [string, number]> = {
  NotFound: ['NoSuchEntity', 404], Conflict: ['ConcurrentModification', 409], InvalidArgument: ['InvalidInput', 400], LimitExceeded: ['LimitExceeded', 409],
  AccessDenied: ['AccessDenied', 403], Unavailable: ['ServiceFailure', 503], Internal: ['ServiceFailure', 500]
}

/** An engine error as IAM (or STS, with its own table of names) sends it. */
export function queryServiceError(err: unknown, names: Record<string, number>, kinds: Record<string, [string, number]>, fallback: string): WireError {
  if (err instanceof StratusError) {
    const status = names[err.code]
    if (status !== undefined) return { type: err.code, status, message: err.message }
    const [type, byKind] = kinds[err.kind] ?? [fallback, 500]
    return { type, status: byKind, message: err.message }
  }
  return { type: fallback, status: 500, message: err instanceof Error ? err.message : String(err) }
}

type Input = Record<string, any>

function tags(input: Input): Input {
  const out: Input = { ...input }
  if (input.Tags !== undefined) out.Tags = queryList(input.Tags)
  if (input.TagKeys !== undefined) out.TagKeys = queryList(input.TagKeys)
  for (const n of ['MaxItems', 'MaxSessionDuration']) if (input[n] !== undefined) out[n] = queryNumber(input[n])
  return out
}

function tagKeysOf(input: Input): string[] | undefined {
  const list = queryList<{ Key?: string }>(input.Tags)?.map((t) => t?.Key).filter((k): k is string => typeof k === 'string')
  const removed = queryList<string>(input.TagKeys)
  if (list === undefined && removed === undefined) return undefined
  return [...(list ?? []), ...(removed ?? [])]
}

function requestTagsOf(input: Input): Record<string, string> | undefined {
  const list = queryList<{ Key?: string; Value?: string }>(input.Tags)
  if (list === undefined) return undefined
  return Object.fromEntries(list.filter((t) => typeof t?.Key === 'string').map((t) => [t.Key!, t.Value ?? '']))
}

/** IAM's and STS's validation error, in the Coral wording their front ends use. */
export function queryInvalid(member: string, message: string): WireError {
  return { type: 'ValidationError', status: 400, message: message || `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null` }
}

export function iamTable(iam: Iam): ServiceTable {
  const { directory } = iam
  const userArn = (input: Input, ctx: CallContext): string => {
    const name: unknown = input.UserName ?? (ctx.principal.type === 'IAMUser' ? ctx.principal.userName : undefined)
    if (typeof name !== 'string') return '*'
    try {
      return directory.user(name).arn
    } catch {
      return directory.userArn(name)
    }
  }
  const roleArn = (input: Input): string => {
    if (typeof input.RoleName !== 'string') return '*'
    try {
      return directory.role(input.RoleName).arn
    } catch {
      return directory.roleArn(input.RoleName)
    }
  }
  const op = (
    name: string, readOnly: boolean, required: string[], resource: 'user' | 'role' | 'none', call: (input: Input, ctx: CallContext) => unknown, secretOutputs?: string[]
  ): Operation => ({
    name, readOnly, required, ...(secretOutputs === undefined ? {} : { secretOutputs }),
    authorize: (input: Input, ctx: CallContext) => ({
      action: `iam:${name}`,
      resources: [resource === 'user' ? userArn(input, ctx) : resource === 'role' ? roleArn(input) : '*'],
      ...(requestTagsOf(input) === undefined || name.startsWith('Untag') ? {} : { requestTags: requestTagsOf(input)! }),
      ...(tagKeysOf(input) === undefined ? {} : { tagKeys: tagKeysOf(input)! })
    }),
    call: (input: Input, ctx: CallContext) => call(tags(input), ctx)
  })
  const operations: Operation[] = [
    op('CreateUser', false, ['UserName'], 'user', (i) => iam.createUser(i as any)),
    op('GetUser', true, [], 'user', (i, ctx) => iam.getUser(i as any, ctx.principal)),
    op('ListUsers', true, [], 'none', (i) => iam.listUsers(i as any)),
    op('DeleteUser', false, ['UserName'], 'user', (i) => iam.deleteUser(i as any)),
    op('CreateAccessKey', false, [], 'user', (i, ctx) => iam.createAccessKey(i as any, ctx.principal), ['AccessKey.SecretAccessKey']),
    op('ListAccessKeys', true, [], 'user', (i, ctx) => iam.listAccessKeys(i as any, ctx.principal)),
    op('UpdateAccessKey', false, ['AccessKeyId', 'Status'], 'user', (i, ctx) => iam.updateAccessKey(i as any, ctx.principal)),
    op('DeleteAccessKey', false, ['AccessKeyId'], 'user', (i, ctx) => iam.deleteAccessKey(i as any, ctx.principal)),
    op('PutUserPolicy', false, ['UserName', 'PolicyName', 'PolicyDocument'], 'user', (i) => iam.putUserPolicy(i as any)),
    op('GetUserPolicy', true, ['UserName', 'PolicyName'], 'user', (i) => iam.getUserPolicy(i as any)),
    op('ListUserPolicies', true, ['UserName'], 'user', (i) => iam.listUserPolicies(i as any)),
    op('DeleteUserPolicy', false, ['UserName', 'PolicyName'], 'user', (i) => iam.deleteUserPolicy(i as any)),
    op('TagUser', false, ['UserName', 'Tags'], 'user', (i) => iam.tagUser(i as any)),
    op('UntagUser', false, ['UserName', 'TagKeys'], 'user', (i) => iam.untagUser(i as any)),
    op('ListUserTags', true, ['UserName'], 'user', (i) => iam.listUserTags(i as any)),
    op('CreateRole', false, ['RoleName', 'AssumeRolePolicyDocument'], 'role', (i) => iam.createRole(i as any)),
    op('GetRole', true, ['RoleName'], 'role', (i) => iam.getRole(i as any)),
    op('ListRoles', true, [], 'none', (i) => iam.listRoles(i as any)),
    op('DeleteRole', false, ['RoleName'], 'role', (i) => iam.deleteRole(i as any)),
    op('PutRolePolicy', false, ['RoleName', 'PolicyName', 'PolicyDocument'], 'role', (i) => iam.putRolePolicy(i as any)),
    op('GetRolePolicy', true, ['RoleName', 'PolicyName'], 'role', (i) => iam.getRolePolicy(i as any)),
    op('ListRolePolicies', true, ['RoleName'], 'role', (i) => iam.listRolePolicies(i as any)),
    op('DeleteRolePolicy', false, ['RoleName', 'PolicyName'], 'role', (i) => iam.deleteRolePolicy(i as any)),
    op('TagRole', false, ['RoleName', 'Tags'], 'role', (i) => iam.tagRole(i as any)),
    op('UntagRole', false, ['RoleName', 'TagKeys'], 'role', (i) => iam.untagRole(i as any)),
    op('ListRoleTags', true, ['RoleName'], 'role', (i) => iam.listRoleTags(i as any))
  ]
  return {
    signingName: 'iam',
    eventSource: 'iam.amazonaws.com',
    protocol: 'awsQuery',
    query: { version: '2010-05-08', xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/' },
    operations,
    error: (err) => queryServiceError(err, IAM_ERRORS, BY_KIND, 'ServiceFailure'),
    invalid: queryInvalid,
    resourceTags: (arn) => {
      const at = arn.indexOf(':user/') >= 0 ? 'user' : arn.indexOf(':role/') >= 0 ? 'role' : undefined
      if (at === undefined) return undefined
      const name = arn.slice(arn.lastIndexOf('/') + 1)
      try {
        return at === 'user' ? directory.user(name).tags : directory.role(name).tags
      } catch {
        return undefined
      }
    }
  }
}
