// awsQuery inputs as a decoder may hand them over: a list is an array, or the
// `member` form (`Tags.member.1.Key` decoded to { member: [...] } or
// { member: { 1: … } }, or { 1: … }). Tables of awsQuery services read lists
// through here so they accept every shape.

export function queryList<T = unknown>(value: unknown): T[] | undefined {
  if (value === undefined || value === null || value === '') return value === '' ? [] : undefined
  if (Array.isArray(value)) return value as T[]
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>
    if ('member' in v) return queryList<T>(v.member) ?? []
    const keys = Object.keys(v)
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k] as T)
    return [value as T]
  }
  return [value as T]
}

/** A number member of a query request (the wire gives strings). */
export function queryNumber(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  return typeof value === 'number' ? value : Number(value)
}
