import { invalidParameter } from '../errors.js'

/**
 * ECR lifecycle policies: parsing (with ECR's validation rules) and evaluation, as pure
 * functions. Evaluation follows ECR's documented semantics:
 *
 * - rules apply in ascending `rulePriority`;
 * - a rule's candidates are the images its `selection` matches that no rule of higher
 *   priority (lower number) already matched; every candidate is then *claimed*, kept or
 *   expired, so an image matched by a rule can never be expired by a later rule;
 * - `tagged` selects images having, for every entry of `tagPrefixList` (or
 *   `tagPatternList`, `*` wildcards), at least one tag that matches it; `untagged` images
 *   with no tag; `any` every image (and must be the rule with the highest `rulePriority`);
 * - `imageCountMoreThan: N` keeps the N most recently pushed candidates and expires the rest;
 *   `sinceImagePushed: N days` expires candidates pushed more than N days ago.
 */
export type TagStatus = 'tagged' | 'untagged' | 'any'
export type CountType = 'imageCountMoreThan' | 'sinceImagePushed'

export interface LifecycleRule {
  readonly rulePriority: number
  readonly description?: string
  readonly selection: {
    readonly tagStatus: TagStatus
    readonly tagPrefixList?: readonly string[]
    readonly tagPatternList?: readonly string[]
    readonly countType: CountType
    readonly countUnit?: 'days'
    readonly countNumber: number
  }
  readonly action: { readonly type: 'expire' }
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[]
}

/** An image as lifecycle evaluation sees it. */
export interface LifecycleImage {
  readonly imageDigest: string
  readonly imageTags: readonly string[]
  /** Epoch ms. */
  readonly imagePushedAt: number
}

export interface LifecycleVerdict {
  readonly image: LifecycleImage
  readonly appliedRulePriority: number
}

export const LIFECYCLE_POLICY_TEXT_LIMIT = 30720
const RULE_KEYS = new Set(['rulePriority', 'description', 'selection', 'action'])
const SELECTION_KEYS = new Set(['tagStatus', 'tagPrefixList', 'tagPatternList', 'countType', 'countUnit', 'countNumber'])
const DAY_MS = 24 * 60 * 60 * 1000

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function stringList (value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    throw invalidParameter(field, 'must be a non-empty array of strings', '1..100 entries')
  }
  for (const [i, v] of value.entries()) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw invalidParameter(`${field}[${i}]`, 'must be a non-empty string', '1..128 characters')
  }
  return value as string[]
}

