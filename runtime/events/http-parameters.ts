// HTTP parameters, as EventBridge takes them: a connection's
// (InvocationHttpParameters, sent with every call; OAuthHttpParameters, sent
// with the token request) checked at CreateConnection with the API
// reference's limits, and a target's (HttpParameters: path parameter values
// for the endpoint's `*`s, headers, query string) checked at PutTargets and
// resolved when an event is matched — a value that is a JSONPath
// (`$.detail.jobId`) takes that value of the event — so every attempt of a
// delivery is sent with what was planned, whatever happens to the target
// afterwards.

import type { CloudEvent } from './bus.js'
import { parsePath, selectPath } from './input.js'
import type { ConnectionHttpParameters, ResolvedHttp, Target } from './model.js'
import { invalid } from './validation.js'

/** Per list of a connection's parameters, and per key and value (the API reference's ConnectionHttpParameters). */
export const HTTP_LIMITS = { entries: 100, keyLength: 512, valueLength: 512 } as const

/** RFC 9110 token: what an HTTP header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Printable ASCII, spaces and tabs inside: no CR, LF or other control characters (they would split a header). */
const HEADER_VALUE = /^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$/
const QUERY_KEY = /^[^\x00-\x1F\x7F]+$/
const QUERY_VALUE = /^[^\x00-\x09\x0B\x0C\x0E-\x1F\x7F]+$/

type Kind = 'header' | 'query' | 'body'

function checkKey(kind: Kind, key: unknown, field: string): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > HTTP_LIMITS.keyLength) throw invalid(field, `must be 1 to ${HTTP_LIMITS.keyLength} characters`, HTTP_LIMITS.keyLength)
  if (kind === 'header' && !HEADER_NAME.test(key)) throw invalid(field, `${JSON.stringify(key)} is not an HTTP header name`, '[!#$%&\'*+-.^_`|~0-9A-Za-z]+')
  if (kind === 'query' && !QUERY_KEY.test(key)) throw invalid(field, 'must hold no control characters')
  return key
}

function checkValue(kind: Kind, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > HTTP_LIMITS.valueLength) throw invalid(field, `must be text of at most ${HTTP_LIMITS.valueLength} characters`, HTTP_LIMITS.valueLength)
  if (kind === 'header' && !HEADER_VALUE.test(value)) throw invalid(field, 'must be printable ASCII, without CR, LF or other control characters')
  if (kind === 'query' && !QUERY_VALUE.test(value)) throw invalid(field, 'must hold no control characters')
  return value
}

/** A connection's InvocationHttpParameters or OAuthHttpParameters: a clean copy, or a ValidationException naming the member. */
export function checkConnectionParameters(value: unknown, field: string): ConnectionHttpParameters {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'must be an object with HeaderParameters, QueryStringParameters and BodyParameters lists')
  const out: ConnectionHttpParameters = {}
  const lists: Array<[keyof ConnectionHttpParameters, Kind]> = [['HeaderParameters', 'header'], ['QueryStringParameters', 'query'], ['BodyParameters', 'body']]
  for (const [member, kind] of lists) {
    const list = (value as Record<string, unknown>)[member]
    if (list === undefined || list === null) continue
    const at = `${field}.${member}`
    if (!Array.isArray(list) || list.length > HTTP_LIMITS.entries) throw invalid(at, `must list at most ${HTTP_LIMITS.entries} parameters`, HTTP_LIMITS.entries)
    out[member] = list.map((entry: unknown, i) => {
      if (entry === null || typeof entry !== 'object') throw invalid(`${at}[${i}]`, 'must be { Key, Value, IsValueSecret }')
      const e = entry as { Key?: unknown; Value?: unknown; IsValueSecret?: unknown }
      if (e.IsValueSecret !== undefined && typeof e.IsValueSecret !== 'boolean') throw invalid(`${at}[${i}].IsValueSecret`, 'must be a boolean')
      return {
        Key: checkKey(kind, e.Key, `${at}[${i}].Key`), Value: checkValue(kind, e.Value, `${at}[${i}].Value`),
        ...(e.IsValueSecret !== undefined ? { IsValueSecret: e.IsValueSecret as boolean } : {})
      }
    })
  }
  return out
}

/** Is this value a JSONPath into the event (EventBridge's dynamic parameters)? */
function dynamic(value: string): boolean {
  return value.startsWith('$.') && parsePath(value) !== undefined
}

/** A target's HttpParameters (at PutTargets), against the endpoint's `*`s when its API destination is known. */
export function checkTargetParameters(target: Target, field: string, endpoint?: string): void {
  const p = target.HttpParameters
  if (p === undefined || p === null) return
  const at = `${field}.HttpParameters`
  if (typeof p !== 'object' || Array.isArray(p)) throw invalid(at, 'must be an object')
  const path = p.PathParameterValues ?? []
  if (!Array.isArray(path)) throw invalid(`${at}.PathParameterValues`, 'must be a list of strings')
  path.forEach((v, i) => {
    if (typeof v !== 'string' || v.trim().length === 0 || v.length > HTTP_LIMITS.valueLength) throw invalid(`${at}.PathParameterValues[${i}]`, `must be 1 to ${HTTP_LIMITS.valueLength} characters`, HTTP_LIMITS.valueLength)
  })
  if (endpoint !== undefined) {
    const stars = endpoint.split('*').length - 1
    if (path.length !== stars) throw invalid(`${at}.PathParameterValues`, `the endpoint ${endpoint} has ${stars} path parameter(s) (*), ${path.length} value(s) given`, stars)
  }
  const maps: Array<['HeaderParameters' | 'QueryStringParameters', Kind]> = [['HeaderParameters', 'header'], ['QueryStringParameters', 'query']]
  for (const [member, kind] of maps) {
    const map = p[member]
    if (map === undefined || map === null) continue
    if (typeof map !== 'object' || Array.isArray(map) || Object.keys(map).length > HTTP_LIMITS.entries) throw invalid(`${at}.${member}`, `must map at most ${HTTP_LIMITS.entries} names to values`, HTTP_LIMITS.entries)
    for (const [k, v] of Object.entries(map)) {
      checkKey(kind, k, `${at}.${member}.${k}`)
      if (typeof v === 'string' && dynamic(v)) continue
      checkValue(kind, v, `${at}.${member}.${k}`)
    }
  }
}

/** A parameter's value for this event: a JSONPath's value (text as is, anything else as JSON, nothing as ''), or the literal. */
function valueFor(value: string, event: CloudEvent): string {
  if (!dynamic(value)) return value
  const v = selectPath(event, value)
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)
}

/** A header may not carry CR or LF: an event's value with them is sent on one line. */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ')

/** The target's HttpParameters resolved against the event (at planning: every attempt sends these). */
export function resolveHttp(target: Pick<Target, 'HttpParameters'>, event: CloudEvent): ResolvedHttp | undefined {
  const p = target.HttpParameters
  if (p === undefined) return undefined
  return {
    path: (p.PathParameterValues ?? []).map((v) => valueFor(v, event)),
    headers: Object.fromEntries(Object.entries(p.HeaderParameters ?? {}).map(([k, v]) => [k, oneLine(valueFor(v, event))])),
    query: Object.fromEntries(Object.entries(p.QueryStringParameters ?? {}).map(([k, v]) => [k, valueFor(v, event)]))
  }
}
