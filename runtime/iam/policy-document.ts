// IAM policy documents: parsed and checked when they are put (a malformed one
// is refused with MalformedPolicyDocument naming the problem, as IAM does),
// then compiled once into matchers the evaluator runs per request.
//
//   { Version, Id?, Statement: statement | statement[] }
//   statement: { Sid?, Effect: Allow|Deny, Action|NotAction, Resource|NotResource,
//                Principal|NotPrincipal (resource policies only), Condition? }

import { InvalidArgumentError } from '../errors.js'
import { CONDITION_OPERATORS } from './policy-conditions.js'

export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const

export type Effect = 'Allow' | 'Deny'

/** A principal element: '*' or the ARNs / account ids / service names it names. */
export interface PrincipalSet {
  readonly any: boolean
  readonly aws: readonly string[]
  readonly service: readonly string[]
}

export interface ConditionClause {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string
  /** The base operator (StringLike), the IfExists and set qualifiers apart. */
  readonly base: string
  readonly ifExists: boolean
  readonly set: 'ForAllValues' | 'ForAnyValue' | undefined
  /** Lower-cased condition key (keys are case-insensitive). */
  readonly key: string
  readonly values: readonly string[]
}

export interface CompiledStatement {
  readonly sid: string | undefined
  readonly effect: Effect
  readonly actions: readonly string[]
  readonly notAction: boolean
  readonly resources: readonly string[]
  readonly notResource: boolean
  /** undefined: the statement names no principal (identity policies). */
  readonly principals?: PrincipalSet
  readonly notPrincipal: boolean
  readonly conditions: readonly ConditionClause[]
}

export interface CompiledPolicy {
  readonly version: string
  /** Policy variables (${aws:username}) are substituted only in 2012-10-17 policies. */
  readonly variables: boolean
  readonly statements: readonly CompiledStatement[]
}

export type PolicyKind = 'identity' | 'resource'

function malformed(message: string, field: string): never {
  throw new InvalidArgumentError('MalformedPolicyDocument', message, { field })
}

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'])
const ACTION = /^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$/i

function stringList(value: unknown, what: string, field: string): string[] {
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) malformed(`${what} must not be an empty list`, field)
  for (const item of list) if (typeof item !== 'string' || item.length === 0) malformed(`${what} must be a string or a list of strings`, field)
  return list as string[]
}

function principalSet(value: unknown, field: string): PrincipalSet {
  if (value === '*') return { any: true, aws: [], service: [] }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) malformed('Invalid principal in policy: must be "*" or an object of AWS / Service / Federated principals', field)
  let any = false
  const aws: string[] = []
  const service: string[] = []
  for (const [kind, names] of Object.entries(value as Record<string, unknown>)) {
    if (kind !== 'AWS' && kind !== 'Service' && kind !== 'Federated' && kind !== 'CanonicalUser') malformed(`Invalid principal in policy: unknown principal type ${kind}`, field)
    for (const name of stringList(names, `Principal ${kind}`, `${field}.${kind}`)) {
      if (kind === 'AWS') {
        if (name === '*') any = true
        else if (!/^\d{12}$/.test(name) && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/.test(name)) malformed(`Invalid principal in policy: "AWS":"${name}"`, field)
        aws.push(name)
      } else service.push(name)
    }
  }
  return { any, aws, service }
}

function conditions(value: unknown, field: string): ConditionClause[] {
  if (value === undefined) return []
  if (value === null || typeof value !== 'object' || Array.isArray(value)) malformed('Condition must be an object of operators', field)
  const out: ConditionClause[] = []
  for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
    let rest = operator
    let set: ConditionClause['set']
    for (const prefix of ['ForAllValues:', 'ForAnyValue:'] as const) {
      if (rest.startsWith(prefix)) {
        set = prefix.slice(0, -1) as ConditionClause['set']
        rest = rest.slice(prefix.length)
      }
    }
    const ifExists = rest.endsWith('IfExists') && rest !== 'Null'
    const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest
    if (!CONDITION_OPERATORS.has(base)) malformed(`Invalid Condition type : ${operator}`, `${field}.${operator}`)
    if (block === null || typeof block !== 'object' || Array.isArray(block)) malformed(`Condition ${operator} must be an object of condition keys`, `${field}.${operator}`)
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      const list = Array.isArray(raw) ? raw : [raw]
      if (list.length === 0) malformed(`Condition ${operator} ${key}: needs at least one value`, `${field}.${operator}.${key}`)
      const values = list.map((v) => {
        if (typeof v === 'string') return v
        if (typeof v === 'number' || typeof v === 'boolean') return String(v)
        return malformed(`Condition ${operator} ${key}: values are strings, numbers or booleans`, `${field}.${operator}.${key}`)
      })
      if (!/^[A-Za-z0-9-]+:[\w/+=.,@:*?${}-]+$/.test(key)) malformed(`Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (condition key ${key})`, `${field}.${operator}.${key}`)
      out.push({ operator, base, ifExists, set, key: key.toLowerCase(), values })
    }
  }
  return out
}

