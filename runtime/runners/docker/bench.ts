// What bench/containers.ts needs beside the runner itself: the floor a docker
// runner's start is measured against — the Engine API's create + start of the
// same image, nothing else, over the same client — and the removal of what
// the floor made. Not used by the runner.
import { DockerClient, type DockerHost } from './client.js'
import { labelFilter } from './recovery.js'

export interface FloorContainer {
  id: string
  /** ms from POST /containers/create to the answer of POST /containers/{id}/start (performance.now()). */
  startMs: number
}

/** A client of the engine (default: the local one), the API version negotiated as the runner's is. */
export function connectEngine(host: DockerHost = { name: 'local', socketPath: '/var/run/docker.sock' }): Promise<DockerClient> {
  return DockerClient.connect(host)
}

/** Creates and starts one container: the least any runner must do. */
export async function floorStart(client: DockerClient, options: { image: string; command: string[]; labels: Record<string, string> }): Promise<FloorContainer> {
  const t0 = performance.now()
  const { Id } = await client.request<{ Id: string }>('POST', '/containers/create', { body: { Image: options.image, Cmd: options.command, Labels: options.labels } })
  await client.request('POST', `/containers/${Id}/start`)
  return { id: Id, startMs: performance.now() - t0 }
}

/** Removes (force) every container carrying all the labels: the floor's, after a run or a failure. */
export async function removeLabelled(client: DockerClient, labels: Record<string, string>): Promise<number> {
  const found = await client.request<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: true, filters: labelFilter(labels) } })
  await Promise.allSettled(found.map((c) => client.request('DELETE', `/containers/${c.Id}`, { query: { force: true, v: true } })))
  return found.length
}
