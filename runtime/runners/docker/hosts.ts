// The engines a docker runner places sandboxes on. Each is connected once at
// creation: the API version negotiated, what the engine's machine has (CPUs,
// whether memory limits hold), and the network that sandboxes publishing
// ports sit on — the engine's default `bridge`, or, on an engine started with
// --bridge=none (as the second engine of the tests is), a bridge network the
// runner makes itself (`stratus`, found again by name), so that port
// publishing through the engine's docker-proxy works on every engine. The
// runner that made it (or a later runner of the same engine id, which took
// over what an earlier one left) removes it at close() when no container is
// on it any more; a runner that found one made by another engine id leaves it.
import type { ImageSource } from '../images.js'
import { invalidArgument } from '../errors.js'
import { DockerApiError, DockerClient, hostProblem, type DockerHost } from './client.js'
import { ensureHolderImage } from './holder.js'
import { HostImages } from './images.js'
import type { PulledJournal } from './pulled-journal.js'
import { LABEL, type EngineFacts } from './sandbox.js'

/** The bridge network the runner makes on an engine that has none. */
export const RUNNER_NETWORK = 'stratus'

export const LOCAL_HOST: DockerHost = { name: 'local', socketPath: '/var/run/docker.sock' }

interface EngineInfo {
  NCPU?: number
  MemoryLimit?: boolean
  /** uname -m of the engine's machine (x86_64, aarch64). */
  Architecture?: string
}

interface NetworkInspect {
  Labels?: Record<string, string> | null
  Containers?: Record<string, unknown> | null
}

export class EngineHost {
  #holder: Promise<string> | undefined = undefined
  #network: Promise<void> | undefined = undefined
  /** Whether a program exists in an image (docker-init would start a missing one and exit 127): checked once per image. */
  readonly programs = new Map<string, Promise<boolean>>()

  constructor(
    readonly client: DockerClient,
    readonly facts: EngineFacts,
    readonly images: HostImages,
    readonly memoryLimits: boolean,
    readonly architecture: string,
    /** Whether the bridge network is this engine id's own (`stratus`, made by this runner or an earlier one of its engine id). */
    public ownsNetwork: boolean
  ) {}

  get name(): string {
    return this.client.name
  }

  /** The holder image, imported into this engine the first time a sandbox needs one. */
  holderImage(): Promise<string> {
    if (this.#holder === undefined) {
      this.#holder = ensureHolderImage(this.client, this.architecture)
      this.#holder.catch(() => { this.#holder = undefined })
    }
    return this.#holder
  }

  /** Makes the runner's network again (someone removed it while none of this runner's containers was on it). */
  recreateNetwork(): Promise<void> {
    this.#network ??= makeNetwork(this.client, this.facts.engineId).then((made) => {
      if (made) this.ownsNetwork = true
    }).finally(() => { this.#network = undefined })
    return this.#network
  }

  /** At close(): removes the runner's network when it is this engine id's and no container is on it (best effort). */
  async removeNetwork(signal?: AbortSignal): Promise<void> {
    if (!this.ownsNetwork || this.facts.bridgeNetwork !== RUNNER_NETWORK) return
    try {
      const network = await this.client.request<NetworkInspect>('GET', `/networks/${RUNNER_NETWORK}`, { signal })
      if (network.Labels?.[LABEL.engine] !== this.facts.engineId || Object.keys(network.Containers ?? {}).length > 0) return
      await this.client.request('DELETE', `/networks/${RUNNER_NETWORK}`, { signal })
    } catch {
      // Gone already, in use after all (the engine refuses), or the engine does not answer: it stays.
    }
  }
}

/** Creates the runner's network: true when this call made it, false when another runner had meanwhile. */
async function makeNetwork(client: DockerClient, engineId: string): Promise<boolean> {
  try {
    await client.request('POST', '/networks/create', {
      body: { Name: RUNNER_NETWORK, Driver: 'bridge', CheckDuplicate: true, Labels: { [LABEL.engine]: engineId, 'stratus.network': 'runner' } }
    })
    return true
  } catch (error) {
    if (!(error instanceof DockerApiError && error.statusCode === 409)) throw error
    return false
  }
}

/** The network sandboxes publish ports on, and whether it is this engine id's own to remove. */
async function bridgeNetwork(client: DockerClient, engineId: string): Promise<{ name: string; owned: boolean }> {
  for (const name of ['bridge', RUNNER_NETWORK]) {
    try {
      const network = await client.request<NetworkInspect>('GET', `/networks/${name}`)
      return { name, owned: name === RUNNER_NETWORK && network.Labels?.[LABEL.engine] === engineId }
    } catch (error) {
      if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error
    }
  }
  // false: another runner made it in the meantime.
  return { name: RUNNER_NETWORK, owned: await makeNetwork(client, engineId) }
}

/** Connects to every host (in order: the first is the default), each with its facts. */
export async function connectHosts(
  hosts: readonly DockerHost[],
  options: { engineId: string; runnerId: string; allowPrivileged: boolean; images: ImageSource | undefined; journal?: PulledJournal }
): Promise<EngineHost[]> {
  // Every host is checked before any is dialled: a bad one changes nothing, and sends nothing anywhere.
  hosts.forEach((host, i) => {
    const problem = hostProblem(host)
    if (problem !== undefined) throw invalidArgument(`hosts[${i}].${problem.field}`, `${host.name}: ${problem.message}`)
  })
  const connected: EngineHost[] = []
  try {
    for (const host of hosts) {
      const client = await DockerClient.connect(host).catch((error: Error) => {
        throw new Error(`the Docker engine ${host.name} (${host.socketPath ?? host.url}) does not answer: ${error.message}`, { cause: error })
      })
      try {
        const info = await client.request<EngineInfo>('GET', '/info')
        const network = await bridgeNetwork(client, options.engineId)
        const facts: EngineFacts = {
          engineId: options.engineId, runnerId: options.runnerId, allowPrivileged: options.allowPrivileged,
          cpus: info.NCPU ?? 1, bridgeNetwork: network.name
        }
        connected.push(new EngineHost(
          client, facts, new HostImages(client, options.images, options.journal), info.MemoryLimit !== false, info.Architecture ?? 'unknown', network.owned
        ))
      } catch (error) {
        await client.close()
        throw error
      }
    }
    return connected
  } catch (error) {
    await Promise.all(connected.map((h) => h.client.close()))
    throw error
  }
}
