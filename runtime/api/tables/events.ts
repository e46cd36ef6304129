// Amazon EventBridge's operation table (awsJson1_1, X-Amz-Target
// AWSEvents.<Op>, signing name events): decode → EventBridge → encode, no
// logic. Actions are events:<Op> on the resource's ARN as the service
// authorization reference names them: a rule (`rule/<name>`), the default
// event bus (PutEvents), a connection or an API destination (its ARN, or
// `connection/<name>` before it exists); lists and TestEventPattern on `*`.

import { arn } from '../../aws/arn.js'
import type { Partition } from '../../aws/partition.js'
import { StratusError } from '../../errors.js'
import type { EventBridge } from '../../events/service.js'
import type { Operation, ServiceTable, WireError } from '../operation.js'
import { readOnlyByName } from '../operation.js'

export const EVENTS_TARGET = 'AWSEvents'

/** The EventBridge exceptions Stratus raises, by the code the engine gives them. */
const EXCEPTIONS: Record<string, number> = {
  ResourceNotFoundException: 400,
  ResourceAlreadyExistsException: 400,
  InvalidEventPatternException: 400,
  LimitExceededException: 400,
  ConcurrentModificationException: 400,
  ValidationException: 400,
  IllegalStatusException: 400,
  AccessDeniedException: 400
}

type Input = Record<string, any>

/** As CloudTrail records EventBridge's calls: a connection's AuthParameters are HIDDEN_DUE_TO_SECURITY_REASONS. */
const SECRET_INPUTS: Record<string, readonly string[]> = {
  CreateConnection: ['AuthParameters'],
  UpdateConnection: ['AuthParameters']
}

export function eventsTable(bridge: EventBridge, partition: Partition): ServiceTable {
  const ruleArn = (name: unknown) => typeof name === 'string' && name !== '' ? (name.startsWith('arn:') ? name : arn(partition, 'events', `rule/${name}`)) : arn(partition, 'events', 'rule/*')
  const connectionArn = (name: unknown) => {
    if (typeof name !== 'string' || name === '') return arn(partition, 'events', 'connection/*')
    try { return bridge.describeConnection({ Name: name }).ConnectionArn } catch { return arn(partition, 'events', `connection/${name}`) }
  }
  const destinationArn = (name: unknown) => {
    if (typeof name !== 'string' || name === '') return arn(partition, 'events', 'api-destination/*')
    try { return bridge.describeApiDestination({ Name: name }).ApiDestinationArn } catch { return arn(partition, 'events', `api-destination/${name}`) }
  }
  const bus = () => arn(partition, 'events', 'event-bus/default')
  const everything = () => ['*']
  const op = (name: string, required: string[], resources: (input: Input) => string[], call: (input: Input) => unknown, tags?: (input: Input) => Record<string, string> | undefined): Operation<Input> => ({
    name,
    // A connection's credentials (API key, password, client secret, secret invocation parameters) never reach the audit trail.
    ...(SECRET_INPUTS[name] !== undefined ? { secretInputs: SECRET_INPUTS[name] } : {}),
    readOnly: readOnlyByName(name) || name === 'TestEventPattern',
    required,
    authorize: (input) => {
      const requestTags = tags?.(input)
      return { action: `events:${name}`, resources: resources(input ?? {}), ...(requestTags ? { requestTags, tagKeys: Object.keys(requestTags) } : {}) }
    },
    call: (input) => call(input ?? {})
  })
  const ruleTags = (i: Input) => Array.isArray(i.Tags) ? Object.fromEntries((i.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value])) : undefined
  return {
    signingName: 'events',
    eventSource: 'events.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [EVENTS_TARGET],
    operations: [
      op('PutRule', ['Name'], (i) => [ruleArn(i.Name)], (i) => bridge.putRule(i as never), ruleTags),
      op('DescribeRule', ['Name'], (i) => [ruleArn(i.Name)], (i) => bridge.describeRule(i as never)),
      op('ListRules', [], everything, (i) => bridge.listRules(i)),
      op('DeleteRule', ['Name'], (i) => [ruleArn(i.Name)], (i) => bridge.deleteRule(i as never)),
      op('EnableRule', ['Name'], (i) => [ruleArn(i.Name)], (i) => bridge.enableRule(i as never)),
      op('DisableRule', ['Name'], (i) => [ruleArn(i.Name)], (i) => bridge.disableRule(i as never)),
      op('PutTargets', ['Rule', 'Targets'], (i) => [ruleArn(i.Rule)], (i) => bridge.putTargets(i as never)),
      op('RemoveTargets', ['Rule', 'Ids'], (i) => [ruleArn(i.Rule)], (i) => bridge.removeTargets(i as never)),
      op('ListTargetsByRule', ['Rule'], (i) => [ruleArn(i.Rule)], (i) => bridge.listTargetsByRule(i as never)),
      op('ListRuleNamesByTarget', ['TargetArn'], everything, (i) => bridge.listRuleNamesByTarget(i as never)),
      op('TestEventPattern', ['EventPattern', 'Event'], everything, (i) => bridge.testEventPattern(i as never)),
      op('PutEvents', ['Entries'], () => [bus()], (i) => bridge.putEvents(i as never)),
      op('CreateConnection', ['Name', 'AuthorizationType', 'AuthParameters'], (i) => [connectionArn(i.Name)], (i) => bridge.createConnection(i as never)),
      op('DescribeConnection', ['Name'], (i) => [connectionArn(i.Name)], (i) => bridge.describeConnection(i as never)),
      op('ListConnections', [], everything, (i) => bridge.listConnections(i)),
      op('DeleteConnection', ['Name'], (i) => [connectionArn(i.Name)], (i) => bridge.deleteConnection(i as never)),
      op('CreateApiDestination', ['Name', 'ConnectionArn', 'InvocationEndpoint', 'HttpMethod'], (i) => [destinationArn(i.Name)], (i) => bridge.createApiDestination(i as never)),
      op('DescribeApiDestination', ['Name'], (i) => [destinationArn(i.Name)], (i) => bridge.describeApiDestination(i as never)),
      op('ListApiDestinations', [], everything, (i) => bridge.listApiDestinations(i)),
      op('UpdateApiDestination', ['Name'], (i) => [destinationArn(i.Name)], (i) => bridge.updateApiDestination(i as never)),
      op('DeleteApiDestination', ['Name'], (i) => [destinationArn(i.Name)], (i) => bridge.deleteApiDestination(i as never))
    ],
    error(err: unknown): WireError {
      if (err instanceof StratusError) {
        if (err.code in EXCEPTIONS) return { type: err.code, status: EXCEPTIONS[err.code], message: err.message }
        if (err.kind === 'NotFound') return { type: 'ResourceNotFoundException', status: 400, message: err.message }
        if (err.kind === 'InvalidArgument') return { type: 'ValidationException', status: 400, message: err.message }
        if (err.kind === 'LimitExceeded') return { type: 'LimitExceededException', status: 400, message: err.message }
        if (err.kind === 'Conflict') return { type: 'ConcurrentModificationException', status: 400, message: err.message }
        if (err.kind === 'AccessDenied') return { type: 'AccessDeniedException', status: 400, message: err.message }
      }
      return { type: 'InternalException', status: 500, message: err instanceof Error ? err.message : String(err) }
    },
    invalid(member: string, message: string): WireError {
      return { type: 'ValidationException', status: 400, message: `${member}: ${message}` }
    },
    resourceTags(resource: string) {
      const m = /:rule\/([^/]+)$/.exec(resource)
      return m ? bridge.rules.tagsOf(m[1]) : undefined
    }
  }
}
