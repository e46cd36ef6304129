import type { Partition } from '../aws/partition.js'
import type { PageTokens } from '../aws/pagination.js'
import type { Clock } from '../clock/clock.js'
import type { Store } from '../store/store.js'
import type { EventBus } from './bus.js'

/** What the EventBridge parts share. */
export interface EventsContext {
  readonly store: Store
  readonly partition: Partition
  readonly clock: Clock
  readonly tokens: PageTokens
  readonly bus: EventBus
}
