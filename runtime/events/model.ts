// EventBridge's shapes, member for member (PascalCase, as the AWSEvents API
// and @aws-sdk/client-eventbridge have them), the records kept in the store,
// and the limits EventBridge documents.

import type { CloudEvent } from './bus.js'

export const RULES = 'events:rules'
export const TARGETS = 'events:targets'
export const CONNECTIONS = 'events:connections'
export const API_DESTINATIONS = 'events:apiDestinations'
export const DELIVERIES = 'events:deliveries'
export const DEAD_LETTERS = 'events:deadLetters'
/** One record (`plan`): the last outbox seq turned into deliveries and the next delivery number. */
export const EVENTS_META = 'events:meta'

export const DEFAULT_BUS = 'default'

export const LIMITS = {
  targetsPerRule: 5,
  putEventsEntries: 10,
  /** PutEvents: the whole request's entries (source, detail type, detail, resources, 14 per time) in bytes. */
  eventBytes: 256 * 1024,
  maximumRetryAttempts: 185,
  maximumEventAgeSeconds: 86_400,
  minimumEventAgeSeconds: 60,
  /** API destinations: how long a call may take before it counts as failed. */
  invocationTimeoutMs: 5_000,
  defaultInvocationRate: 300
} as const

export type RuleState = 'ENABLED' | 'DISABLED'

export interface Tag { Key: string; Value: string }

export interface Rule {
  Name: string
  Arn: string
  EventPattern?: string
  ScheduleExpression?: string
  State: RuleState
  Description?: string
  RoleArn?: string
  EventBusName: string
  CreatedBy?: string
}

export interface RuleRecord extends Rule {
  Tags?: Tag[]
}

export interface InputTransformer {
  InputPathsMap?: Record<string, string>
  InputTemplate: string
}

export interface RetryPolicy {
  MaximumRetryAttempts?: number
  MaximumEventAgeInSeconds?: number
}

export interface Target {
  Id: string
  Arn: string
  RoleArn?: string
  Input?: string
  InputPath?: string
  InputTransformer?: InputTransformer
  RetryPolicy?: RetryPolicy
  DeadLetterConfig?: { Arn?: string }
  HttpParameters?: { PathParameterValues?: string[]; HeaderParameters?: Record<string, string>; QueryStringParameters?: Record<string, string> }
}

export interface TargetRecord extends Target {
  Rule: string
}

export type AuthorizationType = 'API_KEY' | 'BASIC' | 'OAUTH_CLIENT_CREDENTIALS'

export interface ConnectionHttpParameter { Key: string; Value: string; IsValueSecret?: boolean }

/** A connection's HTTP parameters (InvocationHttpParameters, OAuthHttpParameters). */
export interface ConnectionHttpParameters {
  HeaderParameters?: ConnectionHttpParameter[]
  QueryStringParameters?: ConnectionHttpParameter[]
  BodyParameters?: ConnectionHttpParameter[]
}

export interface ConnectionAuthParameters {
  ApiKeyAuthParameters?: { ApiKeyName: string; ApiKeyValue?: string }
  BasicAuthParameters?: { Username: string; Password?: string }
  OAuthParameters?: {
    ClientParameters?: { ClientID: string; ClientSecret?: string }
    AuthorizationEndpoint: string
    HttpMethod: string
    OAuthHttpParameters?: ConnectionHttpParameters
  }
  InvocationHttpParameters?: ConnectionHttpParameters
}

export type ConnectionState = 'CREATING' | 'UPDATING' | 'DELETING' | 'AUTHORIZED' | 'DEAUTHORIZED' | 'AUTHORIZING' | 'DEAUTHORIZING'

export interface ConnectionRecord {
  Name: string
  ConnectionArn: string
  Description?: string
  AuthorizationType: AuthorizationType
  /** With the secrets: never returned by Describe (see publicAuthParameters). */
  AuthParameters: ConnectionAuthParameters
  ConnectionState: ConnectionState
  /** A secret ARN as EventBridge names the one it keeps the credentials in (here: the record itself). */
  SecretArn: string
  CreationTime: number
  LastModifiedTime: number
  LastAuthorizedTime: number
}

export type HttpMethod = 'POST' | 'GET' | 'HEAD' | 'OPTIONS' | 'PUT' | 'PATCH' | 'DELETE'

export interface ApiDestinationRecord {
  Name: string
  ApiDestinationArn: string
  Description?: string
  ApiDestinationState: 'ACTIVE' | 'INACTIVE'
  ConnectionArn: string
  InvocationEndpoint: string
  HttpMethod: HttpMethod
  InvocationRateLimitPerSecond: number
  CreationTime: number
  LastModifiedTime: number
}

/** A target's HttpParameters resolved against the event when it was matched (JSONPath values replaced by the event's). */
export interface ResolvedHttp {
  /** One per `*` of the endpoint, in order. */
  path: string[]
  headers: Record<string, string>
  query: Record<string, string>
}

/** An event on its way to one target of one rule: written when the event is matched, deleted when the target acknowledges it. */
export interface DeliveryRecord {
  event: CloudEvent
  rule: string
  ruleArn: string
  targetId: string
  targetArn: string
  /** What is sent (after Input, InputPath or InputTransformer), as text. */
  body: string
  /**
   * The target's HttpParameters as they were when the event was matched (every attempt sends these);
   * absent when it had none. Records written before it existed take the target's current ones.
   */
  http?: ResolvedHttp
  maximumRetryAttempts: number
  maximumEventAgeSeconds: number
  /** Delivery attempts made so far. */
  attempts: number
  /** When the event was matched (engine clock ms): its age counts from here. */
  createdAt: number
  /** When the next attempt is due (engine clock ms): re-armed from here after a restart. */
  nextAttemptAt: number
  lastError?: { code: string; message: string }
}

/**
 * An event EventBridge gave up on, with what it puts in the dead-letter
 * queue's message attributes (ERROR_CODE, ERROR_MESSAGE, RULE_ARN,
 * TARGET_ARN, RETRY_ATTEMPTS).
 */
export interface DeadLetter {
  Id: string
  Event: CloudEvent
  Body: string
  Rule: string
  TargetId: string
  DeadLetterArn?: string
  Attributes: {
    ERROR_CODE: string; ERROR_MESSAGE: string; RULE_ARN: string; TARGET_ARN: string; RETRY_ATTEMPTS: number
    /** Why delivery stopped: MaximumRetryAttempts, MaximumEventAgeInSeconds, or NonRetryableError (a status EventBridge does not retry: not 401, 407, 409, 429 or 5xx). */
    EXHAUSTED_RETRY_CONDITION: string
  }
  /** Epoch ms on the engine's clock. */
  Time: number
}

export function pad(n: number): string {
  return String(n).padStart(16, '0')
}

export const targetKey = (rule: string, id: string): string => `${rule}/${id}`
