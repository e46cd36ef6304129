// ECS's cluster query language: `subject operator [argument]` expressions,
// combined with and (&&), or (||), not (!) and parentheses. Used by memberOf
// placement constraints (compiled per node by place.ts) and by
// ListContainerInstances' `filter` (evaluated per instance).
//
//   subjects   agentConnected, agentVersion, attribute:<name>, ec2InstanceId,
//              registeredAt, runningTasksCount, task:group
//   operators  == != > >= < <= exists !exists in !in =~ !~
//              (word forms too: equals, not_equals, not_exists, not_in, matches, not_matches)
//   arguments  a literal (bare, or 'quoted' / "quoted"), or for in / !in a list
//              [a, b, …]; =~ / !~ take a wildcard pattern matched against the
//              whole value: `*` is any run of characters (`.*`, the spelling the
//              ECS docs show, reads the same), everything else is literal, so
//              `t2.*` matches t2.micro. It is never compiled as a regular
//              expression: a user's pattern cannot backtrack (`(a|a)*b` is the
//              literal text), and matching is linear in the segments found.
//
// Precedence: not binds tightest, then and, then or. A negated operator is the
// negation of its positive one (`task:group != web`: no task of group web runs
// there; `attribute:x != a`: the attribute is not a, or is absent).
//
// A bad expression is refused with InvalidParameterException naming the field
// and the character where it broke; nothing is evaluated.

import { StratusError } from '../../errors.js'

/** ECS's limit on an expression's length. */
export const MAX_EXPRESSION_LENGTH = 2000

/** Limit on a `=~` / `!~` pattern's length (ECS attribute values are at most 128 characters). */
export const MAX_PATTERN_LENGTH = 255

export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~'

export type SubjectKind = 'agentConnected' | 'agentVersion' | 'attribute' | 'ec2InstanceId' | 'registeredAt' | 'runningTasksCount' | 'task:group'

export type Expression =
  | { kind: 'and' | 'or'; left: Expression; right: Expression }
  | { kind: 'not'; operand: Expression }
  | Comparison

export interface Comparison {
  kind: 'compare'
  subject: SubjectKind
  /** For attribute subjects: the attribute's name (`ecs.instance-type`). */
  attribute?: string
  operator: Operator
  /** The argument(s) as written (none for exists / !exists). */
  values: string[]
  /** Parsed forms: numbers (counts, timestamps in ms), version parts, or a wildcard pattern. */
  numbers?: number[]
  versions?: number[][]
  pattern?: Wildcard
}

/** What an expression can ask of one container instance. */
export interface InstanceView {
  ec2InstanceId: string
  agentConnected: boolean
  /** The container agent's version (`1.80.0`). */
  agentVersion: string
  /** Registration time, ms since the epoch. */
  registeredAt: number
  runningTasksCount: number
  /** Every attribute by name: ecs.availability-zone, ecs.instance-type, ecs.os-type, ecs.ami-id, custom ones. */
  attributes: Readonly<Record<string, string>>
  /** Groups of the tasks running on it (`service:web`, `family:x`, a RunTask group). */
  taskGroups: readonly string[]
}

const VALID: Record<SubjectKind, readonly Operator[]> = {
  agentConnected: ['==', '!=', 'in', '!in', '=~', '!~'],
  agentVersion: ['==', '!=', '>', '>=', '<', '<='],
  attribute: ['==', '!=', 'exists', '!exists', 'in', '!in', '=~', '!~'],
  ec2InstanceId: ['==', '!=', 'in', '!in', '=~', '!~'],
  registeredAt: ['==', '!=', '>', '>=', '<', '<='],
  runningTasksCount: ['==', '!=', '>', '>=', '<', '<='],
  'task:group': ['==', '!=', 'in', '!in', '=~', '!~']
}

