// Starting a sandbox on its engine, step by step: its images (pulled or
// looked up: the pull times), the holder when it needs one, its containers
// created (a local image the engine lost meanwhile is looked up again) and
// checked for their program, then started, and the ports the engine picked
// read back. Each step that fails throws the RunnerError the listener will
// hear; the runner then removes whatever was created.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { invalidSpec, RunnerError, startFailed, unsupported } from '../errors.js'
import { DockerApiError } from './client.js'
import { RUNNER_NETWORK } from './hosts.js'
import type { ResolvedImage } from './images.js'
import type { ContainerInspect } from './recovery.js'
import {
  bindAddress, containerCreate, holderCreate, needsHolder, networkBindings, networkModeOf, networkProblem, programCandidates, type ContainerCreate
} from './sandbox.js'
import { markStarting } from './signals.js'
import { ensureVolumes } from './volumes.js'
import type { DockerContainer, DockerSandbox } from './state.js'

export interface LaunchSteps {
  now(): number
  /** Throws RunnerClosed once the runner is closing: checked between the steps that create things. */
  checkClosing(): void
  /** A container has started: the runner follows its output and its exit from now on. */
  started(c: DockerContainer): void
}

export async function launch(s: DockerSandbox, steps: LaunchSteps): Promise<void> {
  const { spec, host } = s
  const missing = spec.containers.findIndex((c) => !c.image)
  if (missing >= 0) throw invalidSpec(`containers[${missing}].image`, 'the docker runner runs images: every container needs one')
  const problem = networkProblem(spec)
  if (problem !== undefined) throw invalidSpec(problem.field, problem.message)
  // Refused, never run unprivileged in its place: the container asked for what the engine does not hand out.
  const privileged = spec.containers.findIndex((c) => c.privileged === true)
  if (privileged >= 0 && !host.facts.allowPrivileged) {
    throw unsupported(`containers[${privileged}].privileged`, 'the docker runner was not created allowing privileged containers')
  }
  const directories = Promise.all(spec.containers.flatMap((c) => [mkdir(dirname(c.logPath), { recursive: true }), mkdir(c.workDir, { recursive: true })]))
  s.pullStartedAt = steps.now()
  const references = [...new Set(spec.containers.map((c) => c.image!))]
  const images = new Map(await Promise.all(references.map(async (r) => [r, await host.images.ensure(r)] as const)))
  s.pullStoppedAt = steps.now()
  await directories
  steps.checkClosing()
  await ensureVolumes(s)
  if (needsHolder(spec)) {
    s.holderId = await create(s, holderCreate(host.facts, spec, await host.holderImage()), 'the sandbox holder')
    await start(s, s.holderId, 'the sandbox holder')
  }
  await Promise.all(s.containers.map(async (c) => {
    let image = images.get(c.spec.image!)!
    c.imageDigest = image.digest
    c.id = await create(s, containerCreate(host.facts, spec, c.index, image, s.holderId), `container ${c.spec.name}`, async () => {
      // The engine lost a local image since it was looked up: look again (a CannotPullContainerError if it is gone).
      host.images.forget(c.spec.image!)
      image = await host.images.ensure(c.spec.image!)
      c.imageDigest = image.digest
      return containerCreate(host.facts, spec, c.index, image, s.holderId)
    })
    await checkProgram(s, c, image)
  }))
  steps.checkClosing()
  // Those with dependsOn stay created until their conditions hold (the runner starts them: startWaiting()).
  await Promise.all(s.containers.filter((c) => (c.spec.dependsOn?.length ?? 0) === 0).map(async (c) => {
    markStarting(c)
    await start(s, c.id!, `container ${c.spec.name}`, c.index)
    c.state = 'running'
    c.started = true
    steps.started(c)
  }))
  await readBindings(s)
}

/** Starts a container that waited on its dependsOn (after running()). */
export async function startWaiting(s: DockerSandbox, c: DockerContainer): Promise<void> {
  markStarting(c)
  await start(s, c.id!, `container ${c.spec.name}`, c.index)
  c.started = true
  if (s.holderId === undefined && networkModeOf(s.spec) === 'bridge') await readBindings(s, c).catch(() => {})
}

