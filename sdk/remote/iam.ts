// IamService over the wire: IAM's own API (awsQuery, version 2010-05-08,
// signing name iam, XML answers read with IAM's shapes), so a remote call is
// the call the official IAM client and the aws CLI make — authorized as the
// same `iam:<Action>` and audited with eventSource iam.amazonaws.com. The one
// Stratus-only call (a role's long-lived access key) goes over /stratus/.

import type { IamService, RoleAccessKey } from '../../runtime/index.js'
import { reviveDates } from './codec.js'
import { queryCall, type QueryService } from './query.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

/** The members of the shapes IamService returns that are not strings. */
export const IAM_QUERY: QueryService = {
  service: 'iam',
  version: '2010-05-08',
  family: 'stratus',
  shape: {
    lists: new Set(['Users', 'Roles', 'AccessKeyMetadata', 'PolicyNames', 'Tags']),
    timestamps: new Set(['CreateDate']),
    numbers: new Set(['MaxSessionDuration']),
    booleans: new Set(['IsTruncated'])
  }
}

type QueryMethod = Exclude<keyof IamService, 'createRoleAccessKey'>

/** The IAM action of each IamService method. */
const ACTIONS: Readonly<Record<QueryMethod, string>> = {
  createUser: 'CreateUser', getUser: 'GetUser', listUsers: 'ListUsers', deleteUser: 'DeleteUser',
  createAccessKey: 'CreateAccessKey', listAccessKeys: 'ListAccessKeys', updateAccessKey: 'UpdateAccessKey', deleteAccessKey: 'DeleteAccessKey',
  putUserPolicy: 'PutUserPolicy', getUserPolicy: 'GetUserPolicy', listUserPolicies: 'ListUserPolicies', deleteUserPolicy: 'DeleteUserPolicy',
  tagUser: 'TagUser', untagUser: 'UntagUser', listUserTags: 'ListUserTags',
  createRole: 'CreateRole', getRole: 'GetRole', listRoles: 'ListRoles', deleteRole: 'DeleteRole',
  putRolePolicy: 'PutRolePolicy', getRolePolicy: 'GetRolePolicy', listRolePolicies: 'ListRolePolicies', deleteRolePolicy: 'DeleteRolePolicy',
  tagRole: 'TagRole', untagRole: 'UntagRole', listRoleTags: 'ListRoleTags'
}

/**
 * The remote IAM. The `caller` argument some methods take is the engine's
 * business here: the server acts for the principal that signed the request.
 */
export function remoteIam(wire: WireClient, stratus: StratusApi): IamService {
  const service = {} as Record<QueryMethod, (input?: unknown) => Promise<unknown>>
  for (const [method, action] of Object.entries(ACTIONS) as Array<[QueryMethod, string]>) {
    service[method] = (input) => queryCall(wire, IAM_QUERY, action, input ?? {})
  }
  return {
    ...(service as unknown as Omit<IamService, 'createRoleAccessKey'>),
    async createRoleAccessKey(input) {
      return reviveDates(await stratus.call<{ AccessKey: RoleAccessKey }>('CreateRoleAccessKey', input), IAM_QUERY.shape.timestamps)
    }
  }
}
