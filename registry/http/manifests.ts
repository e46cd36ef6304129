import { ociError } from '../errors.js'
import { parseDigest } from '../digest.js'
import { isTag, TAG_LIMIT } from '../names.js'
import { baseMediaType, INDEX_TYPES } from '../media-types.js'
import { MANIFEST_SIZE_LIMIT } from '../content/manifest.js'
import type { RepositoryState } from '../content/repository.js'
import type { StoredManifest } from '../content/distribution.js'
import { API_VERSION_HEADER, readBody, sendEmpty, type RequestContext } from './context.js'

/** PUT: a tag must be valid (MANIFEST_INVALID, 400); a digest is validated where it is used (DIGEST_INVALID). */
function checkReference (reference: string): void {
  if (reference.includes(':')) return // a digest: validated where it is used
  if (!isTag(reference)) {
    throw ociError('MANIFEST_INVALID', `invalid tag ${JSON.stringify(reference.slice(0, 200))} (${TAG_LIMIT})`, { detail: { reference: reference.slice(0, 200) } })
  }
}

/**
 * GET, HEAD, DELETE: a reference that is neither a valid tag nor a valid digest names no
 * manifest that could exist, so it is MANIFEST_UNKNOWN (404), as the OCI conformance suite
 * expects (`.INVALID_MANIFEST_NAME`) and distribution answers (such a reference does not
 * match its manifest route, and a malformed digest is looked up as a tag and not found).
 */
function checkLookupReference (reference: string): void {
  const valid = reference.includes(':') ? isDigest(reference) : isTag(reference)
  if (!valid) {
    throw ociError('MANIFEST_UNKNOWN', `no manifest can be named ${JSON.stringify(reference.slice(0, 200))}: not a tag (${TAG_LIMIT}) nor a digest`, {
      detail: { reference: reference.slice(0, 200) }
    })
  }
}

function isDigest (reference: string): boolean {
  try { parseDigest(reference, 'reference'); return true } catch { return false }
}

// Clients send the same few Accept headers over and over: parse each once.
const acceptCache = new Map<string, Set<string> | undefined>()

function acceptedTypes (header: string | string[] | undefined): Set<string> | undefined {
  if (header === undefined) return undefined
  if (typeof header === 'string') {
    if (acceptCache.has(header)) return acceptCache.get(header)
    const parsed = parseAccept([header])
    if (acceptCache.size > 256) acceptCache.clear()
    acceptCache.set(header, parsed)
    return parsed
  }
  return parseAccept(header)
}

function parseAccept (header: string[]): Set<string> | undefined {
  const set = new Set<string>()
  for (const line of header) {
    for (const part of line.split(',')) {
      const type = baseMediaType(part)
      if (type) set.add(type)
    }
  }
  return set.size === 0 || set.has('*/*') ? undefined : set
}

/**
 * Content negotiation: the stored manifest when the client accepts its type; for an index
 * fetched by tag that the client cannot read, the linux/amd64 (else first) child it can, as
 * distribution does for Docker manifest lists; otherwise MANIFEST_UNKNOWN naming the type.
 * Never a child for a digest reference: the bytes would not match the digest asked for.
 */
async function negotiate (ctx: RequestContext, state: RepositoryState, reference: string, found: StoredManifest): Promise<StoredManifest> {
  const accepted = acceptedTypes(ctx.req.headers.accept)
  if (accepted === undefined || accepted.has(found.record.mediaType)) return found
  if (INDEX_TYPES.has(found.record.mediaType) && !reference.includes(':')) {
    const index = JSON.parse(found.body.toString('utf8')) as { manifests: Array<{ digest: string, mediaType: string, platform?: { os?: string, architecture?: string } }> }
    const candidates = index.manifests.filter((m) => accepted.has(m.mediaType) && state.manifests.has(m.digest))
    const pick = candidates.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ?? candidates[0]
    if (pick !== undefined) return ctx.distribution.getManifest(state, pick.digest)
  }
  throw ociError('MANIFEST_UNKNOWN', `manifest is a ${found.record.mediaType}, which the request's Accept header does not include`, {
    detail: { mediaType: found.record.mediaType }
  })
}

// Response headers of a manifest never change: build them once per record.
const headersByRecord = new WeakMap<object, string[]>()

/** GET / HEAD /v2/<name>/manifests/<reference>. */
export async function getManifest (ctx: RequestContext, state: RepositoryState, reference: string): Promise<void> {
  checkLookupReference(reference)
  const found = await negotiate(ctx, state, reference, await ctx.distribution.getManifest(state, reference))
  const { record, body } = found
  let headers = headersByRecord.get(record)
  if (headers === undefined) {
    headers = [
      'Content-Type', record.mediaType,
      'Content-Length', String(body.length),
      'Docker-Content-Digest', record.digest,
      'ETag', `"${record.digest}"`,
      API_VERSION_HEADER, 'registry/2.0'
    ]
    headersByRecord.set(record, headers)
  }
  ctx.res.writeHead(200, headers)
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body)
}

/** PUT /v2/<name>/manifests/<reference> (the repository is created on push once the manifest can land). */
export async function putManifest (ctx: RequestContext, name: string, reference: string): Promise<void> {
  checkReference(reference)
  const body = await readBody(ctx.req, MANIFEST_SIZE_LIMIT)
  const record = await ctx.distribution.putManifest(name, reference, body, ctx.req.headers['content-type'])
  const headers: Record<string, string> = {
    Location: `/v2/${name}/manifests/${record.digest}`,
    'Docker-Content-Digest': record.digest
  }
  if (record.subject !== undefined) headers['OCI-Subject'] = record.subject
  sendEmpty(ctx, 201, headers)
}

/** DELETE /v2/<name>/manifests/<reference>: by digest the manifest (and its tags), by tag the tag. */
export async function deleteManifest (ctx: RequestContext, state: RepositoryState, reference: string): Promise<void> {
  checkLookupReference(reference)
  await ctx.distribution.deleteManifest(state, reference)
  sendEmpty(ctx, 202, reference.includes(':') ? { 'Docker-Content-Digest': reference } : {})
}
