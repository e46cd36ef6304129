// What a target receives, as EventBridge builds it: the whole event, or
// `Input` (constant JSON text), or `InputPath` (the part of the event a
// JSONPath selects), or `InputTransformer` (values picked by InputPathsMap
// put into InputTemplate's <placeholders>). Checked at PutTargets, applied
// when an event matches. Paths may hold wildcards (`$.detail.items[*].id`,
// `$.detail.*`): the value is then the list of what they select.

import type { CloudEvent } from './bus.js'
import type { InputTransformer, Target } from './model.js'
import { invalid } from './validation.js'

/** A wildcard step (`[*]` or `.*`): every element of an array, every value of an object. */
const ANY = Symbol('any')
type Step = string | number | typeof ANY

/** `$`, `$.a.b`, `$.a[0]`, `$['a-b']`, `$.a[*].b`, `$.a.*`: the steps, or undefined when it is not such a path. */
export function parsePath(path: string): Step[] | undefined {
  if (!path.startsWith('$')) return undefined
  const steps: Step[] = []
  const re = /\.([A-Za-z0-9_\-:@$]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]|(\.\*|\[\*\])/y
  let at = 1
  while (at < path.length) {
    re.lastIndex = at
    const m = re.exec(path)
    if (m === null) return undefined
    steps.push(m[5] !== undefined ? ANY : m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])))
    at = re.lastIndex
  }
  return steps
}

function all(value: unknown, steps: Step[], from: number, out: unknown[]): void {
  if (from === steps.length) {
    if (value !== undefined) out.push(value)
    return
  }
  if (value === null || typeof value !== 'object') return
  const step = steps[from]
  if (step === ANY) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) all(v, steps, from + 1, out)
    return
  }
  all((value as Record<string | number, unknown>)[step], steps, from + 1, out)
}

function select(value: unknown, steps: Step[]): unknown {
  if (steps.includes(ANY)) {
    const out: unknown[] = []
    all(value, steps, 0, out)
    return out
  }
  let at = value
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as Record<string | number, unknown>)[step as string | number]
  }
  return at
}

/** The value a JSONPath selects in value (a list when it has wildcards), undefined when the path is not one. */
export function selectPath(value: unknown, path: string): unknown {
  const steps = parsePath(path)
  return steps === undefined ? undefined : select(value, steps)
}

const RESERVED = ['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json']

/** Refuses what EventBridge refuses in a target's input members (at PutTargets). */
export function checkInput(target: Target, field: string): void {
  const given = [target.Input, target.InputPath, target.InputTransformer].filter((v) => v !== undefined && v !== null).length
  if (given > 1) throw invalid(field, 'give at most one of Input, InputPath and InputTransformer')
  if (target.Input !== undefined) {
    if (typeof target.Input !== 'string' || target.Input.length > 8192) throw invalid(`${field}.Input`, 'must be JSON text of at most 8192 characters', 8192)
    try { JSON.parse(target.Input) } catch { throw invalid(`${field}.Input`, 'must be valid JSON text') }
  }
  if (target.InputPath !== undefined) {
    if (typeof target.InputPath !== 'string' || target.InputPath.length > 256 || parsePath(target.InputPath) === undefined) {
      throw invalid(`${field}.InputPath`, `must be a JSONPath of at most 256 characters ($.detail, $.detail.items[0], $.detail.items[*].id), got ${JSON.stringify(target.InputPath)}`, 256)
    }
  }
  const tr = target.InputTransformer
  if (tr !== undefined) {
    if (typeof tr.InputTemplate !== 'string' || tr.InputTemplate.length === 0 || tr.InputTemplate.length > 8192) {
      throw invalid(`${field}.InputTransformer.InputTemplate`, 'must be text of 1 to 8192 characters', 8192)
    }
    const map = tr.InputPathsMap ?? {}
    if (typeof map !== 'object' || Object.keys(map).length > 100) throw invalid(`${field}.InputTransformer.InputPathsMap`, 'must map at most 100 names to JSONPaths', 100)
    for (const [name, path] of Object.entries(map)) {
      const at = `${field}.InputTransformer.InputPathsMap.${name}`
      if (!/^[A-Za-z0-9_\-]+$/.test(name)) throw invalid(at, 'names are [A-Za-z0-9_-]+')
      if (RESERVED.includes(name)) throw invalid(at, `${name} is reserved by EventBridge`)
      if (typeof path !== 'string' || path.length > 256 || parsePath(path) === undefined) throw invalid(at, `must be a JSONPath, got ${JSON.stringify(path)}`, 256)
    }
  }
}

/** Is offset inside a JSON string literal of text (counting unescaped quotes before it)? */
function insideQuotes(text: string, offset: number): boolean {
  let inside = false
  for (let i = 0; i < offset; i++) {
    const c = text[i]
    if (c === '\\' && inside) { i++; continue }
    if (c === '"') inside = !inside
  }
  return inside
}

/** An ISO 8601 time as the envelope's `time` is written (seconds, Z). */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function transform(tr: InputTransformer, event: CloudEvent, rule: { name: string; arn: string }, ingestedAt: number | undefined): string {
  const values = new Map<string, unknown>()
  for (const [name, path] of Object.entries(tr.InputPathsMap ?? {})) values.set(name, select(event, parsePath(path)!))
  values.set('aws.events.rule-arn', rule.arn)
  values.set('aws.events.rule-name', rule.name)
  // When the event was received (PutEvents' Time may say anything); an engine's own event is received when it happens.
  values.set('aws.events.event.ingestion-time', ingestedAt !== undefined ? isoSeconds(ingestedAt) : event.time)
  // As EventBridge: <aws.events.event> is the event without its detail, <aws.events.event.json> the whole event.
  const { detail: _detail, ...withoutDetail } = event
  values.set('aws.events.event', withoutDetail)
  values.set('aws.events.event.json', event)
  const template = tr.InputTemplate
  return template.replace(/<([A-Za-z0-9_\-.]+)>/g, (whole, name: string, offset: number) => {
    if (!values.has(name)) return whole
    const value = values.get(name)
    if (insideQuotes(template, offset)) {
      // Inside a JSON string: the value's text, escaped as string content.
      const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value)
      return JSON.stringify(text).slice(1, -1)
    }
    return value === undefined ? 'null' : JSON.stringify(value)
  })
}

/** The body a target gets for an event (ingestedAt: when EventBridge received it, engine clock ms). */
export function targetInput(target: Target, event: CloudEvent, rule: { name: string; arn: string }, ingestedAt?: number): string {
  if (target.Input !== undefined) return target.Input
  if (target.InputPath !== undefined) {
    const value = select(event, parsePath(target.InputPath)!)
    return value === undefined ? 'null' : JSON.stringify(value)
  }
  if (target.InputTransformer !== undefined) return transform(target.InputTransformer, event, rule, ingestedAt)
  return JSON.stringify(event)
}
