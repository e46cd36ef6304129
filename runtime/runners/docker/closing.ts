// What the docker runner declares it can do, and what its close() removes
// after its sandboxes have ended: the task-scoped volumes it made, the network
// it made on an engine without a bridge, the image names it pulled by, what
// earlier runners left in the pulled-images journal, and its clients.

import type { RunnerCapabilities } from '../runner.js'
import type { EngineHost } from './hosts.js'
import type { DockerRunnerOptions } from './options.js'
import type { PulledJournal } from './pulled-journal.js'
import { sweepVolumes } from './volumes.js'

/** A sweep step waits this long for an engine that did not answer in time before (close()'s deadline). */
export const SWEEP_MS = 5000

export function dockerCapabilities(hosts: readonly EngineHost[], options: DockerRunnerOptions): RunnerCapabilities {
  return {
    memoryLimits: hosts.every((h) => h.memoryLimits) ? 'enforced' : 'not-enforced',
    multiContainer: true, ports: true, exec: true, images: true,
    privileged: options.allowPrivileged === true,
    networkModes: ['awsvpc', 'bridge', 'host', 'none'],
    hosts: hosts.map((h) => h.name),
    healthChecks: true, dependsOn: true, stopTimeout: true, volumes: true, volumesFrom: true, dockerLabels: true,
    ephemeralStorage: true, containerReports: true
  }
}

/** close()'s last steps; `late`: some engine did not answer in time, so each step is bounded. */
export async function sweepLeftovers(
  hosts: readonly EngineHost[], engineId: string, runnerId: string, late: boolean, journal: PulledJournal | undefined,
  clients: Map<string, EngineHost['client']>
): Promise<void> {
  const deadline = () => late ? AbortSignal.timeout(SWEEP_MS) : undefined
  // The task-scoped volumes this runner made and could not remove with their sandbox.
  await sweepVolumes(hosts, engineId, runnerId, deadline)
  // The network it made on an engine without a bridge (its pause image stays, cached like a pulled image).
  await Promise.all(hosts.map((h) => h.removeNetwork(deadline())))
  await Promise.all(hosts.map((h) => h.images.removePulled(deadline())))
  // And what earlier runners left that was still in use when this one started.
  await journal?.sweep(clients, AbortSignal.timeout(SWEEP_MS)).catch(() => {})
  await Promise.all(hosts.map((h) => h.client.close()))
}
