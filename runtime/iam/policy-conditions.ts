// Condition operators as IAM evaluates them: String*, Numeric*, Date*, Bool,
// Binary, IpAddress, Arn*, Null; each (but Null) with an IfExists form; the
// ForAllValues: / ForAnyValue: set qualifiers for multi-valued keys
// (aws:TagKeys). Several values for one key: any may match (OR); several keys
// or operators in a statement: all must hold (AND). A negated operator
// (StringNotEquals…) holds when no value matches, so also when the key is
// absent.

import { BlockList, isIPv4, isIPv6 } from 'node:net'

export type ContextValue = string | readonly string[] | number | boolean

/** Condition keys of a request, lower-cased. */
export type RequestContext = ReadonlyMap<string, ContextValue>

type Matcher = (actual: string, expected: string) => boolean

function wildcardMatch(value: string, pattern: string, ignoreCase = false): boolean {
  // Iterative glob: * any run, ? one character.
  const v = ignoreCase ? value.toLowerCase() : value
  const p = ignoreCase ? pattern.toLowerCase() : pattern
  let vi = 0
  let pi = 0
  let star = -1
  let mark = 0
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      vi++
      pi++
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++
      mark = vi
    } else if (star >= 0) {
      pi = star + 1
      vi = ++mark
    } else return false
  }
  while (pi < p.length && p[pi] === '*') pi++
  return pi === p.length
}

export { wildcardMatch }

function number(s: string): number {
  return s.trim() === '' ? Number.NaN : Number(s)
}

function date(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  return Date.parse(s)
}

function arnMatch(actual: string, pattern: string): boolean {
  // ARNs compare component by component (the resource may hold colons).
  const a = actual.split(':')
  const p = pattern.split(':')
  if (a.length < 6 || p.length < 6) return false
  const aParts = [...a.slice(0, 5), a.slice(5).join(':')]
  const pParts = [...p.slice(0, 5), p.slice(5).join(':')]
  return pParts.every((part, i) => wildcardMatch(aParts[i], part))
}

const blockLists = new Map<string, BlockList | undefined>()
function cidr(expected: string): BlockList | undefined {
  let list = blockLists.get(expected)
  if (list === undefined && !blockLists.has(expected)) {
    const [address, bits] = expected.split('/')
    const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined
    if (type !== undefined) {
      list = new BlockList()
      const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits)
      try {
        list.addSubnet(address, prefix, type)
      } catch {
        list = undefined
      }
    }
    if (blockLists.size > 4096) blockLists.clear()
    blockLists.set(expected, list)
  }
  return list
}

function ipMatch(actual: string, expected: string): boolean {
  const address = actual.startsWith('::ffff:') && isIPv4(actual.slice(7)) ? actual.slice(7) : actual
  const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined
  if (type === undefined) return false
  return cidr(expected)?.check(address, type) ?? false
}

/** Each base operator: how one request value matches one policy value, and whether the operator is negated. */
const OPERATORS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (a, e) => a === e, negated: false },
  StringNotEquals: { match: (a, e) => a === e, negated: true },
  StringEqualsIgnoreCase: { match: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { match: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
  StringLike: { match: (a, e) => wildcardMatch(a, e), negated: false },
  StringNotLike: { match: (a, e) => wildcardMatch(a, e), negated: true },
  NumericEquals: { match: (a, e) => number(a) === number(e), negated: false },
  NumericNotEquals: { match: (a, e) => number(a) === number(e), negated: true },
  NumericLessThan: { match: (a, e) => number(a) < number(e), negated: false },
  NumericLessThanEquals: { match: (a, e) => number(a) <= number(e), negated: false },
  NumericGreaterThan: { match: (a, e) => number(a) > number(e), negated: false },
  NumericGreaterThanEquals: { match: (a, e) => number(a) >= number(e), negated: false },
  DateEquals: { match: (a, e) => date(a) === date(e), negated: false },
  DateNotEquals: { match: (a, e) => date(a) === date(e), negated: true },
  DateLessThan: { match: (a, e) => date(a) < date(e), negated: false },
  DateLessThanEquals: { match: (a, e) => date(a) <= date(e), negated: false },
  DateGreaterThan: { match: (a, e) => date(a) > date(e), negated: false },
  DateGreaterThanEquals: { match: (a, e) => date(a) >= date(e), negated: false },
  Bool: { match: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  BinaryEquals: { match: (a, e) => a === e, negated: false },
  IpAddress: { match: ipMatch, negated: false },
  NotIpAddress: { match: ipMatch, negated: true },
  ArnEquals: { match: arnMatch, negated: false },
  ArnLike: { match: arnMatch, negated: false },
  ArnNotEquals: { match: arnMatch, negated: true },
  ArnNotLike: { match: arnMatch, negated: true },
  Null: { match: () => false, negated: false }
}

export const CONDITION_OPERATORS: ReadonlySet<string> = new Set(Object.keys(OPERATORS))

function asStrings(value: ContextValue): string[] {
  if (Array.isArray(value)) return value as string[]
  return [String(value)]
}

export interface ConditionTest {
  readonly base: string
  readonly ifExists: boolean
  readonly set: 'ForAllValues' | 'ForAnyValue' | undefined
  readonly key: string
  /** Policy values after variable substitution; undefined entries (a variable with no value) match nothing. */
  readonly values: readonly (string | undefined)[]
}

/** Whether one condition (one operator, one key, its values) holds for a request. */
export function conditionHolds(test: ConditionTest, context: RequestContext): boolean {
  const actual = context.get(test.key)
  if (test.base === 'Null') {
    const absent = actual === undefined || (Array.isArray(actual) && actual.length === 0)
    return test.values.some((v) => v !== undefined && v.toLowerCase() === String(absent))
  }
  const op = OPERATORS[test.base]
  const anyMatches = (value: string): boolean => test.values.some((e) => e !== undefined && op.match(value, e))
  if (test.set === 'ForAllValues') {
    if (actual === undefined) return true
    return asStrings(actual).every((v) => (op.negated ? !anyMatches(v) : anyMatches(v)))
  }
  if (test.set === 'ForAnyValue') {
    if (actual === undefined) return test.ifExists
    return asStrings(actual).some((v) => (op.negated ? !anyMatches(v) : anyMatches(v)))
  }
  if (actual === undefined) return test.ifExists || op.negated
  const values = asStrings(actual)
  return op.negated ? !values.some(anyMatches) : values.some(anyMatches)
}
