// The image builder's target over the OCI distribution API (`/v2/`), for the
// remote SDK: layers stream up as chunked uploads (POST, PATCH, PUT ?digest=),
// base layers are mounted across repositories, the manifest is PUT under its
// tag. With registry auth on, the first 401 runs distribution's token flow:
// an ECR authorization token (GetAuthorizationToken, SigV4-signed) is traded
// at the challenge's realm for a bearer token, kept for the later requests.

import { createHash } from 'node:crypto'
import { RegistryError, type BuiltLayer, type ImagePush, type ImageTarget, type RegistryErrorKind } from '../../runtime/index.js'
import type { RawResponse, WireClient } from './wire.js'

const KIND_BY_STATUS: Record<number, RegistryErrorKind> = { 400: 'InvalidArgument', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 415: 'Unsupported', 429: 'LimitExceeded', 503: 'Unavailable' }

/** Wire codes the registry gives ECR-model errors (registry/http/wire-errors.ts), back to the error the registry threw. */
const ECR_BY_WIRE: Record<string, { code: string; kind: RegistryErrorKind; field?: string }> = {
  TAG_INVALID: { code: 'ImageTagAlreadyExistsException', kind: 'Conflict', field: 'imageTag' }
}

/** The RegistryError a /v2/ error response stands for (the OCI error body; an ECR-model error's own code when the body keeps it). */
export function ociErrorOf(response: RawResponse, what: string): RegistryError {
  let first: { code?: string; message?: string; detail?: { reason?: string } | null } = {}
  try {
    first = (JSON.parse(response.body.toString('utf8')) as { errors?: Array<typeof first> }).errors?.[0] ?? {}
  } catch { /* not an OCI body */ }
  const wire = first.code ?? `HTTP_${response.status}`
  const ecr = ECR_BY_WIRE[wire]
  const code = ecr?.code ?? first.detail?.reason ?? wire
  const kind = ecr?.kind ?? KIND_BY_STATUS[response.status] ?? 'Unavailable'
  return new RegistryError(code, first.message ?? `${what}: HTTP ${response.status}`, { kind, ...(ecr?.field ? { field: ecr.field } : {}) })
}