/** Parses and validates a policy text; InvalidParameterException names the field at fault. */
export function parseLifecyclePolicy (text: unknown, field = 'lifecyclePolicyText'): LifecyclePolicy {
  if (typeof text !== 'string' || text.trim() === '') throw invalidParameter(field, 'must be a JSON document')
  if (text.length > LIFECYCLE_POLICY_TEXT_LIMIT) throw invalidParameter(field, `is ${text.length} characters`, `${LIFECYCLE_POLICY_TEXT_LIMIT} characters`)
  let json: unknown
  try { json = JSON.parse(text) } catch (err) { throw invalidParameter(field, `is not valid JSON: ${(err as Error).message}`) }
  if (!isObject(json) || !Array.isArray(json.rules) || json.rules.length === 0) {
    throw invalidParameter(`${field}.rules`, 'must be a non-empty array of rules')
  }
  const rules: LifecycleRule[] = []
  const priorities = new Set<number>()
  for (const [i, raw] of json.rules.entries()) {
    const at = `${field}.rules[${i}]`
    if (!isObject(raw)) throw invalidParameter(at, 'must be an object')
    for (const key of Object.keys(raw)) if (!RULE_KEYS.has(key)) throw invalidParameter(`${at}.${key}`, 'is not a lifecycle rule field')
    const priority = raw.rulePriority
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 999) {
      throw invalidParameter(`${at}.rulePriority`, 'must be an integer', '1..999')
    }
    if (priorities.has(priority)) throw invalidParameter(`${at}.rulePriority`, `${priority} is used by another rule; priorities must be unique`)
    priorities.add(priority)
    if (raw.description !== undefined && typeof raw.description !== 'string') throw invalidParameter(`${at}.description`, 'must be a string')
    const sel = raw.selection
    if (!isObject(sel)) throw invalidParameter(`${at}.selection`, 'is required')
    for (const key of Object.keys(sel)) if (!SELECTION_KEYS.has(key)) throw invalidParameter(`${at}.selection.${key}`, 'is not a selection field')
    const tagStatus = sel.tagStatus
    if (tagStatus !== 'tagged' && tagStatus !== 'untagged' && tagStatus !== 'any') {
      throw invalidParameter(`${at}.selection.tagStatus`, `invalid value ${JSON.stringify(tagStatus)}`, 'tagged | untagged | any')
    }
    const selection: { -readonly [K in keyof LifecycleRule['selection']]: LifecycleRule['selection'][K] } = {
      tagStatus, countType: 'imageCountMoreThan', countNumber: 0
    }
    if (tagStatus === 'tagged') {
      const hasPrefix = sel.tagPrefixList !== undefined
      const hasPattern = sel.tagPatternList !== undefined
      if (hasPrefix === hasPattern) {
        throw invalidParameter(`${at}.selection`, 'a tagged rule needs exactly one of tagPrefixList and tagPatternList')
      }
      if (hasPrefix) selection.tagPrefixList = stringList(sel.tagPrefixList, `${at}.selection.tagPrefixList`)
      if (hasPattern) {
        const patterns = stringList(sel.tagPatternList, `${at}.selection.tagPatternList`)
        for (const [j, p] of patterns.entries()) {
          if ((p.match(/\*/g)?.length ?? 0) > 4) throw invalidParameter(`${at}.selection.tagPatternList[${j}]`, 'has too many wildcards', '4 wildcards')
        }
        selection.tagPatternList = patterns
      }
    } else if (sel.tagPrefixList !== undefined || sel.tagPatternList !== undefined) {
      throw invalidParameter(`${at}.selection`, `tagPrefixList and tagPatternList are only allowed with tagStatus tagged, not ${tagStatus}`)
    }
    const countType = sel.countType
    const countNumber = sel.countNumber
    if (countType !== 'imageCountMoreThan' && countType !== 'sinceImagePushed') {
      throw invalidParameter(`${at}.selection.countType`, `invalid value ${JSON.stringify(countType)}`, 'imageCountMoreThan | sinceImagePushed')
    }
    if (typeof countNumber !== 'number' || !Number.isInteger(countNumber) || countNumber < 1) {
      throw invalidParameter(`${at}.selection.countNumber`, 'must be a positive integer', '>= 1')
    }
    if (countType === 'sinceImagePushed') {
      if (sel.countUnit !== 'days') throw invalidParameter(`${at}.selection.countUnit`, 'sinceImagePushed needs countUnit', 'days')
      selection.countUnit = 'days'
    } else if (sel.countUnit !== undefined) {
      throw invalidParameter(`${at}.selection.countUnit`, 'is only allowed with countType sinceImagePushed')
    }
    selection.countType = countType
    selection.countNumber = countNumber
    if (!isObject(raw.action) || raw.action.type !== 'expire') {
      throw invalidParameter(`${at}.action.type`, `invalid value ${JSON.stringify(isObject(raw.action) ? raw.action.type : raw.action)}`, 'expire')
    }
    const rule: LifecycleRule = { rulePriority: priority, selection, action: { type: 'expire' } }
    if (typeof raw.description === 'string') (rule as { description?: string }).description = raw.description
    rules.push(rule)
  }
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority)
  const anyIndex = sorted.findIndex((r) => r.selection.tagStatus === 'any')
  if (anyIndex >= 0 && anyIndex !== sorted.length - 1) {
    throw invalidParameter(`${field}.rules`, `the rule with tagStatus any (priority ${sorted[anyIndex].rulePriority}) must have the highest rulePriority`)
  }
  return Object.freeze({ rules: Object.freeze(sorted) })
}

function patternRegex (pattern: string): RegExp {
  const escaped = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${escaped}$`)
}

function selects (rule: LifecycleRule, image: LifecycleImage): boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection
  if (tagStatus === 'any') return true
  if (tagStatus === 'untagged') return image.imageTags.length === 0
  if (image.imageTags.length === 0) return false
  if (tagPrefixList !== undefined) return tagPrefixList.every((p) => image.imageTags.some((t) => t.startsWith(p)))
  const regexes = (tagPatternList ?? []).map(patternRegex)
  return regexes.every((re) => image.imageTags.some((t) => re.test(t)))
}

/** The images `policy` expires at time `now` (epoch ms), each with the rule that expired it. */
export function evaluateLifecyclePolicy (policy: LifecyclePolicy, images: readonly LifecycleImage[], now: number): LifecycleVerdict[] {
  const claimed = new Set<string>()
  const expired: LifecycleVerdict[] = []
  for (const rule of policy.rules) {
    const candidates = images.filter((img) => !claimed.has(img.imageDigest) && selects(rule, img))
    for (const img of candidates) claimed.add(img.imageDigest)
    const { countType, countNumber } = rule.selection
    if (countType === 'imageCountMoreThan') {
      const newestFirst = [...candidates].sort((a, b) => b.imagePushedAt - a.imagePushedAt || (a.imageDigest < b.imageDigest ? -1 : 1))
      for (const img of newestFirst.slice(countNumber)) expired.push({ image: img, appliedRulePriority: rule.rulePriority })
    } else {
      for (const img of candidates) {
        if (now - img.imagePushedAt > countNumber * DAY_MS) expired.push({ image: img, appliedRulePriority: rule.rulePriority })
      }
    }
  }
  return expired
}
