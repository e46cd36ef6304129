import { ociError } from '../errors.js'
import { newHash, parseDigest } from '../digest.js'
import type { RepositoryState } from '../content/repository.js'
import { API_VERSION_HEADER, sendEmpty, type RequestContext } from './context.js'
import { ContentMismatchError, sendFile } from './send-file.js'

/** `Range: bytes=a-b | a- | -n` → [start, end] inclusive, or 'unsatisfiable'. */
function parseRange (value: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim())
  if (m === null || (m[1] === '' && m[2] === '')) return undefined // ignored, as RFC 9110 allows
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    // The last bytes of an empty blob are the whole (empty) blob, which no Content-Range
    // can describe: serve it whole (RFC 9110 lets a server ignore Range).
    if (size === 0) return undefined
    return [Math.max(0, size - suffix), size - 1]
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return [start, end]
}

function unknownBlob (state: RepositoryState, digest: string): Error {
  return ociError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${state.name}`, { detail: { digest } })
}

/**
 * GET / HEAD /v2/<name>/blobs/<digest>, with Range. A GET is verified as it streams (see
 * `send-file.ts`): bytes that do not hash to the digest are never completed as a response;
 * the connection is aborted before their last chunk and the blob is quarantined, so every
 * repository answers BLOB_UNKNOWN for it until it is pushed again.
 */
export async function getBlob (ctx: RequestContext, state: RepositoryState, digest: string): Promise<void> {
  const { algorithm, hex } = parseDigest(digest)
  const size = await ctx.distribution.blobSize(state, digest)
  if (size === undefined) throw unknownBlob(state, digest)
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
    [API_VERSION_HEADER]: 'registry/2.0'
  }
  let status = 200
  let start = 0
  let length = size
  // RFC 9110 §14.2: Range is defined for GET only; a HEAD describes the whole blob (clients
  // read its size from Content-Length).
  const rangeHeader = ctx.method === 'GET' ? ctx.req.headers.range : undefined
  if (rangeHeader !== undefined) {
    const range = parseRange(rangeHeader, size)
    if (range === 'unsatisfiable') {
      sendEmpty(ctx, 416, { 'Content-Range': `bytes */${size}`, 'Docker-Content-Digest': digest })
      return
    }
    if (range !== undefined) {
      status = 206
      start = range[0]
      length = range[1] - range[0] + 1
      headers['Content-Range'] = `bytes ${range[0]}-${range[1]}/${size}`
    }
  }
  headers['Content-Length'] = length
  if (ctx.method === 'HEAD' || length === 0) {
    ctx.res.writeHead(status, headers)
    ctx.res.end()
    return
  }
  const d = ctx.distribution
  const { file, generation } = await d.openBlobFile(digest)
  if (file.size !== size) {
    // Not the length it was stored with: corrupted before a byte is sent.
    await file.close()
    await d.quarantineBlob(digest, { reason: 'size-mismatch', storedSize: file.size, detectedBy: 'serve' }, generation)
    throw unknownBlob(state, digest)
  }
  ctx.res.writeHead(status, headers)
  try {
    await sendFile(ctx.res, file, start, length, { hash: newHash(algorithm), expectedHex: hex, size })
  } catch (err) {
    try {
      if (err instanceof ContentMismatchError) {
        // Quarantined before the connection is aborted: the client's retry finds it gone.
        const actualDigest = err.actualHex === undefined ? undefined : `${algorithm}:${err.actualHex}`
        await d.quarantineBlob(digest, { reason: err.reason, actualDigest, storedSize: err.storedSize, detectedBy: 'serve' }, generation)
      }
    } finally {
      ctx.res.destroy()
    }
  }
}

/** DELETE /v2/<name>/blobs/<digest>: 202, the blob is no longer part of the repository. */
export async function deleteBlob (ctx: RequestContext, state: RepositoryState, digest: string): Promise<void> {
  parseDigest(digest)
  await ctx.distribution.deleteBlob(state, digest)
  sendEmpty(ctx, 202, { 'Docker-Content-Digest': digest })
}