const WORD_OPERATORS: Record<string, Operator> = {
  equals: '==', not_equals: '!=', greater_than: '>', greater_than_equal: '>=', less_than: '<', less_than_equal: '<=',
  exists: 'exists', not_exists: '!exists', '!exists': '!exists', in: 'in', not_in: '!in', '!in': '!in', matches: '=~', not_matches: '!~'
}

function refuse(field: string, message: string, limit?: number): never {
  throw new StratusError('InvalidArgument', 'InvalidParameterException', `${field}: ${message}`, { field, ...(limit === undefined ? {} : { limit }) })
}

// ---- tokens -------------------------------------------------------------------------

type TokenKind = 'word' | 'string' | 'op' | '(' | ')' | '[' | ']' | ',' | 'end'

interface Token {
  kind: TokenKind
  text: string
  at: number
}

const SYMBOLS = ['==', '!=', '>=', '<=', '=~', '!~', '&&', '||', '>', '<', '!']
const WORD_END = /[\s()[\],'"=!<>&|~]/

function tokenize(text: string, field: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if ('()[],'.includes(c)) {
      out.push({ kind: c as TokenKind, text: c, at: i })
      i++
      continue
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1)
      if (end < 0) refuse(field, `unterminated string starting at character ${i + 1}`)
      out.push({ kind: 'string', text: text.slice(i + 1, end), at: i })
      i = end + 1
      continue
    }
    // `!in` and `!exists` are operators; a lone `!` is not.
    const bang = /^!(in|exists)(?![^\s()[\],'"=!<>&|~])/.exec(text.slice(i))
    if (bang !== null) {
      out.push({ kind: 'word', text: bang[0], at: i })
      i += bang[0].length
      continue
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i))
    if (symbol !== undefined) {
      out.push({ kind: 'op', text: symbol, at: i })
      i += symbol.length
      continue
    }
    let j = i
    while (j < text.length && !WORD_END.test(text[j])) j++
    if (j === i) refuse(field, `unexpected '${c}' at character ${i + 1}`)
    out.push({ kind: 'word', text: text.slice(i, j), at: i })
    i = j
  }
  out.push({ kind: 'end', text: '', at: text.length })
  return out
}

// ---- parser -------------------------------------------------------------------------

class Parser {
  #i = 0
  constructor(readonly tokens: Token[], readonly field: string) {}

