export { EventBus, type CloudEvent, type EventHandler } from './bus.js'
export { matches, validatePattern, type EventPattern } from './pattern.js'
export { emitEvent, OutboxRelay, publishEvents, EVENTS_TOPIC, type TopicHandler } from './outbox-relay.js'
