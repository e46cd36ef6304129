// The Stratus-only API (`POST /stratus/v1/<Operation>`, protocol stratusJson,
// signing name `stratus`, IAM actions `stratus:<Operation>`): what the remote
// SDK needs beyond the AWS APIs — Batch's extensions (nodes, waits, logs,
// explanations), the clock, the event stream, the registry's own calls and
// IAM's one (CreateRoleAccessKey, authorized as iam:CreateRoleAccessKey: it
// mints credentials, so `stratus:*` must not grant it and `iam:*` should).
// Like every table it has no logic: decode → engine call → encode. Long calls
// (waits) and streams (logs, events) end when the client goes away
// (ctx.signal). Documented in sdk/remote/README.md.

import type { Operation, ServiceTable, WireError, CallContext } from '../operation.js'
import type { BatchService, LogOptions, RegisterNodeInput } from '../../batch/index.js'
import { ManualClock, type Clock } from '../../clock/clock.js'
import type { EventBus, CloudEvent } from '../../events/bus.js'
import { validatePattern, type EventPattern } from '../../events/pattern.js'
import type { Partition } from '../../aws/partition.js'
import { arns } from '../../aws/arn.js'
import { InvalidArgumentError, LimitExceededError, StratusError, UnavailableError } from '../../errors.js'
import { RegistryError, type Registry } from '../../../registry/index.js'
import type { Iam } from '../../iam/iam.js'
import type { EventBridge } from '../../events/service.js'

export interface StratusTableParts {
  batch: BatchService
  clock: Clock
  events: EventBus
  registry: Registry
  partition: Partition
  /** EventBridge's dead letters (ListEventDeadLetters); without it, that call is not served. */
  eventBridge?: Pick<EventBridge, 'listDeadLetters'>
  /** IAM's Stratus-only call (a role's long-lived key); without it, CreateRoleAccessKey is not served. */
  iam?: Pick<Iam, 'createRoleAccessKey' | 'directory'>
  /** Further services' Stratus-only calls (ECS's: tables/ecs-extra.ts), each authorized as its own table says. */
  extra?: readonly Operation<Input>[]
}

/** Events a slow subscriber may fall behind by before its stream ends (LimitExceeded SubscriptionOverflow). */
export const SUBSCRIPTION_BACKLOG = 10_000

const STATUS_BY_KIND: Record<string, number> = {
  NotFound: 404, Conflict: 409, InvalidArgument: 400, LimitExceeded: 429, Unavailable: 503, AccessDenied: 403, Internal: 500,
  Unauthorized: 401, Forbidden: 403, Unsupported: 415
}

function stratusError(err: unknown): WireError {
  if (err instanceof StratusError || err instanceof RegistryError) {
    return { type: err.code, status: STATUS_BY_KIND[err.kind] ?? 500, message: err.message }
  }
  return { type: 'InternalFailure', status: 500, message: 'internal error' }
}

function gone(): UnavailableError {
  return new UnavailableError('ClientGone', 'the client went away while this call waited')
}

/** Settles with `promise`, or rejects once the client is gone (the engine's wait itself ends with its subject). */
function untilGone<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(gone())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(gone())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * The values of `source` until it ends or the client is gone. A follow-mode log
 * waits inside its own next(); the abort ends this iterable at once and asks
 * the source to return (it does at its next step).
 */
async function* untilGoneIterable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  let finished = false
  try {
    while (!signal.aborted) {
      const step = await untilGone(iterator.next(), signal).catch((error: unknown) => {
        if (signal.aborted) return undefined
        throw error
      })
      if (step === undefined) return
      if (step.done === true) { finished = true; return }
      yield step.value
    }
  } finally {
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined)
  }
}

