// A sandbox's named volumes on its engine (ECS's Docker volumes): task-scoped
// ones are the sandbox's own — created before its containers, labelled with the
// engine, sandbox and runner, removed after its containers at its end (and by
// close()'s sweep, or the recovering runner, by those labels); a shared one is
// the engine's volume of that name, used when it exists, created only with
// autoprovision, and kept. And close()'s sweep of what a runner made.
import { RunnerError } from '../errors.js'
import { DockerApiError } from './client.js'
import type { EngineHost } from './hosts.js'
import { labelFilter } from './recovery.js'
import { LABEL, sandboxVolumes, volumeLabels, volumeName } from './sandbox.js'
import type { DockerSandbox } from './state.js'

export async function ensureVolumes(s: DockerSandbox): Promise<void> {
  const { client, facts } = s.host
  await Promise.all(sandboxVolumes(s.spec).map(async (v) => {
    const name = volumeName(facts, s.spec, v)
    if (v.scope === 'shared') {
      const exists = await client.request('GET', `/volumes/${encodeURIComponent(name)}`).then(() => true, (error) => {
        if (error instanceof DockerApiError && error.statusCode === 404) return false
        throw error
      })
      if (exists) return
      if (v.autoprovision !== true) {
        throw new RunnerError('CannotCreateContainerError', `volume ${name} does not exist on ${s.host.name}, and autoprovision is off`, { field: 'volumes', kind: 'NotFound' })
      }
    } else {
      s.volumes.push(name) // before it exists: removed if the start is abandoned
    }
    try {
      await client.request('POST', '/volumes/create', { body: { Name: name, Driver: v.driver ?? 'local', Labels: volumeLabels(facts, s.spec, v) } })
    } catch (error) {
      throw new RunnerError('CannotCreateContainerError', `volume ${name}: the engine ${s.host.name} refused to create it: ${(error as Error).message}`, { cause: error, field: 'volumes' })
    }
  }))
}

/** The task-scoped volumes of an engine id carrying the given labels too. */
export async function taskVolumes(host: EngineHost, engineId: string, labels: Record<string, string>, signal?: AbortSignal): Promise<string[]> {
  const answer = await host.client.request<{ Volumes: Array<{ Name: string }> | null }>('GET', '/volumes', {
    query: { filters: labelFilter({ [LABEL.engine]: engineId, [LABEL.volumeScope]: 'task', ...labels }) }, signal
  }).catch(() => ({ Volumes: [] }))
  return (answer.Volumes ?? []).map((v) => v.Name)
}

/** Removes a volume (already gone: nothing to do). */
export async function removeVolume(host: EngineHost, name: string, signal?: AbortSignal): Promise<void> {
  await host.client.request('DELETE', `/volumes/${encodeURIComponent(name)}`, { signal }).catch((error) => {
    if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error
  })
}

/**
 * close()'s sweep: the containers a runner made (its label) and those of the sandboxes
 * left (an engine that did not answer in time), as far as each engine answers now.
 * The ids removed (or already gone).
 */
export async function sweepContainers(
  hosts: readonly EngineHost[], engineId: string, runnerId: string, left: readonly DockerSandbox[], deadline: () => AbortSignal | undefined
): Promise<Set<string>> {
  const removed = new Set<string>()
  await Promise.all(hosts.map(async (host) => {
    const signal = deadline()
    const mine = await host.client.request<Array<{ Id: string }>>('GET', '/containers/json', {
      query: { all: true, filters: labelFilter({ [LABEL.engine]: engineId, [LABEL.runner]: runnerId }) }, signal
    }).catch(() => [])
    const ids = new Set([...mine.map((c) => c.Id), ...left.filter((s) => s.host === host).flatMap((s) => s.created)])
    await Promise.all([...ids].map((id) => host.client.request('DELETE', `/containers/${id}`, { query: { force: true, v: true }, signal }).then(
      () => removed.add(id),
      (error) => { if (error instanceof DockerApiError && error.statusCode === 404) removed.add(id) }
    )))
  }))
  return removed
}

/** close()'s sweep of the task-scoped volumes a runner made (once their containers are gone). */
export async function sweepVolumes(hosts: readonly EngineHost[], engineId: string, runnerId: string, deadline: () => AbortSignal | undefined): Promise<void> {
  await Promise.all(hosts.map(async (host) => {
    const signal = deadline()
    const names = await taskVolumes(host, engineId, { [LABEL.runner]: runnerId }, signal)
    await Promise.allSettled(names.map((name) => removeVolume(host, name, signal)))
  }))
}
