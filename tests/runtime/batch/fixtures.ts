// Shared set-up of the Batch tests: an embedded cloud on the manual clock with
// the simulated runner, where a job lasts STRATUS_SIM_SECONDS of clock time and
// exits with STRATUS_SIM_EXIT. Not a test file (tap runs *.test.ts only).
import { Stratus, type CloudEvent, type EmbeddedOptions, type JobDetail, type JobStatus } from '../../../sdk/index.js'

export type Cloud = Stratus

/** The whole engine in this process: manual clock, simulated runner. */
export function simulatedCloud(options: EmbeddedOptions = {}): Promise<Stratus> {
  return Stratus.embedded({ clock: 'manual', runner: 'simulated', ...options })
}

/**
 * An UNMANAGED environment with one node (so the order in which jobs start is
 * observable: one at a time with the default 1-vCPU definition), its queue and
 * a definition of 1 vCPU and 128 MiB.
 */
export async function oneNode(cloud: Stratus, node: { vcpus?: number; memory?: number } = {}) {
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: node.vcpus ?? 1, memory: node.memory ?? 1024 * (node.vcpus ?? 1) })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('work').command('sh', '-c', 'true').vcpus(1).memory(128).register()
  return { ce, queue, def }
}

/** Lets the engine finish what is in flight without moving time. */
export async function settle(cloud: Stratus): Promise<void> {
  await cloud.clock.advance(0)
}

/** Every Batch Job State Change event, in delivery order. */
export function recordEvents(cloud: Stratus, pattern: Record<string, unknown> = { source: ['aws.batch'] }): CloudEvent<JobDetail>[] {
  const events: CloudEvent<JobDetail>[] = []
  cloud.events.subscribe(pattern as never, (e) => {
    events.push(e as CloudEvent<JobDetail>)
  })
  return events
}

/** The statuses one job (or child) went through, from the recorded events. */
export function statusesOf(events: CloudEvent<JobDetail>[], jobId: string): JobStatus[] {
  return events.filter((e) => e.detail.jobId === jobId).map((e) => e.detail.status)
}

/** Simulated work: lasts `seconds` of clock time, exits with `exit`. */
export function sim(seconds: number, exit = 0, extra: Record<string, string> = {}): Record<string, string> {
  return { STRATUS_SIM_SECONDS: String(seconds), STRATUS_SIM_EXIT: String(exit), ...extra }
}

export const HOUR = 3_600_000
