export { EventBus, type CloudEvent, type EventHandler } from './bus.js'
export { matches, validatePattern, type EventPattern } from './pattern.js'
export { emitEvent, OutboxRelay, publishEvents, EVENTS_TOPIC, type TopicHandler } from './outbox-relay.js'
export { EventBridge, type EventBridgeOptions, type PutEventsEntry, type PutEventsResultEntry } from './service.js'
export type { BackoffOptions } from './delivery-worker.js'
export type {
  Rule, Target, RetryPolicy, InputTransformer, DeadLetter, ConnectionAuthParameters, AuthorizationType, HttpMethod, RuleState, Tag as EventsTag
} from './model.js'
export { EVENT_BRIDGE_OPERATIONS, eventBridgeService, type EventBridgeService, type EventBridgeOperation } from './api-types.js'
export { SCHEDULED_TOPIC } from './schedules.js'