async function create(s: DockerSandbox, request: ContainerCreate, what: string, retry?: () => Promise<ContainerCreate>): Promise<string> {
  const attempt = async (body: Record<string, unknown>) => {
    const { Id } = await s.host.client.request<{ Id: string }>('POST', '/containers/create', { query: { name: request.name }, body })
    s.created.push(Id) // at once: whatever exists is removed if the start is abandoned
    return Id
  }
  try {
    return await attempt(request.body)
  } catch (error) {
    if (error instanceof RunnerError) throw error
    if (retry !== undefined && error instanceof DockerApiError && error.statusCode === 404 && /image/i.test(error.message)) {
      try {
        return await attempt((await retry()).body)
      } catch (again) {
        if (again instanceof RunnerError) throw again
        error = again
      }
    }
    throw new RunnerError('CannotCreateContainerError', `${what}: the engine ${s.host.name} refused to create it: ${(error as Error).message}`, { cause: error })
  }
}

async function start(s: DockerSandbox, id: string, what: string, index?: number): Promise<void> {
  try {
    try {
      await s.host.client.request('POST', `/containers/${id}/start`)
    } catch (error) {
      const networkGone = error instanceof DockerApiError && error.statusCode === 404 && /network/i.test(error.message)
      if (!networkGone || s.host.facts.bridgeNetwork !== RUNNER_NETWORK) throw error
      // Another runner that had made the network removed it at its close, while nothing of this one was on it: made again.
      await s.host.recreateNetwork()
      await s.host.client.request('POST', `/containers/${id}/start`)
    }
  } catch (error) {
    throw startFailed(`${what} could not be started: ${(error as Error).message}`, error, index === undefined ? undefined : `containers[${index}]`)
  }
}

/** docker-init starts even when the program is missing (and exits 127): the runner looks first, once per image and program. */
async function checkProgram(s: DockerSandbox, c: DockerContainer, image: ResolvedImage): Promise<void> {
  if (c.spec.initProcessEnabled === false || (c.spec.mounts?.length ?? 0) > 0 || (c.spec.volumes?.length ?? 0) > 0 || (c.spec.volumesFrom?.length ?? 0) > 0) return
  const candidates = programCandidates(c.spec, image)
  if (candidates === undefined) return
  const key = `${image.id}\0${candidates.join('\0')}`
  let known = s.host.programs.get(key)
  if (known === undefined) {
    known = Promise.all(candidates.map((path) => s.host.client.head(`/containers/${c.id}/archive`, { path }).catch(() => 200)))
      .then((statuses) => statuses.some((status) => status !== 404))
    s.host.programs.set(key, known)
  }
  if (!(await known)) {
    const program = candidates.length === 1 ? candidates[0] : candidates[0].split('/').pop()!
    const field = c.spec.entryPoint !== undefined ? `containers[${c.index}].entryPoint` : `containers[${c.index}].command`
    throw startFailed(`container ${c.spec.name} could not be started: ${program} is not in image ${c.spec.image} (looked in ${candidates.join(', ')})`, undefined, field)
  }
}

/** The host ports the engine published (ephemeral ones included), from the container that publishes them. */
async function readBindings(s: DockerSandbox, only?: DockerContainer): Promise<void> {
  const mode = networkModeOf(s.spec)
  const address = bindAddress(s.spec)
  // A container that waits on its dependsOn publishes its own ports only once started (bridge): read then.
  const withPorts = (only === undefined ? s.containers : [only])
    .filter((c) => (c.spec.portMappings?.length ?? 0) > 0 && (c.started || s.holderId !== undefined || mode === 'host'))
  if (withPorts.length === 0) return
  const inspectPorts = async (id: string) => (await s.host.client.request<ContainerInspect>('GET', `/containers/${id}/json`)).NetworkSettings?.Ports ?? undefined
  const holderPorts = s.holderId === undefined || mode === 'host' ? undefined : await inspectPorts(s.holderId)
  await Promise.all(withPorts.map(async (c) => {
    const ports = holderPorts ?? (mode === 'host' ? undefined : await inspectPorts(c.id!))
    c.bindings = networkBindings(c.spec, mode, address, ports)
  }))
}
