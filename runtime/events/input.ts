// What a target receives, as EventBridge builds it: the whole event, or
// `Input` (constant JSON text), or `InputPath` (the part of the event a
// JSONPath selects), or `InputTransformer` (values picked by InputPathsMap
// put into InputTemplate's <placeholders>). Checked at PutTargets, applied
// when an event matches.

import type { CloudEvent } from './bus.js'
import type { InputTransformer, Target } from './model.js'
import { invalid } from './validation.js'

type Step = string | number

/** `$`, `$.a.b`, `$.a[0]`, `$['a-b']`: the steps, or undefined when it is not such a path. */
function parsePath(path: string): Step[] | undefined {
  if (!path.startsWith('$')) return undefined
  const steps: Step[] = []
  const re = /\.([A-Za-z0-9_\-:@$]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y
  let at = 1
  while (at < path.length) {
    re.lastIndex = at
    const m = re.exec(path)
    if (m === null) return undefined
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])))
    at = re.lastIndex
  }
  return steps
}

function select(value: unknown, steps: Step[]): unknown {
  let at = value
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as Record<string | number, unknown>)[step]
  }
  return at
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
      throw invalid(`${field}.InputPath`, `must be a JSONPath of at most 256 characters ($.detail, $.detail.items[0]), got ${JSON.stringify(target.InputPath)}`, 256)
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

function transform(tr: InputTransformer, event: CloudEvent, rule: { name: string; arn: string }): string {
  const values = new Map<string, unknown>()
  for (const [name, path] of Object.entries(tr.InputPathsMap ?? {})) values.set(name, select(event, parsePath(path)!))
  values.set('aws.events.rule-arn', rule.arn)
  values.set('aws.events.rule-name', rule.name)
  values.set('aws.events.event.ingestion-time', event.time)
  values.set('aws.events.event', event)
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

/** The body a target gets for an event. */
export function targetInput(target: Target, event: CloudEvent, rule: { name: string; arn: string }): string {
  if (target.Input !== undefined) return target.Input
  if (target.InputPath !== undefined) {
    const value = select(event, parsePath(target.InputPath)!)
    return value === undefined ? 'null' : JSON.stringify(value)
  }
  if (target.InputTransformer !== undefined) return transform(target.InputTransformer, event, rule)
  return JSON.stringify(event)
}
