// CloudWatch Logs filter patterns for unstructured log events, as the
// CloudWatch Logs User Guide ("Filter pattern syntax … unstructured log
// events") describes them: terms separated by spaces must all appear
// (case-sensitive); a "quoted phrase" must appear as written; `?term` terms
// match when any of them appears; `-term` excludes events that contain it.
// JSON (`{ $.x = … }`) and space-delimited (`[a, b]`) patterns are refused
// with InvalidParameterException rather than matched wrongly.

import { InvalidArgumentError } from '../errors.js'

export type EventMatcher = (message: string) => boolean

export const FILTER_PATTERN_MAX = 1024

function refuse(message: string): never {
  throw new InvalidArgumentError('InvalidParameterException', `filterPattern: ${message}`, { field: 'filterPattern' })
}

/** The terms of a pattern: words and quoted phrases, each with its `?` / `-` prefix. */
function terms(pattern: string): Array<{ kind: 'all' | 'any' | 'not'; text: string }> {
  const out: Array<{ kind: 'all' | 'any' | 'not'; text: string }> = []
  let i = 0
  while (i < pattern.length) {
    if (pattern[i] === ' ' || pattern[i] === '\t') {
      i++
      continue
    }
    let kind: 'all' | 'any' | 'not' = 'all'
    if (pattern[i] === '?' || pattern[i] === '-') {
      kind = pattern[i] === '?' ? 'any' : 'not'
      i++
    }
    let text = ''
    if (pattern[i] === '"') {
      const close = pattern.indexOf('"', i + 1)
      if (close < 0) refuse(`unterminated quoted phrase at character ${i + 1}`)
      text = pattern.slice(i + 1, close)
      i = close + 1
    } else {
      const start = i
      while (i < pattern.length && pattern[i] !== ' ' && pattern[i] !== '\t') i++
      text = pattern.slice(start, i)
    }
    if (text.length === 0) refuse(kind === 'all' ? 'an empty quoted phrase matches nothing' : `${kind === 'any' ? '?' : '-'} must be followed by a term`)
    out.push({ kind, text })
  }
  return out
}

export function compileFilterPattern(pattern: unknown): EventMatcher {
  if (pattern === undefined) return () => true
  if (typeof pattern !== 'string') refuse('must be a string')
  if (pattern.length > FILTER_PATTERN_MAX) {
    throw new InvalidArgumentError('InvalidParameterException', `filterPattern: at most ${FILTER_PATTERN_MAX} characters, got ${pattern.length}`, { field: 'filterPattern', limit: FILTER_PATTERN_MAX })
  }
  const trimmed = pattern.trim()
  if (trimmed === '' || trimmed === '""') return () => true
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) refuse('JSON and space-delimited patterns are not supported by Stratus (terms, "quoted phrases", ?any and -exclude are)')
  if (trimmed.startsWith('%')) refuse('regular expression patterns (%…%) are not supported by Stratus')
  const list = terms(trimmed)
  const all = list.filter((t) => t.kind === 'all').map((t) => t.text)
  const any = list.filter((t) => t.kind === 'any').map((t) => t.text)
  const not = list.filter((t) => t.kind === 'not').map((t) => t.text)
  return (message) =>
    all.every((t) => message.includes(t)) && !not.some((t) => message.includes(t)) && (any.length === 0 || any.some((t) => message.includes(t)))
}
