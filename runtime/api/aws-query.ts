// The awsQuery protocol (IAM, STS, ELBv2): form-encoded requests
// (`Action=…&Version=…&Tags.member.1.Key=…&Attributes.entry.1.key=…`) and XML
// answers (`<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`). Inputs
// are decoded without a shape: every value is a string, `member.N` (and bare
// `.N`) make lists, `entry.N.key/value` make maps, other dots nest structures.
// Outputs: arrays become `<member>` lists; a map must be marked with
// `xmlMap()` (a plain object is a structure).

import type { WireError } from './operation.js'

/** A record to be written as an awsQuery map (`<entry><key>…</key><value>…</value></entry>`). */
export class XmlMap {
  constructor(readonly entries: Readonly<Record<string, unknown>>) {}
}

export function xmlMap(entries: Readonly<Record<string, unknown>>): XmlMap {
  return new XmlMap(entries)
}

/**
 * An output with no members that is still written as `<OpResult/>`: services
 * whose every operation has an output shape (ELBv2: `<RegisterTargetsResult/>`;
 * botocore, the aws CLI, requires the element). A plain `{}` writes none (IAM).
 */
export const EMPTY_RESULT: Readonly<Record<string, never>> = Object.freeze({})

export interface QueryRequest {
  readonly action: string | undefined
  readonly version: string | undefined
  readonly input: Record<string, unknown>
}

/** Decodes a form-encoded body (or query string) into Action, Version and the input members. */
export function decodeQuery(text: string): QueryRequest {
  const params = new URLSearchParams(text)
  let action: string | undefined
  let version: string | undefined
  const tree: Record<string, unknown> = {}
  for (const [key, value] of params) {
    if (key === 'Action') action = value
    else if (key === 'Version') version = value
    else setPath(tree, key.split('.'), value)
  }
  return { action, version, input: normalise(tree) as Record<string, unknown> }
}

function setPath(node: Record<string, unknown>, path: string[], value: string): void {
  let at = node
  for (let i = 0; i < path.length - 1; i++) {
    const next = at[path[i]]
    if (typeof next === 'object' && next !== null) at = next as Record<string, unknown>
    else at = (at[path[i]] = {}) as Record<string, unknown>
  }
  at[path[path.length - 1]] = value
}

const INDEX = /^[1-9]\d*$/

/** member/entry/numeric-keyed nodes → arrays and maps, bottom up. */
function normalise(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node
  const record = node as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length === 1 && keys[0] === 'member' && typeof record.member === 'object') return listOf(record.member as Record<string, unknown>)
  if (keys.length === 1 && keys[0] === 'entry' && typeof record.entry === 'object') {
    const map: Record<string, unknown> = {}
    for (const e of listOf(record.entry as Record<string, unknown>)) {
      const entry = e as Record<string, unknown>
      if (entry !== undefined && typeof entry.key === 'string') map[entry.key] = entry.value
    }
    return map
  }
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) return listOf(record)
  for (const k of keys) record[k] = normalise(record[k])
  return record
}

function listOf(indexed: Record<string, unknown>): unknown[] {
  return Object.keys(indexed).filter((k) => INDEX.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => normalise(indexed[k]))
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;')
}

function writeValue(name: string, value: unknown, out: string[]): void {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) {
    out.push(`<${name}>`)
    for (const v of value) writeValue('member', v, out)
    out.push(`</${name}>`)
  } else if (value instanceof Date) {
    out.push(`<${name}>${value.toISOString()}</${name}>`)
  } else if (value instanceof Uint8Array) {
    out.push(`<${name}>${Buffer.from(value).toString('base64')}</${name}>`)
  } else if (value instanceof XmlMap) {
    out.push(`<${name}>`)
    for (const key in value.entries) {
      out.push('<entry><key>', escapeXml(key), '</key>')
      writeValue('value', value.entries[key], out)
      out.push('</entry>')
    }
    out.push(`</${name}>`)
  } else if (typeof value === 'object') {
    out.push(`<${name}>`)
    for (const key in value as Record<string, unknown>) writeValue(key, (value as Record<string, unknown>)[key], out)
    out.push(`</${name}>`)
  } else {
    out.push(`<${name}>${escapeXml(String(value))}</${name}>`)
  }
}

/** `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata><RequestId>…` */
export function encodeQueryResponse(operation: string, xmlns: string, output: unknown, requestId: string): string {
  const out: string[] = [`<${operation}Response xmlns="${escapeXml(xmlns)}">`]
  if (output === EMPTY_RESULT) out.push(`<${operation}Result/>`)
  else if (output !== undefined && output !== null && typeof output === 'object' && Object.keys(output).length > 0) {
    writeValue(`${operation}Result`, output, out)
  }
  out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`)
  return out.join('')
}

/** `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…` */
export function encodeQueryError(error: WireError, xmlns: string | undefined, requestId: string): string {
  const fault = error.fault ?? (error.status >= 500 ? 'Receiver' : 'Sender')
  const ns = xmlns === undefined ? '' : ` xmlns="${escapeXml(xmlns)}"`
  return `<ErrorResponse${ns}><Error><Type>${fault}</Type><Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
}