/** The events matching a pattern, `{ ready: true }` first (the subscription is held), until the client is gone. */
async function* subscription(events: EventBus, pattern: EventPattern, signal: AbortSignal): AsyncGenerator<{ ready: true } | { event: CloudEvent }> {
  const backlog: CloudEvent[] = []
  let wake: (() => void) | undefined
  let overflow = false
  const unsubscribe = events.subscribe(pattern, (event) => {
    if (backlog.length >= SUBSCRIPTION_BACKLOG) overflow = true
    else backlog.push(event)
    wake?.()
  })
  const onAbort = () => wake?.()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    yield { ready: true }
    while (!signal.aborted) {
      const event = backlog.shift()
      if (event !== undefined) { yield { event }; continue }
      if (overflow) throw new LimitExceededError('SubscriptionOverflow', `the subscriber fell ${SUBSCRIPTION_BACKLOG} events behind`, { field: 'pattern', limit: SUBSCRIPTION_BACKLOG })
      await new Promise<void>((resolve) => { wake = resolve })
      wake = undefined
    }
  } finally {
    unsubscribe()
    signal.removeEventListener('abort', onAbort)
  }
}

function text(input: Record<string, unknown>, field: string): string {
  const value = input[field]
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError('ValidationException', `${field} must be a non-empty string`, { field })
  return value
}

function optionalBoolean(input: Record<string, unknown>, field: string): boolean | undefined {
  const value = input[field]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new InvalidArgumentError('ValidationException', `${field} must be a boolean`, { field })
  return value
}

function optionalNumber(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError('ValidationException', `${field} must be a non-negative number`, { field, limit: '>= 0' })
  }
  return value
}

type Input = Record<string, unknown>

