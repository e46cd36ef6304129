// Writing answers per protocol: JSON (awsJson1_1, restJson1, stratusJson),
// XML (awsQuery), NDJSON streams (stratusJson results that are AsyncIterables).
// Every answer carries x-amzn-RequestId; every error the exception name
// (x-amzn-ErrorType / __type / <Code>) and, for engine errors, x-stratus-error.

import type { ServerResponse } from 'node:http'
import type { Protocol, WireError } from './operation.js'
import { encodeQueryError, encodeQueryResponse } from './aws-query.js'
import { encodeJson } from './json.js'
import { stratusErrorHeader } from './errors.js'

const CONTENT_TYPE: Record<Protocol, string> = {
  awsJson1_1: 'application/x-amz-json-1.1',
  restJson1: 'application/json',
  awsQuery: 'text/xml',
  stratusJson: 'application/json'
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return
  headers['content-length'] = String(Buffer.byteLength(body))
  res.writeHead(status, headers)
  res.end(body)
}

export function sendJson(res: ServerResponse, protocol: Protocol, requestId: string, output: unknown, plain: boolean): void {
  send(res, 200, { 'content-type': CONTENT_TYPE[protocol], 'x-amzn-requestid': requestId }, encodeJson(output, plain))
}

export function sendQuery(res: ServerResponse, operation: string, xmlns: string, requestId: string, output: unknown): void {
  send(res, 200, { 'content-type': CONTENT_TYPE.awsQuery, 'x-amzn-requestid': requestId }, encodeQueryResponse(operation, xmlns, output, requestId))
}

export function sendError(res: ServerResponse, protocol: Protocol, requestId: string, wire: WireError, cause: unknown, xmlns?: string): void {
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId, 'x-amzn-errortype': wire.type }
  const coded = stratusErrorHeader(cause)
  if (coded !== undefined) headers['x-stratus-error'] = coded
  if (wire.status === 413) headers.connection = 'close'
  if (protocol === 'awsQuery') {
    headers['content-type'] = CONTENT_TYPE.awsQuery
    send(res, wire.status, headers, encodeQueryError(wire, xmlns, requestId))
  } else {
    headers['content-type'] = CONTENT_TYPE[protocol]
    send(res, wire.status, headers, JSON.stringify({ ...wire.members, __type: wire.type, message: wire.message }))
  }
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
}

/**
 * Streams an AsyncIterable as NDJSON: one JSON value per line, written as it
 * is produced (honouring backpressure). The stream stops when the client goes
 * away. A failure after the first byte cannot change the status any more: it
 * is sent as one last line `{"__error":{"type","message","status","stratus"}}`.
 */
export async function streamNdjson(res: ServerResponse, requestId: string, values: AsyncIterable<unknown>, toWire: (err: unknown) => WireError): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-amzn-requestid': requestId, 'cache-control': 'no-store' })
  res.flushHeaders()
  try {
    for await (const value of values) {
      if (res.destroyed) break
      if (!res.write(encodeJson(value) + '\n')) {
        await new Promise<void>((resolve) => {
          const done = (): void => { res.off('drain', done); res.off('close', done); resolve() }
          res.on('drain', done)
          res.on('close', done)
        })
      }
    }
  } catch (err) {
    if (!res.destroyed) {
      const wire = toWire(err)
      const coded = stratusErrorHeader(err)
      res.write(JSON.stringify({ __error: { type: wire.type, message: wire.message, status: wire.status, ...(coded !== undefined ? { stratus: JSON.parse(coded) } : {}) } }) + '\n')
    }
    throw err
  } finally {
    if (!res.destroyed) res.end()
  }
}