function statement(raw: unknown, kind: PolicyKind, field: string): CompiledStatement {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) malformed('Syntax errors in policy: a statement must be an object', field)
  const s = raw as Record<string, unknown>
  for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) malformed(`Syntax errors in policy: unknown statement element ${key}`, `${field}.${key}`)
  // IAM's own policies take alphanumeric Sids; resource-based ones (ECR, S3…) any string ("new statement", "allow-pull").
  if (s.Sid !== undefined && typeof s.Sid !== 'string') malformed('Statement IDs (SID) must be strings', `${field}.Sid`)
  if (kind === 'identity' && s.Sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.Sid as string)) malformed('Statement IDs (SID) must be alpha-numeric', `${field}.Sid`)
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') malformed(`Invalid effect: ${String(s.Effect)} (Allow or Deny)`, `${field}.Effect`)
  if ((s.Action === undefined) === (s.NotAction === undefined)) malformed('Policy statement must contain exactly one of Action or NotAction', `${field}.Action`)
  if (s.Resource !== undefined && s.NotResource !== undefined) malformed('Policy statement must contain only one of Resource or NotResource', `${field}.Resource`)
  if (kind === 'identity' && s.Resource === undefined && s.NotResource === undefined) malformed('Policy statement must contain resources.', `${field}.Resource`)
  if (kind === 'identity' && (s.Principal !== undefined || s.NotPrincipal !== undefined)) malformed('Policy document should not specify a principal.', `${field}.Principal`)
  if (kind === 'resource' && (s.Principal === undefined) === (s.NotPrincipal === undefined)) malformed('Statement is missing required element: Principal', `${field}.Principal`)
  const actionField = s.Action !== undefined ? 'Action' : 'NotAction'
  const actions = stringList(s[actionField], actionField, `${field}.${actionField}`)
  for (const a of actions) if (!ACTION.test(a)) malformed(`Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (${a})`, `${field}.${actionField}`)
  const resourceField = s.NotResource !== undefined ? 'NotResource' : 'Resource'
  const resources = s[resourceField] === undefined ? ['*'] : stringList(s[resourceField], resourceField, `${field}.${resourceField}`)
  for (const r of resources) if (r !== '*' && !r.startsWith('arn:')) malformed(`Resource ${r} must be in ARN format or "*".`, `${field}.${resourceField}`)
  const principalField = s.NotPrincipal !== undefined ? 'NotPrincipal' : 'Principal'
  return {
    sid: s.Sid as string | undefined,
    effect: s.Effect,
    actions, notAction: actionField === 'NotAction',
    resources, notResource: resourceField === 'NotResource',
    ...(s[principalField] === undefined ? {} : { principals: principalSet(s[principalField], `${field}.${principalField}`) }),
    notPrincipal: principalField === 'NotPrincipal' && s.NotPrincipal !== undefined,
    conditions: conditions(s.Condition, `${field}.Condition`)
  }
}

/**
 * Parses and checks a policy document (JSON text or an object). Throws
 * InvalidArgumentError MalformedPolicyDocument naming the problem and, in
 * `field`, where it is (`Statement[1].Effect`).
 */
export function compilePolicy(document: string | object, kind: PolicyKind = 'identity'): CompiledPolicy {
  let doc: unknown = document
  if (typeof document === 'string') {
    try {
      doc = JSON.parse(document)
    } catch (err) {
      malformed(`Syntax errors in policy: ${(err as Error).message}`, 'PolicyDocument')
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) malformed('Syntax errors in policy: the document must be a JSON object', 'PolicyDocument')
  const d = doc as Record<string, unknown>
  for (const key of Object.keys(d)) if (key !== 'Version' && key !== 'Id' && key !== 'Statement') malformed(`Syntax errors in policy: unknown element ${key}`, key)
  const version = d.Version === undefined ? '2008-10-17' : d.Version
  if (typeof version !== 'string' || !(POLICY_VERSIONS as readonly string[]).includes(version)) {
    malformed(`The policy failed legacy parsing: Version must be ${POLICY_VERSIONS.join(' or ')}, got ${JSON.stringify(d.Version)}`, 'Version')
  }
  if (d.Statement === undefined) malformed('Syntax errors in policy: Statement is required', 'Statement')
  const list = Array.isArray(d.Statement) ? d.Statement : [d.Statement]
  if (list.length === 0) malformed('Syntax errors in policy: Statement must not be empty', 'Statement')
  const statements = list.map((s, i) => statement(s, kind, Array.isArray(d.Statement) ? `Statement[${i}]` : 'Statement'))
  return { version, variables: version === '2012-10-17', statements }
}
