// A container's environment as AWS lists it ({ name, value } pairs), checked:
// names starting with AWS_BATCH are Batch's own (it sets them for every
// attempt), so a definition or an override may not set them.

import type { KeyValuePair } from './model.js'
import { clientError } from './validation.js'

export function envFromList(list: KeyValuePair[] | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (list === undefined) return out
  if (!Array.isArray(list)) throw clientError(field, 'must be an array of { name, value }')
  list.forEach((kv, i) => {
    if (typeof kv?.name !== 'string' || kv.name.length === 0 || typeof kv.value !== 'string') throw clientError(`${field}[${i}]`, 'must have a string name and value')
    if (kv.name.startsWith('AWS_BATCH')) throw clientError(`${field}[${i}].name`, `names starting with AWS_BATCH are reserved, got ${kv.name}`)
    out[kv.name] = kv.value
  })
  return out
}

export function toEnvList(env: Record<string, string>): KeyValuePair[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }))
}
