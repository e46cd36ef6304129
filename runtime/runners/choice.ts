// Which runners an engine uses, from the `runner` option (`stratus serve
// --runner`, `Stratus.embedded({ runner })`):
//
//   auto (default)  docker when a Docker engine answers, else oci when runc or
//                   crun is installed and the engine runs as root, else process
//   docker | oci    containers; work without an image runs as a process
//   process         commands only: a job with an image fails to start, naming it
//   simulated       nothing runs; the clock decides (STRATUS_SIM_*)
//
// The pools of new compute environments are backed by the chosen runner; a
// container runner brings the process runner along as its command runner.
import { execFile } from 'node:child_process'
import { Agent, request } from 'undici'

export type RunnerChoice = 'auto' | 'docker' | 'oci' | 'process' | 'simulated'

export const RUNNER_CHOICES: readonly RunnerChoice[] = ['auto', 'docker', 'oci', 'process', 'simulated']

/** The runner that runs work without an image, for each container runner. */
export const COMMAND_RUNNERS: Readonly<Record<string, string>> = Object.freeze({ docker: 'process', oci: 'process' })

export interface RunnerProbe {
  /** The unix socket of the local Docker engine (DOCKER_HOST=unix://… or /var/run/docker.sock). */
  dockerSocket: string
  /** Why each container runner is not available here; absent: it is. */
  unavailable: { docker?: string; oci?: string }
}

export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST
  return host !== undefined && host.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock'
}

async function dockerAnswers(socketPath: string): Promise<string | undefined> {
  const dispatcher = new Agent({ connect: { socketPath, timeout: 1000 } })
  try {
    const res = await request('http://docker/_ping', { dispatcher, headersTimeout: 2000, bodyTimeout: 2000 })
    await res.body.text()
    return res.statusCode === 200 ? undefined : `the Docker engine at ${socketPath} answered ${res.statusCode}`
  } catch (error) {
    return `no Docker engine answers at ${socketPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
  } finally {
    await dispatcher.close()
  }
}

function installed(program: string): Promise<boolean> {
  return new Promise((resolve) => execFile(program, ['--version'], (error) => resolve(error === null)))
}

async function ociMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the oci runner needs root (runc/crun with cgroups and network namespaces)'
  if (await installed('runc') || await installed('crun')) return undefined
  return 'neither runc nor crun is installed (Debian: apt-get install runc)'
}

/** What this machine offers, asked once per engine start (a ping on the Docker socket, a runc --version). */
export async function probeRunners(env: NodeJS.ProcessEnv = process.env): Promise<RunnerProbe> {
  const dockerSocket = dockerSocketPath(env)
  const [docker, oci] = await Promise.all([dockerAnswers(dockerSocket), ociMissing()])
  return { dockerSocket, unavailable: { ...(docker ? { docker } : {}), ...(oci ? { oci } : {}) } }
}

/** The runner `auto` stands for here: the first available of docker, oci, process. */
export function resolveAuto(probe: RunnerProbe, registered: ReadonlySet<string>): string {
  if (registered.has('docker') && probe.unavailable.docker === undefined) return 'docker'
  if (registered.has('oci') && probe.unavailable.oci === undefined) return 'oci'
  return 'process'
}