  get peek(): Token {
    return this.tokens[this.#i]
  }

  next(): Token {
    return this.tokens[this.#i++]
  }

  fail(token: Token, expected: string): never {
    const found = token.kind === 'end' ? 'the end of the expression' : `'${token.text}'`
    refuse(this.field, `invalid expression at character ${token.at + 1}: expected ${expected}, found ${found}`)
  }

  isWord(word: string): boolean {
    return this.peek.kind === 'word' && this.peek.text.toLowerCase() === word
  }

  expression(): Expression {
    let left = this.conjunction()
    while (this.isWord('or') || (this.peek.kind === 'op' && this.peek.text === '||')) {
      this.next()
      left = { kind: 'or', left, right: this.conjunction() }
    }
    return left
  }

  conjunction(): Expression {
    let left = this.unary()
    while (this.isWord('and') || (this.peek.kind === 'op' && this.peek.text === '&&')) {
      this.next()
      left = { kind: 'and', left, right: this.unary() }
    }
    return left
  }

  unary(): Expression {
    if (this.isWord('not') || (this.peek.kind === 'op' && this.peek.text === '!')) {
      this.next()
      return { kind: 'not', operand: this.unary() }
    }
    if (this.peek.kind === '(') {
      this.next()
      const inner = this.expression()
      const close = this.next()
      if (close.kind !== ')') this.fail(close, "')'")
      return inner
    }
    return this.comparison()
  }

  comparison(): Comparison {
    const token = this.next()
    if (token.kind !== 'word') this.fail(token, 'a subject (attribute:<name>, task:group, ec2InstanceId, …)')
    const { subject, attribute } = subjectOf(token, this)
    const opToken = this.next()
    const operator = opToken.kind === 'op' ? (SYMBOLS.includes(opToken.text) && !['&&', '||', '!'].includes(opToken.text) ? opToken.text as Operator : undefined)
      : opToken.kind === 'word' ? WORD_OPERATORS[opToken.text.toLowerCase()] : undefined
    if (operator === undefined) this.fail(opToken, `an operator after ${token.text}`)
    if (!VALID[subject].includes(operator)) {
      refuse(this.field, `invalid expression at character ${opToken.at + 1}: ${token.text} takes ${VALID[subject].join(' ')}, not ${opToken.text}`)
    }
    const c: Comparison = { kind: 'compare', subject, ...(attribute !== undefined ? { attribute } : {}), operator, values: [] }
    if (operator === 'exists' || operator === '!exists') return c
    if (operator === 'in' || operator === '!in') {
      const open = this.next()
      if (open.kind !== '[' && open.kind !== '(') this.fail(open, `a list [a, b, …] after ${opToken.text}`)
      const close = open.kind === '[' ? ']' : ')'
      for (;;) {
        c.values.push(this.literal())
        const sep = this.next()
        if (sep.kind === close) break
        if (sep.kind !== ',') this.fail(sep, `',' or '${close}'`)
      }
    } else {
      c.values.push(this.literal())
    }
    typeArguments(c, this.field, opToken.at)
    return c
  }

  literal(): string {
    const token = this.next()
    if (token.kind !== 'word' && token.kind !== 'string') this.fail(token, 'a value')
    return token.text
  }
}

function subjectOf(token: Token, p: Parser): { subject: SubjectKind; attribute?: string } {
  const text = token.text
  if (text.startsWith('attribute:')) {
    const name = text.slice('attribute:'.length)
    if (name.length === 0) p.fail(token, 'an attribute name after attribute:')
    return { subject: 'attribute', attribute: name }
  }
  if (text === 'task:group') return { subject: 'task:group' }
  if (text in VALID && text !== 'attribute') return { subject: text as SubjectKind }
  refuse(p.field, `invalid expression at character ${token.at + 1}: unknown subject ${text} (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group)`)
}

/** A wildcard pattern split at its stars: the value must start with the first
 *  piece, end with the last, and hold the middle ones in order between. */
export interface Wildcard { pieces: string[] }

/** Parses a `=~` argument: `*` (or `.*`) is any run of characters, the rest literal. */
export function wildcard(text: string): Wildcard {
  return { pieces: text.replaceAll('.*', '*').split('*') }
}

/** Whole-value wildcard match. Leftmost placement of each middle piece is
 *  optimal for star-only patterns, so there is no backtracking: at most one
 *  indexOf per piece (O(value × pattern) in the worst case, never exponential). */
export function matchesWildcard(w: Wildcard, value: string): boolean {
  const { pieces } = w
  if (pieces.length === 1) return value === pieces[0]
  const first = pieces[0]
  const last = pieces[pieces.length - 1]
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false
  let at = first.length
  const end = value.length - last.length
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]
    if (piece.length === 0) continue
    const found = value.indexOf(piece, at)
    if (found < 0 || found + piece.length > end) return false
    at = found + piece.length
  }
  return true
}

const DATE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?)?$/

