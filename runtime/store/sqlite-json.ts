// Which values the SQLite store may keep as JSON text instead of V8's
// serializer: those JSON gives back exactly — the same shape, the same
// numbers, the same strings — so a value read back is what the memory store
// held. JSON.parse is about twice as fast as v8.deserialize on the engine's
// records, and SQLite hands back TEXT as a string without a Buffer per row.
//
// Exact means, for every node of the value:
//   - a string, a boolean, null, or a finite number that is not -0 (JSON
//     has no NaN, Infinity or -0);
//   - an array whose prototype is Array.prototype, without holes and without
//     named properties (Object.keys counts exactly its indices), of at most
//     MAX_ARRAY entries (a longer one is left to V8 rather than walked);
//   - an object whose prototype is Object.prototype (not a class instance, a
//     Date, a Map, a typed array, a null-prototype object), not a Proxy;
//   - reached once: an object met twice (shared, or a cycle) keeps its
//     identity only through V8.
// Anything else (undefined anywhere, a bigint, a function, a symbol) is left
// to V8, which keeps it or refuses it as before. Nesting deeper than
// MAX_DEPTH is left to V8 too.

import { isProxy } from 'node:util/types'

const MAX_ARRAY = 1024
const MAX_DEPTH = 64

/** Objects met during one check (reused: the check never nests). */
const seen = new Set<object>()

/** True when JSON.parse(JSON.stringify(value)) is exactly value (see above). */
export function isPlainJson(value: unknown): boolean {
  try {
    return plain(value, 0)
  } finally {
    seen.clear()
  }
}

function plain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0)
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (depth > MAX_DEPTH || seen.has(value) || isProxy(value)) return false
  seen.add(value)
  const proto = Object.getPrototypeOf(value)
  if (proto === Array.prototype) {
    const array = value as unknown[]
    if (array.length > MAX_ARRAY || Object.keys(array).length !== array.length) return false
    for (let i = 0; i < array.length; i++) if (!plain(array[i], depth + 1)) return false
    return true
  }
  if (proto !== Object.prototype) return false
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) if (!plain(object[key], depth + 1)) return false
  return true
}
