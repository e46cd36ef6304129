// Who made a call: the identity SigV4 proved (or, with authentication off,
// the one the request claimed), in the shape CloudTrail's userIdentity and
// IAM's condition keys (aws:PrincipalArn, aws:PrincipalTag/…) need.

export type PrincipalType = 'Root' | 'IAMUser' | 'AssumedRole' | 'Anonymous'

export interface Principal {
  readonly type: PrincipalType
  /** arn:aws:iam::<account>:root | :user/<name> | arn:aws:sts::<account>:assumed-role/<role>/<session> */
  readonly arn: string
  readonly accountId: string
  /** AIDA… for users, AROA…:<session> for roles, the account id for root. */
  readonly principalId: string
  readonly userName?: string
  readonly roleName?: string
  /** The access key the request was signed with. */
  readonly accessKeyId?: string
  /** The principal's IAM tags (aws:PrincipalTag/…). */
  readonly tags: Readonly<Record<string, string>>
}

/** The account's root identity (what every call is made as when authentication is off and the key is unknown). */
export function rootPrincipal(accountId: string, partition = 'aws', accessKeyId?: string): Principal {
  return {
    type: 'Root', arn: `arn:${partition}:iam::${accountId}:root`, accountId, principalId: accountId, tags: {},
    ...(accessKeyId === undefined ? {} : { accessKeyId })
  }
}

/** A caller not (or no longer) proven: what a refused request is recorded as (`arn` when it named one). */
export function anonymousPrincipal(accountId: string, arn = ''): Principal {
  return { type: 'Anonymous', arn, accountId, principalId: '', tags: {} }
}

/** The role a session acts for (`arn:<partition>:iam::<account>:role/<name>`); undefined for anyone else. */
export function sessionRoleArn(p: Principal): string | undefined {
  if (p.type !== 'AssumedRole' || p.roleName === undefined) return undefined
  return `arn:${p.arn.split(':')[1]}:iam::${p.accountId}:role/${p.roleName}`
}
