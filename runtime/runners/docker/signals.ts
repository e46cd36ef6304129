// Signalling a container the runner started moments ago. Its init (docker-init,
// PID 1 of the container's PID namespace) blocks every signal first thing and
// only then forks the program; a signal that reaches it before, while it has no
// handler, is dropped by the kernel (PID 1 of a namespace ignores the signals it
// does not handle), so a stop right after the start waited out its whole grace
// and ended in SIGKILL. The engine answers the start once the init has been
// exec'd, not once it blocked its signals: on a loaded machine the gap swallowed
// about one SIGTERM in fifty sent at once (tests/runtime/runners/docker-stop.test.ts).
// So a signal for a container started less than INIT_READY_WINDOW_MS ago waits
// until the engine lists a second process in it (the init's program: its signals
// are blocked by then), for at most INIT_READY_BOUND_MS; then it is sent anyway.
//
// The grace before SIGKILL counts from the signal's delivery (the engine's
// answer), as `docker stop` counts it: an engine slow to answer does not eat
// into it, nor send SIGKILL hard on the heels of the SIGTERM.
import type { DockerClient } from './client.js'
import type { DockerContainer, DockerSandbox } from './state.js'

/** How long after its start a container's init may not yet take signals (generous: a starved process is slow). */
export const INIT_READY_WINDOW_MS = 10_000
/** The longest a signal waits for the init (its program may never come: a start that goes wrong). */
export const INIT_READY_BOUND_MS = 5000
const INIT_READY_POLL_MS = 20

/** When a container was started (monotonic ms), for initReady(). */
export function markStarting(c: DockerContainer): void {
  c.startRequestedAt = performance.now()
}

/**
 * Resolves once `c`'s init takes signals: at once for a container without init, one
 * this runner did not start (recovered), or one started long ago; never rejects.
 */
export async function initReady(client: DockerClient, c: DockerContainer, abandoned: () => boolean): Promise<void> {
  if (c.initReady || c.spec.initProcessEnabled === false || c.startRequestedAt === undefined || c.id === undefined) return
  if (performance.now() - c.startRequestedAt > INIT_READY_WINDOW_MS) return
  const deadline = performance.now() + INIT_READY_BOUND_MS
  while (!abandoned() && c.exit === undefined && performance.now() < deadline) {
    try {
      const top = await client.request<{ Processes?: unknown[][] | null }>('GET', `/containers/${c.id}/top`)
      if ((top?.Processes?.length ?? 0) >= 2) break
    } catch {
      return // not running (it ended: the signal finds nothing), gone, or the engine did not answer: sent as it is
    }
    await new Promise((resolve) => setTimeout(resolve, INIT_READY_POLL_MS))
  }
  c.initReady = true
}

/**
 * Sends `signal` once the container's init takes it, then SIGKILL (an escalation) if it is
 * still alive `grace` ms after the engine answered; undefined: no grace of its own (one runs).
 */
export async function terminate(
  s: DockerSandbox, c: DockerContainer, signal: NodeJS.Signals, grace: number | undefined, kill: (signal: NodeJS.Signals) => Promise<void>
): Promise<void> {
  await initReady(s.host.client, c, () => s.discarded)
  if (s.discarded || c.exit !== undefined) return
  await kill(signal)
  if (grace === undefined || s.discarded || c.exit !== undefined || c.killTimer !== undefined) return
  const timer = setTimeout(() => {
    s.timers.delete(timer)
    if (c.exit !== undefined) return
    c.escalatedKill = true
    void kill('SIGKILL')
  }, grace)
  c.killTimer = timer
  s.timers.add(timer)
}
