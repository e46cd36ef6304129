// The docker runner's options (runner.ts).
import type { ImageSource } from '../images.js'
import type { DockerHost } from './client.js'

export interface DockerRunnerOptions {
  /** The engine's id: every container is labelled with it, and a runner of the same id recovers them. */
  engineId: string
  /** The engine's clock (ms since the epoch): startedAt, stoppedAt, pull times. */
  now?: () => number
  /** The built-in registry: its references are pulled from it. */
  images?: ImageSource
  /** The Docker engines (default: the local one, /var/run/docker.sock); the first is the default host. */
  hosts?: readonly DockerHost[]
  /** Privileged containers are refused unless this is true. */
  allowPrivileged?: boolean
  /** SIGTERM → SIGKILL grace of stop() and of stopping the others after an essential exit (default 10 s). */
  graceMs?: number
  /**
   * How long close() waits for its sandboxes to end and be removed (default 30 s). An engine that
   * does not answer by then is given up on: its sandboxes are reported ended (`lost` says why).
   */
  closeTimeoutMs?: number
  /**
   * A directory the runner keeps state in (the engine's data dir gives one): the names it pulled
   * images by, which the next runner of the same directory untags should this one be killed.
   */
  stateDir?: string
}
