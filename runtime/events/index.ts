export { EventBus, type CloudEvent, type EventHandler } from './bus.js'
export { matches, validatePattern, type EventPattern } from './pattern.js'
export { emitEvent, relayOutbox, EVENTS_TOPIC } from './outbox-relay.js'
