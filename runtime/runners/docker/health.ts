// Health of containers with a health check, as Docker itself runs it (the
// container's Healthcheck config: what the ECS agent uses). One followed
// GET /events stream per engine, filtered to this engine's health_status
// events, open while some container is watched; after every (re)connect the
// watched containers are inspected once, so a transition made while the
// stream was down is not missed. A container without a health check costs
// nothing.
import type { HealthStatus } from '../runner.js'
import type { DockerClient } from './client.js'
import { labelFilter } from './recovery.js'
import { LABEL } from './sandbox.js'

const RECONNECT_MS = 500

/** Docker's State.Health.Status (or an event's `health_status: …`) as ECS says it. */
export function healthOf(status: string | undefined): HealthStatus {
  if (status === 'healthy') return 'HEALTHY'
  if (status === 'unhealthy') return 'UNHEALTHY'
  return 'UNKNOWN'
}

interface HealthEvent {
  id?: string
  Action?: string
  status?: string
}

export class HealthWatcher {
  readonly #watched = new Map<string, (status: HealthStatus) => void>()
  #controller: AbortController | undefined = undefined
  #closed = false

  constructor(readonly client: DockerClient, readonly engineId: string) {}

  /** Calls `onStatus` with every health transition of the container, until unwatch(). */
  watch(containerId: string, onStatus: (status: HealthStatus) => void): void {
    if (this.#closed) return
    this.#watched.set(containerId, onStatus)
    if (this.#controller === undefined) this.#follow()
  }

  unwatch(containerId: string): void {
    this.#watched.delete(containerId)
    if (this.#watched.size === 0) {
      this.#controller?.abort()
      this.#controller = undefined
    }
  }

  close(): void {
    this.#closed = true
    this.#watched.clear()
    this.#controller?.abort()
    this.#controller = undefined
  }

  #follow(): void {
    const controller = new AbortController()
    this.#controller = controller
    void (async () => {
      try {
        const filters = JSON.parse(labelFilter({ [LABEL.engine]: this.engineId })) as Record<string, string[]>
        const body = await this.client.stream('GET', '/events', {
          query: { filters: JSON.stringify({ ...filters, type: ['container'], event: ['health_status'] }) },
          noTimeout: true, signal: controller.signal
        })
        // The stream is open: what happened before it is read from the containers themselves.
        for (const id of [...this.#watched.keys()]) void this.#inspect(id)
        let partial = ''
        for await (const chunk of body) {
          partial += (chunk as Buffer).toString('utf8')
          let nl: number
          while ((nl = partial.indexOf('\n')) >= 0) {
            const line = partial.slice(0, nl).trim()
            partial = partial.slice(nl + 1)
            if (line !== '') this.#event(JSON.parse(line) as HealthEvent)
          }
        }
      } catch {
        // Aborted, or the engine went away: followed again below while anything is watched.
      }
      if (this.#controller !== controller || this.#closed) return
      this.#controller = undefined
      setTimeout(() => { if (this.#controller === undefined && this.#watched.size > 0 && !this.#closed) this.#follow() }, RECONNECT_MS).unref()
    })()
  }

  #event(event: HealthEvent): void {
    const action = event.Action ?? event.status ?? ''
    if (event.id === undefined || !action.startsWith('health_status')) return
    this.#watched.get(event.id)?.(healthOf(action.slice(action.indexOf(':') + 1).trim()))
  }

  async #inspect(id: string): Promise<void> {
    try {
      const inspect = await this.client.request<{ State?: { Health?: { Status?: string } } }>('GET', `/containers/${id}/json`)
      const status = inspect.State?.Health?.Status
      if (status !== undefined && status !== 'starting') this.#watched.get(id)?.(healthOf(status))
    } catch {
      // Gone: its exit is the runner's business.
    }
  }
}
