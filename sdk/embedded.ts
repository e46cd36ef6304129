// The SDK's services over the engine in this process: Batch is the engine's
// own BatchService; the registry, clock and events are thin adapters (the
// registry's few synchronous calls become promises, as they are remotely).
// IAM and the audit trail are the engine's own (the SDK's clients await
// whatever they answer).

import { InvalidArgumentError, ManualClock, eventBridgeService, type Engine, type Registry } from '../runtime/index.js'
import { ecsWireTimes } from '../runtime/api/tables/ecs.js'
import type { CloudBackend, ClockService, EcsService, EventsService, RegistryService, Subscription } from './services.js'
import type { AcmService } from './acm.js'

export function embeddedRegistry(registry: Registry): RegistryService {
  return {
    get endpoint() { return registry.endpoint },
    createRepository: (input) => registry.createRepository(input),
    describeRepositories: (input) => registry.describeRepositories(input),
    deleteRepository: (input) => registry.deleteRepository(input),
    describeImages: (input) => registry.describeImages(input),
    putImageTagMutability: (input) => registry.putImageTagMutability(input),
    putLifecyclePolicy: (input) => registry.putLifecyclePolicy(input),
    getLifecyclePolicy: (input) => registry.getLifecyclePolicy(input),
    getLifecyclePolicyPreview: (input) => registry.getLifecyclePolicyPreview(input),
    applyLifecyclePolicy: (input) => registry.applyLifecyclePolicy(input),
    getAuthorizationToken: async () => registry.getAuthorizationToken(),
    setAnonymousPull: (input) => registry.setAnonymousPull(input),
    scrub: () => registry.scrub(),
    quarantinedBlobs: async () => registry.quarantinedBlobs(),
    garbageCollect: (options) => registry.garbageCollect(options),
    image: (reference) => registry.image(reference)
  }
}

export function embeddedClock(engine: Engine): ClockService {
  return {
    get kind() { return engine.clock.kind },
    now: () => engine.clock.now(),
    read: async () => engine.clock.now(),
    async advance(ms) {
      const clock = engine.clock
      if (!(clock instanceof ManualClock)) {
        throw new InvalidArgumentError('ClockNotManual', 'advance() needs an engine started with the manual clock (clock: "manual")', { field: 'clock' })
      }
      // The same check, code and words as the /stratus/ API's AdvanceClock.
      if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
        throw new InvalidArgumentError('InvalidDuration', `advance(ms) needs a non-negative number of milliseconds, got ${String(ms)}`, { field: 'ms', limit: '>= 0' })
      }
      await clock.advance(ms)
    }
  }
}

export function embeddedEvents(engine: Engine): EventsService {
  return {
    subscribe(pattern, handler): Subscription {
      const unsubscribe = engine.events.subscribe(pattern, handler)
      return Object.assign(() => unsubscribe(), { ready: Promise.resolve() })
    },
    bridge: eventBridgeService(engine.eventBridge)
  }
}

/**
 * ECS is the engine's own, its answers' timestamps as Dates (the areas keep
 * epoch-ms numbers or Dates; the remote SDK revives the wire's epoch seconds
 * to Dates: the same shapes both ways, as the official client gives them).
 * A task's log events come from the engine's CloudWatch Logs.
 */
export function embeddedEcs(engine: Engine): EcsService {
  const ecs = engine.ecs
  return new Proxy(ecs, {
    get: (target, name) => {
      if (name === 'getLogEvents') return (input: Parameters<EcsService['getLogEvents']>[0]) => engine.logs.getLogEvents(input)
      const member = Reflect.get(target, name) as unknown
      if (typeof member !== 'function') return member
      return async (...args: unknown[]) => ecsWireTimes(await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args))
    }
  }) as unknown as EcsService
}

/** ACM is the engine's own; its synchronous calls become promises, as they are remotely. */
export function embeddedAcm(engine: Engine): AcmService {
  const acm = engine.acm
  return {
    requestCertificate: async (input) => acm.requestCertificate(input),
    describeCertificate: async (input) => acm.describeCertificate(input),
    listCertificates: async (input) => acm.listCertificates(input),
    getCertificate: async (input) => acm.getCertificate(input),
    deleteCertificate: async (input) => acm.deleteCertificate(input),
    addTagsToCertificate: async (input) => acm.addTagsToCertificate(input),
    removeTagsFromCertificate: async (input) => acm.removeTagsFromCertificate(input),
    listTagsForCertificate: async (input) => acm.listTagsForCertificate(input),
    importCertificate: async (input) => acm.importCertificate(input),
    confirmValidation: (input) => acm.confirmValidation(input),
    authorityCertificate: async () => acm.authorityCertificate()
  }
}

export function embeddedBackend(engine: Engine): CloudBackend {
  return {
    get endpoint() { return engine.endpoint },
    batch: engine.batch,
    ecs: embeddedEcs(engine),
    acm: embeddedAcm(engine),
    registry: embeddedRegistry(engine.registry),
    clock: embeddedClock(engine),
    events: embeddedEvents(engine),
    iam: engine.iam,
    audit: engine.audit,
    logs: engine.logs,
    elbv2: engine.elb,
    close: () => engine.close()
  }
}