function header(response: RawResponse, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The realm, service and scope of a `WWW-Authenticate: Bearer …` challenge. */
function parseChallenge(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined || !/^Bearer\s/i.test(value)) return undefined
  const params: Record<string, string> = {}
  for (const [, key, quoted] of value.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[key] = quoted
  return params.realm === undefined ? undefined : params
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

export class OciTarget implements ImageTarget {
  readonly #wire: WireClient
  /** An ECR authorization token (base64 `AWS:<token>`), asked for when the registry challenges. */
  readonly #ecrToken: () => Promise<string>
  #authorization: string | undefined

  constructor(wire: WireClient, ecrToken: () => Promise<string>) {
    this.#wire = wire
    this.#ecrToken = ecrToken
  }

  get host(): string {
    return this.#wire.host
  }

  async #authenticate(challenge: Record<string, string>): Promise<void> {
    const realm = new URL(challenge.realm)
    // The realm is the engine's own token endpoint; it is asked on this connection's origin only.
    const query = new URLSearchParams(realm.search)
    if (challenge.service !== undefined) query.set('service', challenge.service)
    if (challenge.scope !== undefined) query.set('scope', challenge.scope)
    const response = await this.#wire.raw({ method: 'GET', path: `${realm.pathname}?${query}`, headers: { authorization: `Basic ${await this.#ecrToken()}` } })
    if (response.status !== 200) throw ociErrorOf(response, 'registry token')
    const { token } = JSON.parse(response.body.toString('utf8')) as { token: string }
    this.#authorization = `Bearer ${token}`
  }

  /** A /v2/ request; a 401 challenge is answered once (a request with a streamed body must not be the first of a push). */
  async request(method: Method, path: string, headers: Record<string, string> = {}, body?: Buffer | AsyncIterable<Buffer>): Promise<RawResponse> {
    const send = () => this.#wire.raw({ method, path, headers: { ...headers, ...(this.#authorization ? { authorization: this.#authorization } : {}) }, ...(body !== undefined ? { body } : {}) })
    let response = await send()
    if (response.status === 401 && (body === undefined || Buffer.isBuffer(body))) {
      const challenge = parseChallenge(header(response, 'www-authenticate'))
      if (challenge !== undefined) {
        await this.#authenticate(challenge)
        response = await send()
      }
    }
    return response
  }

  async #expect(status: number, what: string, method: Method, path: string, headers?: Record<string, string>, body?: Buffer | AsyncIterable<Buffer>): Promise<RawResponse> {
    const response = await this.request(method, path, headers, body)
    if (response.status !== status) throw ociErrorOf(response, what)
    return response
  }

  /** The path of an upload's Location header (relative or absolute on this origin). */
  #locationPath(response: RawResponse): string {
    const location = header(response, 'location')
    if (location === undefined) throw new RegistryError('BLOB_UPLOAD_INVALID', 'the registry answered an upload without a Location', { kind: 'Unavailable' })
    const url = new URL(location, this.#wire.origin)
    return `${url.pathname}${url.search}`
  }

  #withDigest(path: string, digest: string): string {
    return `${path}${path.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`
  }

  async openPush(repositoryName: string): Promise<ImagePush> {
    const name = repositoryName
    const startUpload = async (query = ''): Promise<RawResponse> => {
      const response = await this.request('POST', `/v2/${name}/blobs/uploads/${query}`)
      if (response.status !== 202 && response.status !== 201) throw ociErrorOf(response, `upload to ${name}`)
      return response
    }
    const target = this
    return {
      repositoryName: name,
      async linkBlob(digest, fromRepository) {
        if (fromRepository === name) {
          await target.#expect(200, `blob ${digest}`, 'HEAD', `/v2/${name}/blobs/${digest}`)
          return
        }
        const response = await startUpload(`?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`)
        if (response.status === 201) return
        await target.request('DELETE', target.#locationPath(response))
        throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} of ${fromRepository} could not be mounted into ${name}`, { kind: 'NotFound' })
      },
      async uploadLayer(build) {
        // The upload starts with a bodiless request, so a token challenge is met before bytes flow.
        const session = target.#locationPath(await startUpload())
        let next = session
        const layer: BuiltLayer = await build(async (chunks) => {
          const response = await target.#expect(202, `layer upload to ${name}`, 'PATCH', session, { 'content-type': 'application/octet-stream' }, chunks)
          next = target.#locationPath(response)
        }).catch(async (error: unknown) => {
          await target.request('DELETE', session).catch(() => undefined)
          throw error
        })
        await target.#expect(201, `layer ${layer.digest}`, 'PUT', target.#withDigest(next, layer.digest), { 'content-length': '0' }, Buffer.alloc(0))
        return layer
      },
      async putBlob(content) {
        const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`
        const session = target.#locationPath(await startUpload())
        await target.#expect(201, `blob ${digest}`, 'PUT', target.#withDigest(session, digest), { 'content-type': 'application/octet-stream', 'content-length': String(content.length) }, content)
        return digest
      },
      async putManifest(tag, body, mediaType) {
        const response = await target.#expect(201, `manifest ${name}:${tag}`, 'PUT', `/v2/${name}/manifests/${encodeURIComponent(tag)}`, { 'content-type': mediaType }, body)
        const manifest = JSON.parse(body.toString('utf8')) as { layers?: Array<{ size: number }> }
        return {
          digest: header(response, 'docker-content-digest') ?? '',
          mediaType,
          layersSize: (manifest.layers ?? []).reduce((sum, layer) => sum + layer.size, 0)
        }
      }
    }
  }

  async readManifest(repositoryName: string, reference: string): Promise<{ mediaType: string; body: Buffer }> {
    const accept = [
      'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json'
    ].join(', ')
    const response = await this.#expect(200, `manifest ${repositoryName}:${reference}`, 'GET', `/v2/${repositoryName}/manifests/${encodeURIComponent(reference)}`, { accept })
    return { mediaType: (header(response, 'content-type') ?? '').split(';')[0], body: response.body }
  }

  async readBlob(repositoryName: string, digest: string): Promise<Buffer> {
    const response = await this.#expect(200, `blob ${digest}`, 'GET', `/v2/${repositoryName}/blobs/${digest}`)
    if (`sha256:${createHash('sha256').update(response.body).digest('hex')}` !== digest) {
      throw new RegistryError('DIGEST_INVALID', `blob ${digest} of ${repositoryName} arrived with other content`, { kind: 'InvalidArgument' })
    }
    return response.body
  }
}
