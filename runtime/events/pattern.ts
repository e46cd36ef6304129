// EventBridge event patterns. A pattern mirrors the event's shape; at each
// leaf an array lists what the field may be (any one matches). Besides plain
// values, a leaf may hold matchers:
//   { prefix: 'x' | { 'equals-ignore-case': 'x' } }  { suffix: (the same) }
//   { 'equals-ignore-case': 'x' }  { wildcard: 'a*b' }
//   { 'anything-but': v | [v…] | { prefix } | { suffix } | { 'equals-ignore-case': 'x' | ['x'…] } | { wildcard } }
//   { numeric: ['>', 0, '<=', 5] }  { exists: true | false }
// An event field that is an array matches when any of its elements does.
// `$or: [pattern, pattern…]` at any level matches when one of the patterns does.
// Fields the pattern does not name are ignored.

import { InvalidArgumentError } from '../errors.js'

export type EventPattern = { [field: string]: EventPattern | readonly unknown[] }

type Json = unknown

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function wildcard(pattern: string, value: string): boolean {
  const parts = pattern.split('*')
  if (parts.length === 1) return pattern === value
  if (!value.startsWith(parts[0]) || !value.endsWith(parts[parts.length - 1])) return false
  let at = parts[0].length
  const end = value.length - parts[parts.length - 1].length
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i], at)
    if (found < 0 || found + parts[i].length > end) return false
    at = found + parts[i].length
  }
  return at <= end
}

function numeric(conditions: readonly unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false
  for (let i = 0; i < conditions.length; i += 2) {
    const op = conditions[i]
    const bound = conditions[i + 1] as number
    const ok = op === '=' ? value === bound : op === '>' ? value > bound : op === '>=' ? value >= bound : op === '<' ? value < bound : op === '<=' ? value <= bound : false
    if (!ok) return false
  }
  return true
}

/** prefix / suffix: a string, or { 'equals-ignore-case': string } to ignore case. */
function affix(spec: unknown, value: Json, test: (value: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false
  if (isObject(spec)) return test(value.toLowerCase(), String(spec['equals-ignore-case']).toLowerCase())
  return test(value, String(spec))
}

/** Does one (non-array) value match one entry of a pattern's list? */
function matchOne(entry: unknown, value: Json): boolean {
  if (!isObject(entry)) return entry === value
  if ('prefix' in entry) return affix(entry.prefix, value, (v, a) => v.startsWith(a))
  if ('suffix' in entry) return affix(entry.suffix, value, (v, a) => v.endsWith(a))
  if ('equals-ignore-case' in entry) {
    const wanted = entry['equals-ignore-case']
    if (typeof value !== 'string') return false
    const lower = value.toLowerCase()
    return Array.isArray(wanted) ? wanted.some((w) => String(w).toLowerCase() === lower) : lower === String(wanted).toLowerCase()
  }
  if ('wildcard' in entry) return typeof value === 'string' && wildcard(String(entry.wildcard), value)
  if ('numeric' in entry) return numeric(entry.numeric as unknown[], value)
  if ('anything-but' in entry) {
    const but = entry['anything-but']
    if (Array.isArray(but)) return !but.includes(value)
    if (isObject(but)) return !matchOne(but, value)
    return value !== but
  }
  return false
}

function matchLeaf(list: readonly unknown[], value: Json, present: boolean): boolean {
  for (const entry of list) {
    if (isObject(entry) && 'exists' in entry) {
      if (entry.exists === present) return true
      continue
    }
    if (!present) continue
    if (Array.isArray(value) ? value.some((v) => matchOne(entry, v)) : matchOne(entry, value)) return true
  }
  return false
}

export function matches(pattern: EventPattern, event: Json): boolean {
  for (const [field, rule] of Object.entries(pattern)) {
    if (field === '$or' && Array.isArray(rule)) {
      if (!rule.some((branch) => isObject(branch) && matches(branch as EventPattern, event))) return false
      continue
    }
    const present = isObject(event) && field in event && event[field] !== undefined
    const value = present ? (event as Record<string, unknown>)[field] : undefined
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, value, present)) return false
    } else if (isObject(rule)) {
      if (!present) return false
      if (Array.isArray(value) ? !value.some((v) => matches(rule as EventPattern, v)) : !matches(rule as EventPattern, value)) return false
    }
  }
  return true
}

