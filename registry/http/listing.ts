import { MediaType } from '../media-types.js'
import type { RepositoryState } from '../content/repository.js'
import { paginate, sendJson, type RequestContext } from './context.js'

/** GET /v2/<name>/tags/list with `n` / `last` and `Link`. */
export function listTags (ctx: RequestContext, state: RepositoryState): void {
  const all = [...state.tags.keys()].sort()
  const { page, headers } = paginate(ctx, all, `/v2/${state.name}/tags/list`)
  sendJson(ctx, 200, { name: state.name, tags: page }, headers)
}

/** GET /v2/_catalog with `n` / `last` and `Link`. */
export function catalog (ctx: RequestContext): void {
  const { page, headers } = paginate(ctx, ctx.distribution.repositories.names(), '/v2/_catalog')
  sendJson(ctx, 200, { repositories: page }, headers)
}

/** GET /v2/<name>/referrers/<digest>, optionally filtered by `artifactType`. */
export function referrers (ctx: RequestContext, state: RepositoryState, digest: string): void {
  const artifactType = ctx.query.get('artifactType') ?? undefined
  const manifests = ctx.distribution.referrers(state, digest, artifactType)
  const headers: Record<string, string> = { 'Content-Type': MediaType.OciIndex }
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType'
  sendJson(ctx, 200, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, headers)
}
