// restJson1 routing: an operation's method and path template → the
// operation, with its labels bound to input members. Static paths (most of
// Batch) are one map lookup; templates are tried in order, segment by
// segment, labels percent-decoded after matching (a label may hold `/` as %2F).

import type { Operation, ServiceTable } from './operation.js'

interface Template {
  readonly method: string
  /** Literal segments, or label names (`{x}`), the last possibly greedy (`{x+}`). */
  readonly segments: ReadonlyArray<{ literal: string } | { label: string; greedy: boolean }>
  readonly table: ServiceTable
  readonly op: Operation
}

export interface RestMatch {
  readonly table: ServiceTable
  readonly op: Operation
  /** Bound labels, percent-decoded (undefined when the path had none). */
  readonly labels: Record<string, string> | undefined
}

export class RestPaths {
  readonly #static = new Map<string, RestMatch>()
  readonly #templates: Template[] = []

  constructor(tables: readonly ServiceTable[]) {
    for (const table of tables) {
      if (table.protocol !== 'restJson1') continue
      for (const op of table.operations) {
        if (op.http === undefined) continue
        const { method, path } = op.http
        if (!path.includes('{')) {
          this.#static.set(`${method} ${path}`, { table, op, labels: undefined })
          continue
        }
        const segments = path.split('/').slice(1).map((s) => {
          const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(s)
          return m ? { label: m[1], greedy: m[2] === '+' } : { literal: s }
        })
        this.#templates.push({ method, segments, table, op })
      }
    }
  }

  /** The operation at method + raw (still percent-encoded) path, or undefined. */
  match(method: string, rawPath: string): RestMatch | undefined {
    const found = this.#static.get(`${method} ${rawPath}`)
    if (found !== undefined) return found
    if (this.#templates.length === 0) return undefined
    const parts = rawPath.split('/').slice(1)
    for (const t of this.#templates) {
      if (t.method !== method) continue
      const labels = matchSegments(t.segments, parts)
      if (labels !== undefined) return { table: t.table, op: t.op, labels }
    }
    return undefined
  }
}

function matchSegments(segments: Template['segments'], parts: string[]): Record<string, string> | undefined {
  const labels: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]
    if ('literal' in s) {
      if (parts[i] !== s.literal) return undefined
      continue
    }
    if (s.greedy) {
      const rest = parts.slice(i).join('/')
      if (rest === '') return undefined
      labels[s.label] = decode(rest)
      return i === segments.length - 1 ? labels : undefined
    }
    if (parts[i] === undefined || parts[i] === '') return undefined
    labels[s.label] = decode(parts[i])
  }
  return parts.length === segments.length ? labels : undefined
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Binds query parameters to input members as the operation's `http.query` says (`member[]`: a list). */
export function bindQuery(op: Operation, rawQuery: string, input: Record<string, unknown>): void {
  const query = op.http?.query
  if (query === undefined || rawQuery === '') return
  const params = new URLSearchParams(rawQuery)
  for (const name in query) {
    const member = query[name]
    if (member.endsWith('[]')) {
      const all = params.getAll(name)
      if (all.length > 0) input[member.slice(0, -2)] = all
    } else {
      const v = params.get(name)
      if (v !== null) input[member] = v
    }
  }
}
