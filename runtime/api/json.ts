// The JSON encoding of the AWS JSON protocols (awsJson1_1, restJson1) and of
// stratusJson: Dates are epoch seconds, Buffers base64, undefined members
// left out. One JSON.stringify per response; the replacer is skipped for
// tables whose outputs hold neither Dates nor Buffers (ServiceTable.plainJson).

import type { Operation } from './operation.js'

function awsReplacer(this: any, key: string, value: unknown): unknown {
  // Date.toJSON and Buffer.toJSON ran before the replacer: the holder still has the original.
  if (typeof value === 'string') {
    const raw = this[key]
    return raw instanceof Date ? raw.getTime() / 1000 : value
  }
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer') {
    const raw = this[key]
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
  }
  return value
}

/** The JSON text of a value as the AWS JSON protocols send it. */
export function encodeJson(value: unknown, plain = false): string {
  if (value === undefined || value === null) return '{}'
  return plain ? JSON.stringify(value) : JSON.stringify(value, awsReplacer)
}

/** Parses a JSON request body; an empty body is `{}`. Throws SyntaxError (the router answers SerializationException). */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {}
  const value: unknown = JSON.parse(body.toString('utf8'))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('the request body must be a JSON object')
  return value as Record<string, unknown>
}

/** Timestamps (epoch seconds or ISO text) → Date, blobs (base64) → Buffer, for the members the operation lists. */
export function decodeMembers(op: Operation, input: Record<string, unknown>): void {
  if (op.timestamps !== undefined) {
    for (const member of op.timestamps) {
      const v = input[member]
      if (typeof v === 'number') input[member] = new Date(v * 1000)
      else if (typeof v === 'string') input[member] = /^-?\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v)
    }
  }
  if (op.blobs !== undefined) {
    for (const member of op.blobs) {
      const v = input[member]
      if (typeof v === 'string') input[member] = Buffer.from(v, 'base64')
    }
  }
}

/** The first required member that is absent (undefined or null), if any. */
export function missingRequired(op: Operation, input: Record<string, unknown>): string | undefined {
  const required = op.required
  if (required === undefined) return undefined
  for (let i = 0; i < required.length; i++) {
    const v = input[required[i]]
    if (v === undefined || v === null) return required[i]
  }
  return undefined
}