/** Checks and parses the arguments a subject needs (numbers, dates, versions, patterns). */
function typeArguments(c: Comparison, field: string, at: number): void {
  const bad: (what: string, value: string) => never = (what, value) => refuse(field, `invalid expression at character ${at + 1}: ${what}, got ${JSON.stringify(value)}`)
  if (c.operator === '=~' || c.operator === '!~') {
    const text = c.values[0]
    if (text.length > MAX_PATTERN_LENGTH) refuse(field, `invalid expression at character ${at + 1}: the pattern of a match is ${text.length} characters; the limit is ${MAX_PATTERN_LENGTH}`, MAX_PATTERN_LENGTH)
    c.pattern = wildcard(text)
    return
  }
  switch (c.subject) {
    case 'runningTasksCount':
      c.numbers = c.values.map((v) => (/^\d+$/.test(v) ? Number(v) : bad('runningTasksCount compares with a whole number', v)))
      return
    case 'registeredAt':
      c.numbers = c.values.map((v) => {
        const m = DATE.exec(v)
        if (m === null) bad('registeredAt takes a date like 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18', v)
        const ms = Date.parse(m[2] === undefined ? `${m[1]}T00:00:00Z` : m[3] === undefined ? `${v}Z` : v)
        return Number.isNaN(ms) ? bad('registeredAt takes a valid date', v) : ms
      })
      return
    case 'agentVersion':
      c.versions = c.values.map((v) => (/^\d+(\.\d+)*$/.test(v) ? v.split('.').map(Number) : bad('agentVersion compares with a version like 1.80.0', v)))
      return
    case 'agentConnected':
      for (const v of c.values) if (v !== 'true' && v !== 'false') bad('agentConnected compares with true or false', v)
  }
}

/** Parses an expression; `field` names it in errors (`placementConstraints[0].expression`, `filter`). */
export function parseExpression(text: unknown, field: string): Expression {
  if (typeof text !== 'string' || text.trim().length === 0) refuse(field, 'must be a non-empty cluster query language expression')
  if (text.length > MAX_EXPRESSION_LENGTH) refuse(field, `is ${text.length} characters; the limit is ${MAX_EXPRESSION_LENGTH}`, MAX_EXPRESSION_LENGTH)
  const p = new Parser(tokenize(text, field), field)
  const e = p.expression()
  if (p.peek.kind !== 'end') p.fail(p.peek, "'and', 'or' or the end of the expression")
  return e
}

// ---- evaluation -----------------------------------------------------------------------

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

function ordered(op: Operator, d: number): boolean {
  switch (op) {
    case '==': return d === 0
    case '>': return d > 0
    case '>=': return d >= 0
    case '<': return d < 0
    default: return d <= 0 // '<='
  }
}

/** The positive form of a comparison (negated operators are its negation). */
function holds(c: Comparison, op: Operator, view: InstanceView): boolean {
  if (c.subject === 'runningTasksCount' || c.subject === 'registeredAt') {
    const x = c.subject === 'runningTasksCount' ? view.runningTasksCount : view.registeredAt
    return ordered(op, x - c.numbers![0])
  }
  if (c.subject === 'agentVersion') {
    const mine = /^\d+(\.\d+)*$/.test(view.agentVersion) ? view.agentVersion.split('.').map(Number) : []
    return ordered(op, compareVersions(mine, c.versions![0]))
  }
  const values: readonly string[] =
    c.subject === 'task:group' ? view.taskGroups
      : c.subject === 'attribute' ? (view.attributes[c.attribute!] === undefined ? [] : [view.attributes[c.attribute!]])
        : c.subject === 'ec2InstanceId' ? [view.ec2InstanceId]
          : [String(view.agentConnected)]
  switch (op) {
    case 'exists': return values.length > 0
    case 'in': return values.some((v) => c.values.includes(v))
    case '=~': return values.some((v) => matchesWildcard(c.pattern!, v))
    default: return values.some((v) => v === c.values[0]) // '=='
  }
}

const NEGATED: Partial<Record<Operator, Operator>> = { '!=': '==', '!exists': 'exists', '!in': 'in', '!~': '=~' }

/** Does the instance satisfy the expression? */
export function evaluate(e: Expression, view: InstanceView): boolean {
  switch (e.kind) {
    case 'and': return evaluate(e.left, view) && evaluate(e.right, view)
    case 'or': return evaluate(e.left, view) || evaluate(e.right, view)
    case 'not': return !evaluate(e.operand, view)
    default: {
      const positive = NEGATED[e.operator]
      return positive === undefined ? holds(e, e.operator, view) : !holds(e, positive, view)
    }
  }
}
