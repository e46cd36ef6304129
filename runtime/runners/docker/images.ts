// Which image a container runs, per engine. A reference to the built-in
// registry (its endpoint, or the ECR form of a repository URI) is pulled from
// it — by the endpoint name, with the registry's credentials as
// X-Registry-Auth when its auth is on — before every run that uses it, as ECS
// pulls by default (a pushed tag is seen at once); concurrent runs share one
// pull. Any other reference is the engine's own business: looked up (inspected)
// for every run, since `docker tag` may move it to another image between two —
// a cheap request; concurrent runs share one — used when the engine has it,
// and otherwise the run fails fast with AWS's
// CannotPullContainerError naming the image — there is no network beyond this
// machine, so nothing is ever pulled from another registry.
//
// Pull progress is published on the diagnostics channel stratus:runner:pull:
//   { host, image, pullReference, phase: 'start' }
//   { host, image, pullReference, phase: 'progress', status, layer?, current?, total? }
//   { host, image, pullReference, phase: 'done', digest } | { …, phase: 'error', error }
import { channel } from 'node:diagnostics_channel'
import { cannotPull } from '../errors.js'
import type { ImageSource, RegistryImage } from '../images.js'
import { DockerApiError, type DockerClient } from './client.js'
import type { PulledJournal } from './pulled-journal.js'

export const pullChannel = channel('stratus:runner:pull')

/** An image as the engine has it, ready to create containers from. */
export interface ResolvedImage {
  /** What a container's Config.Image names (the endpoint form for the built-in registry). */
  name: string
  /** The engine's image id (sha256:…). */
  id: string
  /** The manifest digest when the engine knows one (a pulled image), else the image id. */
  digest: string
  /** The image's config: what a container inherits unless its spec overrides it. */
  env: readonly string[]
  entrypoint: readonly string[] | null
  cmd: readonly string[] | null
  workingDir: string
}

interface ImageInspect {
  Id: string
  RepoDigests?: string[] | null
  Config?: { Env?: string[] | null; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string } | null
}

/** `host/...` where host looks like a registry (a dot, a port, or localhost), as docker parses references. */
export function registryOf(reference: string): string | undefined {
  const slash = reference.indexOf('/')
  if (slash < 0) return undefined
  const first = reference.slice(0, slash)
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined
}

function digestOf(inspect: ImageInspect, repository?: string): string {
  const digests = inspect.RepoDigests ?? []
  const mine = repository === undefined ? digests[0] : digests.find((d) => d.startsWith(`${repository}@`))
  const at = (mine ?? digests[0])?.indexOf('@') ?? -1
  return at >= 0 ? (mine ?? digests[0]).slice(at + 1) : inspect.Id
}

function resolved(name: string, inspect: ImageInspect, repository?: string): ResolvedImage {
  return {
    name, id: inspect.Id, digest: digestOf(inspect, repository),
    env: inspect.Config?.Env ?? [], entrypoint: inspect.Config?.Entrypoint ?? null, cmd: inspect.Config?.Cmd ?? null,
    workingDir: inspect.Config?.WorkingDir ?? ''
  }
}

/** The images of one engine: local references inspected per run, registry references pulled per run (each shared while in flight). */
export class HostImages {
  readonly #local = new Map<string, Promise<ResolvedImage>>()
  readonly #pulls = new Map<string, Promise<ResolvedImage>>()
  /** The names this runner pulled images by: the engine's endpoint, ephemeral, so close() untags them. */
  readonly #pulled = new Set<string>()

  /** journal: where names are recorded before their first pull, for the next runner to untag should this one never close. */
  constructor(readonly client: DockerClient, readonly source: ImageSource | undefined, readonly journal?: PulledJournal) {}

  /** The image a reference names, pulled when it is the built-in registry's; a RunnerError CannotPullContainerError otherwise. */
  ensure(reference: string): Promise<ResolvedImage> {
    const image = this.source?.resolve(reference)
    if (image !== undefined) return this.#shared(this.#pulls, reference, () => this.#pull(reference, image))
    return this.#shared(this.#local, reference, () => this.#localImage(reference))
  }

