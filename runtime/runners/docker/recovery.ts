// Recovery: a runner of an engine finds, on every host, the containers an
// earlier runner of the same engine left (label stratus.engine), and rebuilds
// each sandbox from its containers' labels — its id, its own labels, its
// address and network mode, and per container its name, place, essential
// flag, log file and port mappings. What it needs of the live state (which
// containers still run, the exit status of those that ended, the published
// ports) it asks the engine.
import { oomEventSeen } from './oom.js'
import type { ContainerSpec, HealthCheck, PortMapping, SandboxSpec } from '../runner.js'
import type { EngineHost } from './hosts.js'
import { LABEL, networkBindings, networkModeOf, type NetworkMode } from './sandbox.js'
import { DockerSandbox } from './state.js'

interface ListedContainer {
  Id: string
  ImageID: string
  Labels: Record<string, string>
  State: string
}

export interface ContainerInspect {
  Id: string
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; StartedAt: string; Pid: number }
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> }
  /** The hard memory limit in bytes (0: none). */
  HostConfig?: { Memory?: number }
}

/** The label filter of GET /containers/json and /events. */
export function labelFilter(labels: Record<string, string>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) })
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text === undefined || text === '' ? fallback : (JSON.parse(text) as T)
  } catch {
    return fallback
  }
}

/** The containers of an engine id on one host, grouped by sandbox. */
export async function listEngineContainers(host: EngineHost, engineId: string): Promise<Map<string, ListedContainer[]>> {
  const listed = await host.client.request<ListedContainer[]>('GET', '/containers/json', {
    query: { all: true, filters: labelFilter({ [LABEL.engine]: engineId }) }
  })
  const groups = new Map<string, ListedContainer[]>()
  for (const c of listed) {
    const id = c.Labels[LABEL.sandbox]
    if (id === undefined) continue
    const group = groups.get(id) ?? []
    group.push(c)
    groups.set(id, group)
  }
  return groups
}

/** A recovered container's spec: what its labels say (the rest of a ContainerSpec is not needed any more). */
function containerSpec(labels: Record<string, string>): ContainerSpec {
  return {
    name: labels[LABEL.container], essential: labels[LABEL.essential] !== 'false', command: [], env: {},
    vcpus: 0, memoryMiB: 0, gpus: 0, logPath: labels[LABEL.logPath] ?? '', workDir: '',
    portMappings: parseJson<PortMapping[] | undefined>(labels[LABEL.ports], undefined),
    ...(labels[LABEL.healthCheck] !== undefined ? { healthCheck: parseJson<HealthCheck | undefined>(labels[LABEL.healthCheck], undefined) } : {}),
    ...(labels[LABEL.stopTimeout] !== undefined ? { stopTimeoutSeconds: Number(labels[LABEL.stopTimeout]) } : {}),
    ...(labels[LABEL.workDir] !== undefined ? { workDir: labels[LABEL.workDir] } : {})
  }
}

/**
 * Rebuilds one sandbox from its containers. Containers that ended carry their
 * exit; a sandbox whose containers were never all created (an earlier runner
 * died while starting it) is rebuilt from those that were. One with no member
 * container at all — only its holder, the runner having died between creating
 * it and its members — never ran: its containers are removed and nothing is
 * recovered (undefined).
 */
export async function recoverSandbox(host: EngineHost, id: string, listed: ListedContainer[]): Promise<DockerSandbox | undefined> {
  const holder = listed.find((c) => c.Labels[LABEL.role] === 'holder')
  const members = listed.filter((c) => c !== holder && c.Labels[LABEL.container] !== undefined && c.Labels[LABEL.container] !== '')
    .sort((a, b) => Number(a.Labels[LABEL.index]) - Number(b.Labels[LABEL.index]))
  if (members.length === 0) {
    await Promise.allSettled(listed.map((c) => host.client.request('DELETE', `/containers/${c.Id}`, { query: { force: true, v: true } })))
    return undefined
  }
  const first = members[0].Labels
  const address = first[LABEL.address]
  const spec: SandboxSpec = {
    id,
    labels: parseJson<Record<string, string>>(first[LABEL.labels], {}),
    ...(address ? { address } : {}),
    networkMode: (first[LABEL.networkMode] as NetworkMode | undefined) ?? 'awsvpc',
    containers: members.map((c) => containerSpec(c.Labels)),
    ...(first[LABEL.workDir] !== undefined ? { ephemeralStorage: true } : {})
  }
  const sandbox = new DockerSandbox(spec, host, undefined, true)
  for (const c of listed) sandbox.created.push(c.Id)
  sandbox.holderId = holder?.Id
  const inspects = await Promise.all(members.map((c) => host.client.request<ContainerInspect>('GET', `/containers/${c.Id}/json`).catch(() => undefined)))
  const publisher = holder === undefined ? undefined : await host.client.request<ContainerInspect>('GET', `/containers/${holder.Id}/json`).catch(() => undefined)
  // An exit of 137 under a hard memory limit while the runner was away: the engine's events tell whether it was an OOM kill (oom.ts).
  const oomKilled = await Promise.all(inspects.map((inspect, i) => inspect === undefined || inspect.State.Running ? false
    : inspect.State.OOMKilled || (inspect.State.ExitCode === 137 && (inspect.HostConfig?.Memory ?? 0) > 0 && oomEventSeen(host.client, members[i].Id, inspect.State.StartedAt))))
  const bindIp = networkModeOf(spec) === 'awsvpc' ? address || '127.0.0.1' : '127.0.0.1'
  let startedAt: number | undefined
  members.forEach((listedContainer, i) => {
    const container = sandbox.containers[i]
    const inspect = inspects[i]
    container.id = listedContainer.Id
    container.imageDigest = listedContainer.ImageID
    if (inspect === undefined || !inspect.State.Running) {
      container.state = 'exited'
      // Never started (created only: it waited on its dependsOn, or the start was cut short), or gone: no exit status of its own.
      const created = inspect !== undefined && inspect.State.Status === 'created'
      container.started = !created
      container.exit = inspect === undefined || created
        ? { name: container.spec.name, exitCode: null, signal: null, oomKilled: false, ...(created ? { notStarted: true } : {}) }
        : container.exitFrom(inspect.State.ExitCode, oomKilled[i])
    } else {
      container.state = 'running'
      container.started = true
    }
    const ports = (publisher ?? inspect)?.NetworkSettings?.Ports
    container.bindings = networkBindings(container.spec, networkModeOf(spec), bindIp, ports ?? undefined)
    const started = inspect === undefined ? NaN : Date.parse(inspect.State.StartedAt)
    if (Number.isFinite(started) && started > 0 && (startedAt === undefined || started < startedAt)) startedAt = started
  })
  sandbox.startedAt = startedAt
  sandbox.state = 'running'
  return sandbox
}