export function stratusTable(parts: StratusTableParts): ServiceTable {
  const { batch, clock, events, registry, partition, iam, eventBridge } = parts
  const arnOr = (value: unknown, build: (name: string) => string): string[] =>
    typeof value === 'string' && value !== '' ? [value.startsWith('arn:') ? value : build(value)] : ['*']
  const ce = (input: Input) => arnOr(input.computeEnvironment, (n) => arns.batch.computeEnvironment(partition, n))
  const job = (input: Input) => arnOr(input.jobId, (id) => arns.batch.job(partition, id))
  const repository = (input: Input) => arnOr(input.repositoryName, (n) => arns.ecr.repository(partition, n))
  const everything = () => ['*']
  const reading = () => ({ kind: clock.kind, now: clock.now() })

  const op = (
    name: string, readOnly: boolean, required: string[], resources: (input: Input) => string[], call: (input: Input, ctx: CallContext) => unknown, action = `stratus:${name}`,
    secretOutputs?: string[]
  ): Operation<Input> => ({
    name, readOnly, required, ...(secretOutputs === undefined ? {} : { secretOutputs }), authorize: (input) => ({ action, resources: resources(input) }), call: call as Operation<Input>['call']
  })
  /** The role's ARN as the IAM table names it (with its path), or the one it would have. */
  const role = (input: Input) => arnOr(input.RoleName, (n) => {
    try { return iam!.directory.role(n).arn } catch { return iam!.directory.roleArn(n) }
  })

  const operations: Operation<Input>[] = [
    // Batch's extensions
    op('ListNodes', true, ['computeEnvironment'], ce, async (i) => ({ nodes: await batch.listNodes(text(i, 'computeEnvironment')) })),
    op('RegisterNode', false, ['computeEnvironment', 'node'], ce, async (i) => ({ node: await batch.registerNode(text(i, 'computeEnvironment'), i.node as RegisterNodeInput) })),
    op('DeregisterNode', false, ['computeEnvironment', 'nodeId'], ce, async (i) => {
      await batch.deregisterNode(text(i, 'computeEnvironment'), text(i, 'nodeId'))
      return {}
    }),
    op('WaitForComputeEnvironment', true, ['computeEnvironment'], ce, async (i, ctx) =>
      ({ computeEnvironment: await untilGone(batch.waitForComputeEnvironment(text(i, 'computeEnvironment')), ctx.signal) })),
    op('WaitForJobQueue', true, ['jobQueue'], (i) => arnOr(i.jobQueue, (n) => arns.batch.jobQueue(partition, n)), async (i, ctx) =>
      ({ jobQueue: await untilGone(batch.waitForJobQueue(text(i, 'jobQueue')), ctx.signal) })),
    op('WaitForJob', true, ['jobId'], job, async (i, ctx) => ({ job: await untilGone(batch.waitForJob(text(i, 'jobId')), ctx.signal) })),
    op('JobLogs', true, ['jobId'], job, (i, ctx) => {
      const options: LogOptions = {}
      const attempt = optionalNumber(i, 'attempt')
      const follow = optionalBoolean(i, 'follow')
      if (attempt !== undefined) options.attempt = attempt
      if (follow !== undefined) options.follow = follow
      return untilGoneIterable(batch.jobLogs(text(i, 'jobId'), options), ctx.signal)
    }),
    op('ExplainJob', true, ['jobId'], job, async (i) => ({ explanation: await batch.explainJob(text(i, 'jobId')) })),
    op('CountJobs', true, [], everything, async () => ({ count: await batch.countJobs() })),
    // The clock
    op('GetClock', true, [], everything, reading),
    op('AdvanceClock', false, ['ms'], everything, async (i) => {
      const ms = i.ms
      if (!(clock instanceof ManualClock)) throw new InvalidArgumentError('ClockNotManual', 'advance() needs an engine started with the manual clock (clock: "manual")', { field: 'clock' })
      if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw new InvalidArgumentError('InvalidDuration', `advance(ms) needs a non-negative number of milliseconds, got ${String(ms)}`, { field: 'ms', limit: '>= 0' })
      await clock.advance(ms)
      return reading()
    }),
    // Events
    op('Subscribe', true, ['pattern'], everything, (i, ctx) => {
      const pattern = i.pattern as EventPattern
      validatePattern(pattern) // a bad pattern is refused before the stream starts
      return subscription(events, pattern, ctx.signal)
    }),
    // EventBridge's dead letters: what delivery gave up on, with the DLQ message attributes
    ...(eventBridge === undefined ? [] : [
      op('ListEventDeadLetters', true, [], everything, (i) => eventBridge.listDeadLetters(i as never), 'events:ListEventDeadLetters')
    ]),
    // The registry's own calls
    op('SetAnonymousPull', false, ['repositoryName', 'allowAnonymousPull'], repository, (i) =>
      registry.setAnonymousPull({ repositoryName: i.repositoryName as string, allowAnonymousPull: i.allowAnonymousPull as boolean })),
    op('LifecyclePolicyPreview', true, ['repositoryName'], repository, (i) =>
      registry.getLifecyclePolicyPreview({ repositoryName: i.repositoryName as string, ...(i.lifecyclePolicyText !== undefined ? { lifecyclePolicyText: i.lifecyclePolicyText as string } : {}) })),
    op('ApplyLifecyclePolicy', false, ['repositoryName'], repository, (i) => registry.applyLifecyclePolicy({ repositoryName: i.repositoryName as string })),
    op('Scrub', false, [], everything, () => registry.scrub()),
    op('QuarantinedBlobs', true, [], everything, () => ({ blobs: registry.quarantinedBlobs() })),
    op('GarbageCollect', false, [], everything, (i) => {
      const gracePeriodMs = optionalNumber(i, 'gracePeriodMs')
      const dryRun = optionalBoolean(i, 'dryRun')
      return registry.garbageCollect({ ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}), ...(dryRun !== undefined ? { dryRun } : {}) })
    }),
    // IAM's Stratus-only call
    ...(iam === undefined ? [] : [
      op('CreateRoleAccessKey', false, ['RoleName'], role, (i) => iam.createRoleAccessKey({ RoleName: text(i, 'RoleName') }), 'iam:CreateRoleAccessKey', ['AccessKey.SecretAccessKey'])
    ]),
    ...(parts.extra ?? [])
  ]

  return {
    signingName: 'stratus',
    eventSource: 'stratus.amazonaws.com',
    protocol: 'stratusJson',
    operations,
    error: stratusError,
    invalid: (member, message) => ({ type: 'ValidationException', status: 400, message: message || `${member} is required` })
  }
}
