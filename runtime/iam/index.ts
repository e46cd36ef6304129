export { rootPrincipal, anonymousPrincipal, type Principal, type PrincipalType } from './principal.js'
export { Iam, type IamOptions } from './iam.js'
export type { IamConfig, IamConfigUser, IamConfigRole, IamConfigKey, IamConfigPolicy } from './config.js'
export type * from './api-types.js'
