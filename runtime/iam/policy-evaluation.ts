// IAM's evaluation logic for one account: an explicit Deny in any policy that
// applies wins; else an Allow in an identity policy of the principal, or in
// the resource's policy naming the principal itself (its ARN, its role's ARN,
// or "*"), allows; a resource policy naming only the account defers to the
// identity policies (its Deny still applies); else the request is implicitly
// denied. A statement applies when its action, resource,
// principal (resource policies) and every condition match.

import type { CompiledPolicy, CompiledStatement, PrincipalSet } from './policy-document.js'
import { conditionHolds, wildcardMatch, type RequestContext } from './policy-conditions.js'
import { sessionRoleArn, type Principal } from './principal.js'

export interface EvaluationInput {
  readonly principal: Principal
  readonly action: string
  readonly resource: string
  /** Condition keys, lower-cased. */
  readonly context: RequestContext
}

export type Outcome =
  | { readonly effect: 'Allow' }
  | { readonly effect: 'Deny'; readonly source: 'identity' | 'resource' }
  | { readonly effect: 'None' }

/** `${aws:username}` and friends, from the request context; undefined when a variable has no value (the element then matches nothing). */
export function substitute(text: string, context: RequestContext): string | undefined {
  if (!text.includes('${')) return text
  let missing = false
  const out = text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
    if (inner === '*' || inner === '?' || inner === '$') return inner
    const comma = inner.indexOf(',')
    const key = (comma < 0 ? inner : inner.slice(0, comma)).trim().toLowerCase()
    const value = context.get(key)
    if (value !== undefined && !Array.isArray(value)) return String(value)
    const fallback = comma < 0 ? undefined : /^\s*'([^']*)'\s*$/.exec(inner.slice(comma + 1))?.[1]
    if (fallback !== undefined) return fallback
    missing = true
    return ''
  })
  return missing ? undefined : out
}

/**
 * How a resource-policy statement's Principal names the caller: 'self' (its own
 * ARN, its role's ARN for a session, or "*"), 'account' (the account id or its
 * root ARN: a delegation to the account's identity policies), or not at all.
 * For the account's root, naming the account is naming root itself.
 */
function principalNamed(set: PrincipalSet, p: Principal): 'self' | 'account' | undefined {
  if (set.any) return 'self'
  const partition = p.arn.split(':')[1]
  const rootArn = `arn:${partition}:iam::${p.accountId}:root`
  const roleArn = sessionRoleArn(p)
  if (set.aws.some((name) => name === p.arn || (roleArn !== undefined && name === roleArn))) return 'self'
  if (set.aws.some((name) => name === p.accountId || name === rootArn)) return p.type === 'Root' ? 'self' : 'account'
  return undefined
}

/** Whether a statement's action, resource and conditions match (not its principal). */
function matches(s: CompiledStatement, policy: CompiledPolicy, input: EvaluationInput): boolean {
  const actionHit = s.actions.some((a) => wildcardMatch(input.action, a, true))
  if (actionHit === s.notAction) return false
  const resourceHit = s.resources.some((r) => {
    const pattern = policy.variables ? substitute(r, input.context) : r
    return pattern !== undefined && wildcardMatch(input.resource, pattern)
  })
  if (resourceHit === s.notResource) return false
  for (const c of s.conditions) {
    const values = policy.variables ? c.values.map((v) => substitute(v, input.context)) : c.values
    if (!conditionHolds({ base: c.base, ifExists: c.ifExists, set: c.set, key: c.key, values }, input.context)) return false
  }
  return true
}

/**
 * How a resource-policy statement applies to the caller: 'grant' (an Allow
 * there allows by itself), 'account' (it names the caller's account: its Deny
 * applies, its Allow only defers to the identity policies, as AWS's
 * evaluation does within one account), or not at all.
 */
function resourceStatementApplies(s: CompiledStatement, input: EvaluationInput): 'grant' | 'account' | undefined {
  if (s.principals === undefined) return undefined
  const named = principalNamed(s.principals, input.principal)
  // NotPrincipal: the statement is about everyone it does not name (the caller's account named counts as naming the caller).
  if (s.notPrincipal) return named === undefined ? 'grant' : undefined
  return named === 'self' ? 'grant' : named
}

export function evaluate(identity: readonly CompiledPolicy[], resource: CompiledPolicy | undefined, input: EvaluationInput): Outcome {
  let allowed = false
  for (const policy of identity) {
    for (const s of policy.statements) {
      if (!matches(s, policy, input)) continue
      if (s.effect === 'Deny') return { effect: 'Deny', source: 'identity' }
      allowed = true
    }
  }
  if (resource !== undefined) {
    for (const s of resource.statements) {
      const applies = resourceStatementApplies(s, input)
      if (applies === undefined || !matches(s, resource, input)) continue
      if (s.effect === 'Deny') return { effect: 'Deny', source: 'resource' }
      if (applies === 'grant') allowed = true
    }
  }
  return allowed ? { effect: 'Allow' } : { effect: 'None' }
}
