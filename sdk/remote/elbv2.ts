// Elastic Load Balancing v2 over the wire: ELBv2's own API (awsQuery,
// version 2015-12-01, signing name elasticloadbalancing), so a remote call is
// the call the official client and `aws elbv2` make — authorized as
// elasticloadbalancing:<Op>, audited with that eventSource. The XML answer is
// read by the operation's output shape (runtime/api/tables/elbv2-shapes.ts):
// ELBv2 has members of one name and two types (a Listener's Port is a
// number, a RedirectConfig's a string), so a reader by name alone cannot do.
// Timestamps come back as the control plane gives them: epoch ms.

import { ELBV2_OPERATION_NAMES, type Elbv2Operations } from '../../runtime/elb/model.js'
import { ELBV2_OUTPUTS } from '../../runtime/api/tables/elbv2-shapes.js'
import { ELBV2_VERSION } from '../../runtime/api/tables/elbv2.js'
import { isList, isMap, type Shape } from '../../runtime/api/query-shapes.js'
import { encodeQuery } from './query.js'
import { child, parseXml, type XmlElement } from './xml.js'
import type { WireClient } from './wire.js'

/** An element read by its shape; members the shape does not list are strings (or structures, when they have children). */
export function readShaped(element: XmlElement, shape: Shape | undefined): unknown {
  if (shape === undefined) {
    if (element.children.length === 0) return element.text
    return Object.fromEntries(element.children.map((c) => [c.name, readShaped(c, undefined)]))
  }
  if (shape === 's') return element.text
  if (shape === 'n') return Number(element.text)
  if (shape === 'b') return element.text.trim() === 'true'
  if (shape === 't') return Date.parse(element.text.trim())
  if (isList(shape)) return element.children.filter((c) => c.name === 'member').map((m) => readShaped(m, shape.list))
  if (isMap(shape)) {
    const out: Record<string, unknown> = {}
    for (const entry of element.children.filter((c) => c.name === 'entry')) {
      const key = child(entry, 'key')
      const value = child(entry, 'value')
      if (key !== undefined) out[key.text] = value === undefined ? undefined : readShaped(value, shape.map)
    }
    return out
  }
  const out: Record<string, unknown> = {}
  for (const c of element.children) out[c.name] = readShaped(c, shape.members[c.name])
  return out
}

/** `<OpResponse><OpResult>…` → the result's members by the operation's output shape (`{}` when there is none). */
export function decodeElbv2Response(action: string, xml: string): unknown {
  const result = child(parseXml(xml), `${action}Result`)
  if (result === undefined) return {}
  return readShaped(result, ELBV2_OUTPUTS[action] ?? undefined)
}

export function remoteElbv2(wire: WireClient): Elbv2Operations {
  const service: Record<string, (input?: unknown) => Promise<unknown>> = {}
  for (const method of ELBV2_OPERATION_NAMES) {
    const action = method[0].toUpperCase() + method.slice(1)
    service[method] = async (input) => {
      const body = await wire.signed({
        service: 'elasticloadbalancing', path: '/', body: encodeQuery(action, ELBV2_VERSION, input ?? {}), family: 'stratus',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
      })
      return decodeElbv2Response(action, body.toString('utf8'))
    }
  }
  return service as unknown as Elbv2Operations
}
