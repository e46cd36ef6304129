// The small input checks the task definition validation is made of. Each
// refusal is a ClientException (what ECS answers a RegisterTaskDefinition it
// will not take) naming the field path and, where there is one, the limit.

import { clientException } from './errors.js'

export function refuse(field: string, message: string, limit?: number | string): never {
  throw clientException(field, `${field}: ${message}`, limit)
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function show(value: unknown): string {
  const s = value === undefined ? 'undefined' : JSON.stringify(value)
  return s === undefined ? String(value) : s.length > 120 ? `${s.slice(0, 120)}…` : s
}

/** An object with only the named members: anything else is refused naming it (never accepted and ignored). */
export function checkObject(value: unknown, field: string, allowed: ReadonlySet<string>, what: string): Record<string, unknown> {
  if (!isObject(value)) refuse(field, `must be an object (${what}), got ${show(value)}`)
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined && !allowed.has(key)) refuse(`${field}.${key}`, `is not a member of ${what} that Stratus supports (members: ${[...allowed].join(', ')})`)
  }
  return value
}

export function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) refuse(field, `must be an integer from ${min} to ${max}, got ${show(value)}`)
  if (value < min) refuse(field, `must be at least ${min}, got ${value}`, min)
  if (value > max) refuse(field, `must be at most ${max}, got ${value}`, max)
  return value
}

export function checkBool(value: unknown, field: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') refuse(field, `must be true or false, got ${show(value)}`)
  return value
}

export function checkString(value: unknown, field: string, max = 4096): string {
  if (typeof value !== 'string' || value.length === 0) refuse(field, `must be a non-empty string, got ${show(value)}`)
  if (value.length > max) refuse(field, `must be at most ${max} characters, got ${value.length}`, max)
  return value
}

export function checkNamed(value: unknown, field: string, pattern: RegExp, rule: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !pattern.test(value)) refuse(field, `${rule}; got ${show(value)}`, max)
  return value
}

export function checkEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) refuse(field, `must be one of ${allowed.join(', ')}, got ${show(value)}`)
  return value as T
}

export function checkStringArray(value: unknown, field: string, max = 1000): string[] {
  if (!Array.isArray(value)) refuse(field, `must be a list of strings, got ${show(value)}`)
  if (value.length > max) refuse(field, `at most ${max} entries, got ${value.length}`, max)
  value.forEach((v, i) => { if (typeof v !== 'string') refuse(`${field}[${i}]`, `must be a string, got ${show(v)}`) })
  return [...value]
}

export function checkList(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) refuse(field, `must be a list, got ${show(value)}`)
  if (value.length > max) refuse(field, `at most ${max} entries, got ${value.length}`, max)
  return value
}

export function checkStringMap(value: unknown, field: string): Record<string, string> {
  if (!isObject(value)) refuse(field, `must be an object of strings, got ${show(value)}`)
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') refuse(`${field}.${k}`, `must be a string, got ${show(v)}`)
  return { ...(value as Record<string, string>) }
}

export function checkAbsolutePath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value[0] !== '/' || value.includes('\0') || value.length > 4096) refuse(field, `must be an absolute path, got ${show(value)}`)
  return value
}
