// The engines a docker runner places sandboxes on. Each is connected once at
// creation: the API version negotiated, what the engine's machine has (CPUs,
// whether memory limits hold), and the network that sandboxes publishing
// ports sit on — the engine's default `bridge`, or, on an engine started with
// --bridge=none (as the second engine of the tests is), a bridge network the
// runner makes itself (`stratus`, found again by name), so that port
// publishing through the engine's docker-proxy works on every engine.
import type { ImageSource } from '../images.js'
import { DockerApiError, DockerClient, type DockerHost } from './client.js'
import { ensureHolderImage } from './holder.js'
import { HostImages } from './images.js'
import type { EngineFacts } from './sandbox.js'

/** The bridge network the runner makes on an engine that has none. */
export const RUNNER_NETWORK = 'stratus'

export const LOCAL_HOST: DockerHost = { name: 'local', socketPath: '/var/run/docker.sock' }

interface EngineInfo {
  NCPU?: number
  MemoryLimit?: boolean
  /** uname -m of the engine's machine (x86_64, aarch64). */
  Architecture?: string
}

export class EngineHost {
  #holder: Promise<string> | undefined = undefined
  /** Whether a program exists in an image (docker-init would start a missing one and exit 127): checked once per image. */
  readonly programs = new Map<string, Promise<boolean>>()

  constructor(
    readonly client: DockerClient,
    readonly facts: EngineFacts,
    readonly images: HostImages,
    readonly memoryLimits: boolean,
    readonly architecture: string
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
}

async function bridgeNetwork(client: DockerClient, engineId: string): Promise<string> {
  for (const name of ['bridge', RUNNER_NETWORK]) {
    try {
      await client.request('GET', `/networks/${name}`)
      return name
    } catch (error) {
      if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error
    }
  }
  try {
    await client.request('POST', '/networks/create', {
      body: { Name: RUNNER_NETWORK, Driver: 'bridge', CheckDuplicate: true, Labels: { 'stratus.engine': engineId, 'stratus.network': 'runner' } }
    })
  } catch (error) {
    // Another runner made it in the meantime.
    if (!(error instanceof DockerApiError && error.statusCode === 409)) throw error
  }
  return RUNNER_NETWORK
}

/** Connects to every host (in order: the first is the default), each with its facts. */
export async function connectHosts(
  hosts: readonly DockerHost[], options: { engineId: string; runnerId: string; allowPrivileged: boolean; images: ImageSource | undefined }
): Promise<EngineHost[]> {
  const connected: EngineHost[] = []
  try {
    for (const host of hosts) {
      const client = await DockerClient.connect(host).catch((error: Error) => {
        throw new Error(`the Docker engine ${host.name} (${host.socketPath ?? host.url}) does not answer: ${error.message}`, { cause: error })
      })
      try {
        const info = await client.request<EngineInfo>('GET', '/info')
        const facts: EngineFacts = {
          engineId: options.engineId, runnerId: options.runnerId, allowPrivileged: options.allowPrivileged,
          cpus: info.NCPU ?? 1, bridgeNetwork: await bridgeNetwork(client, options.engineId)
        }
        connected.push(new EngineHost(client, facts, new HostImages(client, options.images), info.MemoryLimit !== false, info.Architecture ?? 'unknown'))
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