  /** Forgets a look-up of a local reference still in flight (the engine no longer has the image it found). */
  forget(reference: string): void {
    this.#local.delete(reference)
  }

  #shared(cache: Map<string, Promise<ResolvedImage>>, key: string, make: () => Promise<ResolvedImage>): Promise<ResolvedImage> {
    let pending = cache.get(key)
    if (pending === undefined) {
      pending = make()
      cache.set(key, pending)
      // Shared only while in flight: the next run pulls again, or looks again (a tag may have moved).
      const done = () => { if (cache.get(key) === pending) cache.delete(key) }
      pending.then(done, done)
    }
    return pending
  }

  /**
   * Untags what this runner pulled (close()): the names carry the engine's
   * endpoint, whose port dies with it, and would pile up on the engine run after
   * run. The layers stay while another name or a container still uses them;
   * a name still in use (a container of another runner) is left.
   */
  async removePulled(signal?: AbortSignal): Promise<void> {
    const names = [...this.#pulled]
    this.#pulled.clear()
    await Promise.all(names.map((name) => this.client.request('DELETE', `/images/${encodeURIComponent(name)}`, { signal }).catch(() => {})))
  }

  async #inspect(name: string): Promise<ImageInspect | undefined> {
    try {
      return await this.client.request<ImageInspect>('GET', `/images/${encodeURIComponent(name)}/json`)
    } catch (error) {
      if (error instanceof DockerApiError && error.statusCode === 404) return undefined
      throw error
    }
  }

  async #localImage(reference: string): Promise<ResolvedImage> {
    let inspect: ImageInspect | undefined
    try {
      inspect = await this.#inspect(reference)
    } catch (error) {
      throw cannotPull(reference, `the engine ${this.client.name} could not be asked for it: ${(error as Error).message}`, error)
    }
    if (inspect !== undefined) return resolved(reference, inspect)
    const registry = registryOf(reference)
    const why = registry === undefined
      ? `not found: the engine ${this.client.name} has no image ${reference}, and nothing is pulled from Docker Hub (no network beyond this machine)`
      : `not found: the engine ${this.client.name} has no image ${reference}, and registry ${registry} is not the built-in registry (no network beyond this machine)`
    throw cannotPull(reference, why)
  }

  async #pull(reference: string, image: RegistryImage): Promise<ResolvedImage> {
    const publish = (message: Record<string, unknown>) => {
      if (pullChannel.hasSubscribers) pullChannel.publish({ host: this.client.name, image: reference, pullReference: image.pullReference, ...message })
    }
    publish({ phase: 'start' })
    // Housekeeping only: a journal that cannot be written costs a name left behind after a crash, not the run.
    await this.journal?.record(this.client.name, image.pullReference).catch(() => {})
    const headers: Record<string, string> = {}
    const credentials = this.source?.credentials()
    // URL-safe base64, padded: what the engine's decoder (Go's base64.URLEncoding) reads.
    if (credentials !== undefined) headers['x-registry-auth'] = Buffer.from(JSON.stringify(credentials)).toString('base64').replaceAll('+', '-').replaceAll('/', '_')
    const repository = `${image.registry}/${image.repository}`
    let digest: string | undefined
    try {
      await this.client.jsonLines('POST', '/images/create', { query: { fromImage: repository, tag: image.reference }, headers, noTimeout: true }, (message) => {
        const found = /^Digest: (sha256:[a-f0-9]{64})/.exec(message.status ?? '')
        if (found) digest = found[1]
        publish({
          phase: 'progress', status: message.status, layer: message.id,
          current: message.progressDetail?.current, total: message.progressDetail?.total
        })
      })
      const inspect = await this.#inspect(image.pullReference)
      if (inspect === undefined) throw new Error(`the engine reported the pull done but has no image ${image.pullReference}`)
      this.#pulled.add(image.pullReference)
      const result = resolved(image.pullReference, inspect, repository)
      if (digest !== undefined) result.digest = digest
      publish({ phase: 'done', digest: result.digest })
      return result
    } catch (error) {
      const why = error instanceof DockerApiError || error instanceof Error ? error.message : String(error)
      const failure = cannotPull(reference, why, error)
      publish({ phase: 'error', error: failure })
      throw failure
    }
  }
}
