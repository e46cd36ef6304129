// An awsQuery client (IAM, API version 2010-05-08): the input form-encoded
// (`Action=CreateUser&Version=…&Tags.member.1.Key=…`), the XML answer read
// back into the service's shapes. XML carries no types, so the reader is told
// the shape: which members are lists (`<member>` children; an empty list is
// an empty element), timestamps (ISO 8601 → Date), numbers and booleans;
// everything else is a string, an element with children a structure.

import type { ErrorFamily } from './errors.js'
import type { WireClient } from './wire.js'
import { child, parseXml, type XmlElement } from './xml.js'

export interface QueryShape {
  readonly lists: ReadonlySet<string>
  readonly timestamps: ReadonlySet<string>
  readonly numbers: ReadonlySet<string>
  readonly booleans: ReadonlySet<string>
}

export interface QueryService {
  /** SigV4 signing name. */
  readonly service: string
  readonly version: string
  readonly shape: QueryShape
  readonly family: ErrorFamily
}

/** The form members of an input: lists as `name.member.N`, structures as `name.member`. */
export function encodeQuery(action: string, version: string, input: unknown): string {
  const form = new URLSearchParams({ Action: action, Version: version })
  const put = (prefix: string, value: unknown): void => {
    if (value === undefined || value === null) return
    if (Array.isArray(value)) {
      if (value.length === 0) form.append(prefix, '')
      value.forEach((item, i) => put(`${prefix}.member.${i + 1}`, item))
    } else if (value instanceof Date) {
      form.append(prefix, value.toISOString())
    } else if (typeof value === 'object') {
      for (const [key, member] of Object.entries(value as Record<string, unknown>)) put(prefix === '' ? key : `${prefix}.${key}`, member)
    } else {
      form.append(prefix, String(value))
    }
  }
  put('', input)
  return form.toString()
}

function valueOf(element: XmlElement, shape: QueryShape): unknown {
  const name = element.name
  if (shape.lists.has(name)) return element.children.filter((c) => c.name === 'member').map((m) => valueOf(m, shape))
  if (element.children.length > 0) {
    const record: Record<string, unknown> = {}
    for (const c of element.children) record[c.name] = valueOf(c, shape)
    return record
  }
  if (shape.timestamps.has(name)) return new Date(element.text)
  if (shape.numbers.has(name)) return Number(element.text)
  if (shape.booleans.has(name)) return element.text === 'true'
  return element.text
}

/** `<ActionResponse><ActionResult>…</ActionResult>…` → the result's members (`{}` when there is no result). */
export function decodeQueryResponse(action: string, xml: string, shape: QueryShape): unknown {
  const document = parseXml(xml)
  const result = child(document, `${action}Result`)
  if (result === undefined) return {}
  const members = valueOf(result, shape)
  return typeof members === 'object' && members !== null ? members : {}
}

/** One awsQuery call: signed `POST /`, form body; resolves with the result, rejects with the embedded SDK's error. */
export async function queryCall<O>(wire: WireClient, service: QueryService, action: string, input: unknown): Promise<O> {
  const body = await wire.signed({
    service: service.service, path: '/', body: encodeQuery(action, service.version, input), family: service.family,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
  })
  return decodeQueryResponse(action, body.toString('utf8'), service.shape) as O
}
