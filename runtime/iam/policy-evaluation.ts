// IAM's evaluation logic for one account: an explicit Deny in any policy that
// applies wins; else an Allow in an identity policy of the principal, or in
// the resource's policy naming the principal, allows; else the request is
// implicitly denied. A statement applies when its action, resource,
// principal (resource policies) and every condition match.

import type { CompiledPolicy, CompiledStatement, PrincipalSet } from './policy-document.js'
import { conditionHolds, wildcardMatch, type RequestContext } from './policy-conditions.js'
import type { Principal } from './principal.js'

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

function principalNamed(set: PrincipalSet, p: Principal): boolean {
  if (set.any) return true
  const roleArn = p.type === 'AssumedRole' && p.roleName !== undefined ? `arn:${p.arn.split(':')[1]}:iam::${p.accountId}:role/${p.roleName}` : undefined
  return set.aws.some((name) =>
    name === p.accountId || name === `arn:${p.arn.split(':')[1]}:iam::${p.accountId}:root` || name === p.arn || (roleArn !== undefined && name === roleArn))
}

function matches(s: CompiledStatement, policy: CompiledPolicy, input: EvaluationInput, resourcePolicy: boolean): boolean {
  const actionHit = s.actions.some((a) => wildcardMatch(input.action, a, true))
  if (actionHit === s.notAction) return false
  const resourceHit = s.resources.some((r) => {
    const pattern = policy.variables ? substitute(r, input.context) : r
    return pattern !== undefined && wildcardMatch(input.resource, pattern)
  })
  if (resourceHit === s.notResource) return false
  if (resourcePolicy) {
    if (s.principals === undefined) return false
    if (principalNamed(s.principals, input.principal) === s.notPrincipal) return false
  }
  for (const c of s.conditions) {
    const values = policy.variables ? c.values.map((v) => substitute(v, input.context)) : c.values
    if (!conditionHolds({ base: c.base, ifExists: c.ifExists, set: c.set, key: c.key, values }, input.context)) return false
  }
  return true
}

export function evaluate(identity: readonly CompiledPolicy[], resource: CompiledPolicy | undefined, input: EvaluationInput): Outcome {
  let allowed = false
  for (const policy of identity) {
    for (const s of policy.statements) {
      if (!matches(s, policy, input, false)) continue
      if (s.effect === 'Deny') return { effect: 'Deny', source: 'identity' }
      allowed = true
    }
  }
  if (resource !== undefined) {
    for (const s of resource.statements) {
      if (!matches(s, resource, input, true)) continue
      if (s.effect === 'Deny') return { effect: 'Deny', source: 'resource' }
      allowed = true
    }
  }
  return allowed ? { effect: 'Allow' } : { effect: 'None' }
}
