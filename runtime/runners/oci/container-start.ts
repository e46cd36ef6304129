// Starting one container of a sandbox: its bundle, then its shim (through the
// shim server), then waiting for the shim to say it runs, or why it does not:
//   execfail <errno>   init could not exec the program: RunnerStartFailed (the task's
//                      CannotStartContainerError), naming the program
//   failed <status>    the runtime refused: its log says why (a program it cannot exec
//                      is a start failure too; anything else CannotCreateContainerError)
//   pid <pid>          it runs
// After that, the shim's end means the container's (its last event said how).
import { join } from 'node:path'
import { invalidSpec, RunnerError, startFailed, unsupported } from '../errors.js'
import type { SandboxSpec } from '../runner.js'
import { prepareBundle, type BundleContext } from './bundle.js'
import type { MemoryCgroups } from './cgroups.js'
import { getSystemErrorMessage } from './errno.js'
import type { PulledImage } from './image-store.js'
import { processArgs } from './oci-config.js'
import { runtimeError, type OciRuntime, type ShimServer } from './runtime.js'
import type { OciContainer, OciSandbox } from './sandbox.js'
import { applyEvent, sandboxKey } from './state.js'

/**
 * What this runner needs beyond the wrapper's checks, before anything is pulled or started:
 * an image per container, what ECS refuses per network mode (no ports without a network; on
 * the host's, a host port is the container's), and what this runner cannot do: publish a udp
 * port from a namespace of the sandbox's own (port-forward.ts forwards tcp; on the host's
 * network the container binds the host's port itself, udp too).
 */
export function preflight(spec: SandboxSpec): void {
  spec.containers.forEach((c, i) => {
    if (c.image === undefined) throw invalidSpec(`containers[${i}].image`, 'the oci runner runs images: one is required')
  })
  spec.containers.forEach((c, i) => (c.portMappings ?? []).forEach((m, p) => {
    if (spec.networkMode === 'none') throw invalidSpec(`containers[${i}].portMappings`, 'network mode none has no ports to publish')
    if (spec.networkMode === 'host' && m.hostPort !== undefined && m.hostPort !== 0 && m.hostPort !== m.containerPort) {
      throw invalidSpec(`containers[${i}].portMappings[${p}].hostPort`, `in network mode host it must be the containerPort (${m.containerPort})`)
    }
    if ((m.protocol ?? 'tcp') !== 'tcp' && spec.networkMode !== 'host') {
      throw unsupported(`containers[${i}].portMappings[${p}].protocol`, `the oci runner publishes tcp ports only (${m.protocol} port ${m.containerPort}); in network mode host the container binds it itself`)
    }
  }))
}

export interface StartContext {
  bundle: BundleContext
  runtime: OciRuntime
  shims: ShimServer
  memory: MemoryCgroups | undefined
  /** Throws RunnerClosed once the runner is closing. */
  checkOpen(): void
  /** The container's shim ended after it ran. */
  ended(sandbox: OciSandbox, container: OciContainer): void
  /** Its shim can no longer be heard: watch its events file. */
  watch(sandbox: OciSandbox, container: OciContainer): void
}

/** Prepares one container's bundle and starts its shim; resolves once it runs. */
export async function startContainer(context: StartContext, s: OciSandbox, i: number, spec: SandboxSpec, pulled: PulledImage, network: string): Promise<void> {
  const c = s.containers[i]
  const cs = spec.containers[i]
  if (processArgs(cs, pulled.image.config).length === 0) {
    throw new RunnerError('CannotCreateContainerError', `container ${cs.name}: no command specified (the image ${cs.image} has no Entrypoint or Cmd, and the task gives no command)`, { field: `containers[${i}].command` })
  }
  const bundle = await prepareBundle(context.bundle, {
    runtimeId: c.record.runtimeId, container: cs, pulled, hostname: sandboxKey(spec.id),
    address: spec.address ?? '127.0.0.1', network, privileged: cs.privileged === true
  })
  if (context.memory !== undefined) c.record.memoryCgroup = join(context.memory.own, context.bundle.cgroupParent, c.record.runtimeId)
  context.checkOpen()
  const args = context.runtime.runArgs(c.record.runtimeId, bundle.dir, bundle.pidFile, bundle.runtimeLog, bundle.withInit)
  c.created = true
  await new Promise<void>((resolve, reject) => {
    let settled = false
    const fail = (error: RunnerError) => { if (!settled) { settled = true; reject(error) } }
    const oomFile = c.record.memoryCgroup === undefined ? undefined : join(c.record.memoryCgroup, context.memory!.version === 1 ? 'memory.oom_control' : 'memory.events')
    context.shims.start(c.record.runtimeId, {
      events: bundle.events, pidFile: bundle.pidFile, withInit: bundle.withInit, logFile: cs.logPath, oomFile,
      deleteArgs: context.runtime.deleteArgs(c.record.runtimeId), runArgs: args
    }, { line: (line) => {
      if (line.startsWith('spawned ')) {
        c.record.shimPid = Number(line.slice(8))
        return
      }
      applyEvent(c.events, line)
      if (line.startsWith('execfail ')) {
        fail(startFailed(`container ${cs.name}: cannot run ${JSON.stringify(processArgs(cs, pulled.image.config)[0])}: ${getSystemErrorMessage(c.events.execFailed!)}`, undefined, `containers[${i}].command`))
      } else if (line.startsWith('failed ')) {
        void runtimeError(bundle.runtimeLog).then((why) => fail(runtimeFailure(context.runtime, cs.name, i, why)))
      } else if (line.startsWith('pid ') && !settled) {
        settled = true
        c.record.pid = c.events.pid
        c.state = 'running'
        resolve()
      }
    }, serverGone: () => {
      if (!settled) fail(startFailed(`the shim server exited while container ${cs.name} was starting`))
      else context.watch(s, c)
    }, closed: () => {
      if (!settled) {
        if (c.events.failed !== undefined) return // the runtime's reason is on its way
        fail(startFailed(`the shim of container ${cs.name} ended before it ran (${c.events.ended === undefined ? 'no reason' : JSON.stringify(c.events.ended)})`))
        return
      }
      context.ended(s, c)
    } })
  })
}

/** The runtime refused: a program it cannot exec is a start failure, anything else a create failure. */
function runtimeFailure(runtime: OciRuntime, name: string, i: number, why: string | undefined): RunnerError {
const message = `container ${name}: ${runtime.name} could not start it: ${why ?? 'no reason logged'}`
  if (why !== undefined && /exec|executable file not found|no such file or directory|permission denied/i.test(why) && /unable to start container process/.test(why)) {
    return startFailed(message, undefined, `containers[${i}].command`)
  }
  return new RunnerError('CannotCreateContainerError', message, { field: `containers[${i}]` })
}