/** Rejects patterns EventBridge would: leaves must be non-empty arrays, nodes objects, matchers well-formed. */
export function validatePattern(pattern: unknown, path = 'pattern'): asserts pattern is EventPattern {
  if (!isObject(pattern)) throw new InvalidArgumentError('InvalidEventPattern', `${path} must be an object`, { field: path })
  for (const [field, rule] of Object.entries(pattern)) {
    const at = `${path}.${field}`
    if (field === '$or') {
      if (!Array.isArray(rule) || rule.length < 2) throw new InvalidArgumentError('InvalidEventPattern', `${at} must list at least two patterns`, { field: at })
      rule.forEach((branch, i) => validatePattern(branch, `${at}[${i}]`))
      continue
    }
    if (Array.isArray(rule)) {
      if (rule.length === 0) throw new InvalidArgumentError('InvalidEventPattern', `${at} must list at least one value`, { field: at })
      for (const entry of rule) validateEntry(entry, at)
    } else if (isObject(rule)) {
      validatePattern(rule, at)
    } else {
      throw new InvalidArgumentError('InvalidEventPattern', `${at} must be an array of values or a nested pattern`, { field: at })
    }
  }
}

const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>='])

/** One entry of a leaf's list: a plain value or one matcher; a typo must not silently never match. */
function validateEntry(entry: unknown, at: string): void {
  const bad = (why: string): never => {
    throw new InvalidArgumentError('InvalidEventPattern', `${at}: ${why}`, { field: at })
  }
  if (!isObject(entry)) {
    if (Array.isArray(entry)) bad('a list of values cannot hold another list')
    return
  }
  const keys = Object.keys(entry)
  if (keys.length !== 1) bad(`a matcher is an object with one key, got ${JSON.stringify(entry)}`)
  const [key] = keys
  const value = entry[key]
  switch (key) {
    case 'prefix':
    case 'suffix':
      if (isObject(value) && Object.keys(value).length === 1 && typeof value['equals-ignore-case'] === 'string') return
      if (typeof value !== 'string') bad(`${key} takes a string or { "equals-ignore-case": string }, got ${JSON.stringify(value)}`)
      return
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof value !== 'string') bad(`${key} takes a string, got ${JSON.stringify(value)}`)
      return
    case 'exists':
      if (typeof value !== 'boolean') bad(`exists takes true or false, got ${JSON.stringify(value)}`)
      return
    case 'numeric': {
      const ok = Array.isArray(value) && value.length >= 2 && value.length % 2 === 0 &&
        value.every((v, i) => (i % 2 === 0 ? NUMERIC_OPERATORS.has(v as string) : typeof v === 'number' && Number.isFinite(v)))
      if (!ok) bad(`numeric takes operator/number pairs (<, <=, =, >, >=), got ${JSON.stringify(value)}`)
      return
    }
    case 'anything-but': {
      const plain = (v: unknown) => typeof v === 'string' || typeof v === 'number'
      if (plain(value) || (Array.isArray(value) && value.length > 0 && value.every(plain))) return
      if (isObject(value)) {
        const list = value['equals-ignore-case']
        if (Object.keys(value).length === 1 && Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === 'string')) return
        validateEntry(value, at)
        if (!('exists' in value) && !('numeric' in value) && !('anything-but' in value)) return
      }
      bad(`anything-but takes a value, a list of values, or a prefix, suffix, equals-ignore-case or wildcard matcher, got ${JSON.stringify(value)}`)
      return
    }
    default:
      bad(`unknown matcher ${JSON.stringify(key)}`)
  }
}
