import { ociError } from '../errors.js'
import { parseDigest } from '../digest.js'
import type { RepositoryState } from '../content/repository.js'
import type { UploadSession } from '../content/uploads.js'
import { hasBody, parseContentRange, sendEmpty, type RequestContext } from './context.js'

function uploadLocation (name: string, uuid: string): string {
  return `/v2/${name}/blobs/uploads/${uuid}`
}

/** The spec's upload `Range`: `0-<last byte>` (`0-0` before any byte). */
function rangeHeader (session: UploadSession): string {
  return `0-${Math.max(0, session.size - 1)}`
}

function progressHeaders (name: string, session: UploadSession): Record<string, string> {
  return {
    Location: uploadLocation(name, session.uuid),
    Range: rangeHeader(session),
    'Docker-Upload-UUID': session.uuid
  }
}

function declaredLength (ctx: RequestContext): number | undefined {
  const value = ctx.req.headers['content-length']
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw ociError('SIZE_INVALID', 'invalid Content-Length')
  return n
}

/**
 * Appends the request body to a session, honouring `Content-Range` (must start at the
 * current size: otherwise 416 with the current `Range`) and `Content-Length`.
 * The caller holds the session lock.
 */
async function appendBody (ctx: RequestContext, session: UploadSession): Promise<void> {
  const range = parseContentRange(ctx.req.headers['content-range'] as string | undefined)
  const length = declaredLength(ctx)
  let max = length ?? Number.POSITIVE_INFINITY
  if (range !== undefined) {
    if (range[0] !== session.size) {
      throw ociError('BLOB_UPLOAD_INVALID', `chunk starts at ${range[0]} but the upload holds ${session.size} bytes`, {
        status: 416,
        detail: { range: rangeHeader(session) }
      })
    }
    const chunkLength = range[1] - range[0] + 1
    if (length !== undefined && length !== chunkLength) {
      throw ociError('SIZE_INVALID', `Content-Length ${length} does not match Content-Range ${range[0]}-${range[1]}`)
    }
    max = chunkLength
  }
  const received = await ctx.distribution.uploads.append(session, ctx.req, max)
  if (max !== Number.POSITIVE_INFINITY && received !== max) {
    throw ociError('SIZE_INVALID', `received ${received} bytes of a declared ${max}`)
  }
}

/**
 * POST /v2/<name>/blobs/uploads/: start, mount, or monolithic upload. The query is checked
 * before the repository is created on push; a monolithic upload creates it only once its
 * bytes verified.
 */
export async function startUpload (ctx: RequestContext, name: string): Promise<void> {
  const d = ctx.distribution
  const mount = ctx.query.get('mount')
  const digest = ctx.query.get('digest')
  if (mount !== null) parseDigest(mount, 'mount')
  if (digest !== null) parseDigest(digest)
  if (mount !== null) {
    const from = ctx.query.get('from') ?? undefined
    if (await d.mountBlob(await d.repositoryForPush(name), from, mount)) {
      sendEmpty(ctx, 201, { Location: `/v2/${name}/blobs/${mount}`, 'Docker-Content-Digest': mount })
      return
    }
  }
  if (digest !== null) {
    const session = await d.uploads.start(name)
    await session.lock.run(async () => {
      try {
        await appendBody(ctx, session)
        await d.completeUpload(name, session, digest)
      } catch (err) {
        // A monolithic upload has no Location to resume from: drop the session.
        await d.uploads.cancel(session).catch(() => undefined)
        throw err
      }
    })
    sendEmpty(ctx, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest })
    return
  }
  // The session's later requests (PATCH, PUT, GET) need the repository: create it now.
  await d.repositoryForPush(name)
  const session = await d.uploads.start(name)
  if (hasBody(ctx.req)) ctx.req.resume()
  sendEmpty(ctx, 202, { ...progressHeaders(name, session), 'OCI-Chunk-Min-Length': 0 })
}

/** PATCH /v2/<name>/blobs/uploads/<uuid>: a chunk (with Content-Range) or a stream. */
export async function patchUpload (ctx: RequestContext, state: RepositoryState, uuid: string): Promise<void> {
  const session = await ctx.distribution.uploads.get(state.name, uuid)
  try {
    await session.lock.run(() => appendBody(ctx, session))
  } catch (err) {
    throw withProgress(err, state.name, session)
  }
  sendEmpty(ctx, 202, progressHeaders(state.name, session))
}

/** PUT /v2/<name>/blobs/uploads/<uuid>?digest=: optional last chunk, then commit. */
export async function putUpload (ctx: RequestContext, state: RepositoryState, uuid: string): Promise<void> {
  const session = await ctx.distribution.uploads.get(state.name, uuid)
  const digest = ctx.query.get('digest')
  if (digest === null) throw ociError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload')
  parseDigest(digest)
  await session.lock.run(async () => {
    if (hasBody(ctx.req)) {
      try { await appendBody(ctx, session) } catch (err) { throw withProgress(err, state.name, session) }
    }
    await ctx.distribution.completeUpload(state, session, digest)
  })
  sendEmpty(ctx, 201, { Location: `/v2/${state.name}/blobs/${digest}`, 'Docker-Content-Digest': digest })
}

/** GET /v2/<name>/blobs/uploads/<uuid>: 204 with the current Range. */
export async function uploadStatus (ctx: RequestContext, state: RepositoryState, uuid: string): Promise<void> {
  const session = await ctx.distribution.uploads.get(state.name, uuid)
  sendEmpty(ctx, 204, progressHeaders(state.name, session))
}

/** DELETE /v2/<name>/blobs/uploads/<uuid>: cancel. */
export async function cancelUpload (ctx: RequestContext, state: RepositoryState, uuid: string): Promise<void> {
  const session = await ctx.distribution.uploads.get(state.name, uuid)
  await session.lock.run(() => ctx.distribution.uploads.cancel(session))
  sendEmpty(ctx, 204)
}

/** Errors during an upload carry the session's Location and Range, so a client can resume. */
function withProgress (err: unknown, name: string, session: UploadSession): unknown {
  if (err !== null && typeof err === 'object') {
    Object.defineProperty(err, 'headers', { value: progressHeaders(name, session), enumerable: false, configurable: true })
  }
  return err
}
