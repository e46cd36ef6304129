// The JSON encoding the wire API uses (contract of runtime/api): Dates as
// epoch seconds (fractional ms allowed), undefined members left out, Buffers
// as base64. Answers carry timestamps as epoch seconds; the ECR shapes the SDK
// returns hold Dates, so the members ECR defines as timestamps are revived by
// name (the names are ECR's and mean a timestamp wherever they appear).

/** Requests are encoded as the engine encodes its answers: one codec for both sides. */
export { encodeJson as encode } from '../../runtime/index.js'

/** ECR's timestamp members (Repository, ImageDetail, AuthorizationData, lifecycle shapes). */
export const ECR_TIMESTAMPS: ReadonlySet<string> = new Set(['createdAt', 'imagePushedAt', 'expiresAt', 'lastEvaluatedAt', 'lastRecordedPullTime', 'lastArchivedDateTime', 'lastActivatedAt'])

/** Replaces, in place and at any depth, number members named in `timestamps` (epoch seconds) by Dates. */
export function reviveDates<T>(value: T, timestamps: ReadonlySet<string>): T {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item)
      return
    }
    if (node === null || typeof node !== 'object') return
    const record = node as Record<string, unknown>
    for (const [key, member] of Object.entries(record)) {
      if (typeof member === 'number' && timestamps.has(key)) record[key] = new Date(Math.round(member * 1000))
      else walk(member)
    }
  }
  walk(value)
  return value
}
