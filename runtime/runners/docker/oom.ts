// Was a container's exit 137 the kernel's OOM kill? The engine's State.OOMKilled
// is not enough on its own: the OOM notification (cgroup v1's eventfd, v2's
// memory.events, read by containerd) and the process's exit reach the engine
// separately, and when the exit comes first — a loaded machine — engines of the
// 20.10 line never set OOMKilled on the stopped container. The "oom" event they
// log is kept in their event history all the same, so an exit of 137 under a
// hard memory limit that the runner did not send asks the history for it, and
// asks again (later and later) for a notification still on its way.
import type { DockerClient } from './client.js'

/** How often a 137 under a memory limit is asked about again, the first pause, and the longest. */
export const OOM_RECHECKS = 7
const OOM_FIRST_MS = 50
const OOM_MAX_MS = 1000

/** The pause before the nth recheck (0-based): doubling from 50 ms to 1 s; about 3.5 s in all. */
export function oomRecheckDelay(n: number): number {
  return Math.min(OOM_FIRST_MS * 2 ** n, OOM_MAX_MS)
}

/** Engine time as /events takes it: seconds, with nanoseconds after the point. */
function eventTime(ms: number): string {
  return (ms / 1000).toFixed(9)
}

/**
 * Did the engine log an "oom" event for the container since it started? A
 * history query (`until` now) answers at once. An engine that does not answer
 * (or a start time it cannot read) says no: the exit then stands as it is.
 */
export async function oomEventSeen(client: DockerClient, id: string, startedAt: string): Promise<boolean> {
  const started = Date.parse(startedAt)
  const since = Number.isFinite(started) && started > 0 ? started - 1000 : Date.now() - 3_600_000
  try {
    const body = await client.stream('GET', '/events', {
      query: {
        since: eventTime(since), until: eventTime(Date.now()),
        filters: JSON.stringify({ type: ['container'], container: [id], event: ['oom'] })
      }
    })
    let text = ''
    for await (const chunk of body) text += (chunk as Buffer).toString('utf8')
    return text.split('\n').some((line) => {
      if (line.trim() === '') return false
      const event = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } }
      return (event.Action ?? event.status) === 'oom' && (event.Actor?.ID ?? event.id) === id
    })
  } catch {
    return false
  }
}
