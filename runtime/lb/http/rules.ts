// A listener's rules compiled for matching: evaluated in priority order, a
// rule matches when every one of its conditions does, a condition when any of
// its values does (ALB's rule evaluation). Wildcards: `*` any run of
// characters, `?` exactly one. Case: path-pattern and http-request-method are
// case-sensitive; host-header, http-header (name and value) and query-string
// are not. path-pattern sees the path only, never the query string.

import type { Action, Condition, RuleConfig } from '../model.js'

/** What the conditions look at, taken once per request. */
export interface RequestFacts {
  method: string
  /** The path without the query string (as received, not decoded). */
  path: string
  /** The query string without `?`, '' when there is none. */
  query: string
  /** The Host header without a port, as received. */
  host: string
  /** Node's lowercased header map. */
  headers: Record<string, string | string[] | undefined>
  /** The client's address (IPv4 or IPv6, an IPv4-mapped IPv6 address normalised to IPv4). */
  sourceIp: string
}

type Test = (facts: RequestFacts) => boolean

export interface CompiledRule {
  key: string
  priority: number
  actions: readonly Action[]
  matches: Test
}

/** Compiles a wildcard value to an anchored regular expression. */
export function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '^'
  for (const ch of pattern) {
    if (ch === '*') source += '.*'
    else if (ch === '?') source += '.'
    else source += ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&')
  }
  return new RegExp(source + '$', caseInsensitive ? 'is' : 's')
}

function anyOf(values: readonly string[], caseInsensitive: boolean): (value: string) => boolean {
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const v of values) {
    if (v.includes('*') || v.includes('?')) patterns.push(wildcard(v, caseInsensitive))
    else exact.add(caseInsensitive ? v.toLowerCase() : v)
  }
  return (value) => {
    if (exact.size > 0 && exact.has(caseInsensitive ? value.toLowerCase() : value)) return true
    for (const p of patterns) if (p.test(value)) return true
    return false
  }
}

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** Decodes one query component as a browser would send it (`+` is a space). */
function decodeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(plus)
  } catch {
    return plus
  }
}

export function parseQuery(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  if (query === '') return pairs
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) pairs.push([decodeComponent(part), ''])
    else pairs.push([decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))])
  }
  return pairs
}

// --- source-ip (CIDR) ---------------------------------------------------------

interface Cidr {
  v6: boolean
  /** The address as a big integer (32 or 128 bits). */
  base: bigint
  mask: bigint
}

function parseIpv4(ip: string): bigint | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    n = (n << 8n) | BigInt(Number(p))
  }
  return n
}

function parseIpv6(ip: string): bigint | undefined {
  let text = ip
  if (text.includes('.')) {
    // A dotted IPv4 tail (`::ffff:127.0.0.1`) becomes its two hex groups.
    const lastColon = text.lastIndexOf(':')
    const v4 = parseIpv4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string): bigint[] | undefined => {
    if (s === '') return []
    const groups: bigint[] = []
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
      groups.push(BigInt(parseInt(g, 16)))
    }
    return groups
  }
  const head = parse(halves[0]!)
  const rest = halves.length === 2 ? parse(halves[1]!) : []
  if (head === undefined || rest === undefined) return undefined
  let groups: bigint[]
  if (halves.length === 2) {
    const known = head.length + rest.length
    if (known > 7) return undefined
    groups = [...head, ...new Array<bigint>(8 - known).fill(0n), ...rest]
  } else {
    groups = head
    if (groups.length !== 8) return undefined
  }
  let n = 0n
  for (const g of groups) n = (n << 16n) | g
  return n
}

export function parseCidr(cidr: string): Cidr | undefined {
  const slash = cidr.indexOf('/')
  const ip = slash < 0 ? cidr : cidr.slice(0, slash)
  const v6 = ip.includes(':')
  const bits = v6 ? 128 : 32
  const prefix = slash < 0 ? bits : Number(cidr.slice(slash + 1))
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined
  const base = v6 ? parseIpv6(ip) : parseIpv4(ip)
  if (base === undefined) return undefined
  const all = (1n << BigInt(bits)) - 1n
  const mask = all ^ ((1n << BigInt(bits - prefix)) - 1n)
  return { v6, base: base & mask, mask }
}

/** An address as the conditions compare it: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) becomes IPv4. */
export function normaliseIp(ip: string | undefined): string {
  if (ip === undefined) return ''
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7)
  return ip
}

function inCidrs(cidrs: readonly Cidr[]): Test {
  return (facts) => {
    const v6 = facts.sourceIp.includes(':')
    const n = v6 ? parseIpv6(facts.sourceIp) : parseIpv4(facts.sourceIp)
    if (n === undefined) return false
    for (const c of cidrs) if (c.v6 === v6 && (n & c.mask) === c.base) return true
    return false
  }
}

// --- conditions ---------------------------------------------------------------

function compileCondition(condition: Condition): Test {
  switch (condition.field) {
    case 'path-pattern': {
      const match = anyOf(condition.values, false)
      return (f) => match(f.path)
    }
    case 'host-header': {
      const match = anyOf(condition.values, true)
      return (f) => match(f.host)
    }
    case 'http-request-method': {
      const match = anyOf(condition.values, false)
      return (f) => match(f.method)
    }
    case 'http-header': {
      const name = condition.headerName.toLowerCase()
      const match = anyOf(condition.values, true)
      return (f) => headerValues(f.headers[name]).some(match)
    }
    case 'query-string': {
      const pairs = condition.values.map((v) => ({
        key: v.key === undefined || v.key === '' ? undefined : anyOf([v.key], true),
        value: anyOf([v.value], true)
      }))
      return (f) => {
        const query = parseQuery(f.query)
        return pairs.some((p) => query.some(([k, v]) => (p.key === undefined || p.key(k)) && p.value(v)))
      }
    }
    case 'source-ip': {
      const cidrs = condition.values.map(parseCidr).filter((c): c is Cidr => c !== undefined)
      return inCidrs(cidrs)
    }
  }
}

export function compileRule(rule: RuleConfig): CompiledRule {
  const tests = rule.conditions.map(compileCondition)
  return {
    key: rule.key,
    priority: rule.priority,
    actions: rule.actions,
    matches: (facts) => {
      for (const t of tests) if (!t(facts)) return false
      return true
    }
  }
}

/** A listener's rule table: the first rule by priority whose conditions match, else the default actions. */
export class RuleTable {
  readonly #rules: CompiledRule[]
  readonly #defaultActions: readonly Action[]

  constructor(rules: readonly RuleConfig[], defaultActions: readonly Action[]) {
    this.#rules = rules.map(compileRule).sort((a, b) => a.priority - b.priority)
    this.#defaultActions = defaultActions
  }

  /** No rules: the default actions for every request (callers may skip gathering facts). */
  get empty(): boolean {
    return this.#rules.length === 0
  }

  get defaultActions(): readonly Action[] {
    return this.#defaultActions
  }

  actionsFor(facts: RequestFacts): { actions: readonly Action[]; rule: string | undefined } {
    for (const r of this.#rules) if (r.matches(facts)) return { actions: r.actions, rule: r.key }
    return { actions: this.#defaultActions, rule: undefined }
  }
}
