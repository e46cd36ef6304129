// Connections (how to authorize: an API key header, basic auth, or OAuth
// client credentials) and API destinations (an HTTP endpoint on loopback, its
// method and rate limit, and the connection to use), as EventBridge keeps
// them, in the store. Secrets stay in the records: Describe and List never
// return them.

import { randomUUID } from 'node:crypto'
import { arn, parseArn } from '../aws/arn.js'
import { ConflictError, NotFoundError } from '../errors.js'
import type { EventsContext } from './context.js'
import { pageOf, type PageInput } from './paging.js'
import {
  API_DESTINATIONS, CONNECTIONS, type ApiDestinationRecord, type AuthorizationType, type ConnectionAuthParameters, type ConnectionHttpParameter, type ConnectionHttpParameters,
  type ConnectionRecord, type HttpMethod
} from './model.js'
import { checkConnectionParameters } from './http-parameters.js'
import { checkName, integerIn, invalid, loopbackEndpoint, optionalText } from './validation.js'

const METHODS: readonly HttpMethod[] = ['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']
const OAUTH_METHODS = ['GET', 'POST', 'PUT']
const MAX_RATE = 100_000

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max) throw invalid(field, `must be 1 to ${max} characters`, max)
  return value
}

function checkAuth(type: unknown, params: ConnectionAuthParameters | undefined): { type: AuthorizationType; params: ConnectionAuthParameters } {
  if (params === undefined || params === null || typeof params !== 'object') throw invalid('AuthParameters', 'are required')
  const out: ConnectionAuthParameters = {}
  switch (type) {
    case 'API_KEY': {
      const p = params.ApiKeyAuthParameters
      if (p === undefined) throw invalid('AuthParameters.ApiKeyAuthParameters', 'are required for AuthorizationType API_KEY')
      out.ApiKeyAuthParameters = { ApiKeyName: text(p.ApiKeyName, 'AuthParameters.ApiKeyAuthParameters.ApiKeyName', 512), ApiKeyValue: text(p.ApiKeyValue, 'AuthParameters.ApiKeyAuthParameters.ApiKeyValue', 512) }
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(out.ApiKeyAuthParameters.ApiKeyName)) throw invalid('AuthParameters.ApiKeyAuthParameters.ApiKeyName', 'must be an HTTP header name')
      break
    }
    case 'BASIC': {
      const p = params.BasicAuthParameters
      if (p === undefined) throw invalid('AuthParameters.BasicAuthParameters', 'are required for AuthorizationType BASIC')
      out.BasicAuthParameters = { Username: text(p.Username, 'AuthParameters.BasicAuthParameters.Username', 512), Password: text(p.Password, 'AuthParameters.BasicAuthParameters.Password', 512) }
      break
    }
    case 'OAUTH_CLIENT_CREDENTIALS': {
      const p = params.OAuthParameters
      if (p === undefined) throw invalid('AuthParameters.OAuthParameters', 'are required for AuthorizationType OAUTH_CLIENT_CREDENTIALS')
      const client = p.ClientParameters
      if (client === undefined) throw invalid('AuthParameters.OAuthParameters.ClientParameters', 'are required')
      if (!OAUTH_METHODS.includes(p.HttpMethod)) throw invalid('AuthParameters.OAuthParameters.HttpMethod', `must be one of ${OAUTH_METHODS.join(', ')}`)
      out.OAuthParameters = {
        ClientParameters: { ClientID: text(client.ClientID, 'AuthParameters.OAuthParameters.ClientParameters.ClientID', 512), ClientSecret: text(client.ClientSecret, 'AuthParameters.OAuthParameters.ClientParameters.ClientSecret', 512) },
        AuthorizationEndpoint: loopbackEndpoint(p.AuthorizationEndpoint, 'AuthParameters.OAuthParameters.AuthorizationEndpoint'),
        HttpMethod: p.HttpMethod,
        ...(p.OAuthHttpParameters !== undefined && p.OAuthHttpParameters !== null
          ? { OAuthHttpParameters: checkConnectionParameters(p.OAuthHttpParameters, 'AuthParameters.OAuthParameters.OAuthHttpParameters') } : {})
      }
      break
    }
    default:
      throw invalid('AuthorizationType', `must be API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS, got ${JSON.stringify(type)}`, 'API_KEY|BASIC|OAUTH_CLIENT_CREDENTIALS')
  }
  if (params.InvocationHttpParameters !== undefined && params.InvocationHttpParameters !== null) {
    out.InvocationHttpParameters = checkConnectionParameters(params.InvocationHttpParameters, 'AuthParameters.InvocationHttpParameters')
  }
  return { type, params: out }
}

/** AuthParameters as Describe shows them: names, never values that are secret. */
function publicAuth(p: ConnectionAuthParameters): Record<string, unknown> {
  const hide = (list?: ConnectionHttpParameter[]): Array<Partial<ConnectionHttpParameter>> | undefined =>
    list?.map((e) => (e.IsValueSecret === true ? { Key: e.Key, IsValueSecret: true } : e))
  const shown = (h: ConnectionHttpParameters) => ({ HeaderParameters: hide(h.HeaderParameters), QueryStringParameters: hide(h.QueryStringParameters), BodyParameters: hide(h.BodyParameters) })
  const inv = p.InvocationHttpParameters
  const oauthHttp = p.OAuthParameters?.OAuthHttpParameters
  return {
    ...(p.ApiKeyAuthParameters ? { ApiKeyAuthParameters: { ApiKeyName: p.ApiKeyAuthParameters.ApiKeyName } } : {}),
    ...(p.BasicAuthParameters ? { BasicAuthParameters: { Username: p.BasicAuthParameters.Username } } : {}),
    ...(p.OAuthParameters ? {
      OAuthParameters: {
        ClientParameters: { ClientID: p.OAuthParameters.ClientParameters!.ClientID }, AuthorizationEndpoint: p.OAuthParameters.AuthorizationEndpoint, HttpMethod: p.OAuthParameters.HttpMethod,
        ...(oauthHttp ? { OAuthHttpParameters: shown(oauthHttp) } : {})
      }
    } : {}),
    ...(inv ? { InvocationHttpParameters: shown(inv) } : {})
  }
}

const dates = <T extends { CreationTime: number; LastModifiedTime: number }>(r: T) => ({ CreationTime: new Date(r.CreationTime), LastModifiedTime: new Date(r.LastModifiedTime) })

function summary(c: ConnectionRecord) {
  return {
    ConnectionArn: c.ConnectionArn, Name: c.Name, ConnectionState: c.ConnectionState, AuthorizationType: c.AuthorizationType, ...dates(c),
    LastAuthorizedTime: new Date(c.LastAuthorizedTime)
  }
}

function destination(d: ApiDestinationRecord) {
  return {
    ApiDestinationArn: d.ApiDestinationArn, Name: d.Name, ...(d.Description !== undefined ? { Description: d.Description } : {}), ApiDestinationState: d.ApiDestinationState,
    ConnectionArn: d.ConnectionArn, InvocationEndpoint: d.InvocationEndpoint, HttpMethod: d.HttpMethod, InvocationRateLimitPerSecond: d.InvocationRateLimitPerSecond, ...dates(d)
  }
}

export interface CreateConnectionInput { Name: string; Description?: string; AuthorizationType: AuthorizationType; AuthParameters: ConnectionAuthParameters }
export interface ApiDestinationInput {
  Name: string; Description?: string; ConnectionArn?: string; InvocationEndpoint?: string; HttpMethod?: HttpMethod; InvocationRateLimitPerSecond?: number
}

export class Connections {
  readonly #ctx: EventsContext

  constructor(ctx: EventsContext) {
    this.#ctx = ctx
  }

  #arn(kind: 'connection' | 'api-destination', name: string): string {
    return arn(this.#ctx.partition, 'events', `${kind}/${name}/${randomUUID()}`)
  }

  createConnection(input: CreateConnectionInput) {
    const name = checkName(input.Name, 'Name')
    const description = optionalText(input.Description, 'Description', 512)
    const auth = checkAuth(input.AuthorizationType, input.AuthParameters)
    const now = this.#ctx.clock.now()
    const connectionArn = this.#arn('connection', name)
    const record: ConnectionRecord = {
      Name: name, ConnectionArn: connectionArn, ...(description !== undefined ? { Description: description } : {}), AuthorizationType: auth.type, AuthParameters: auth.params,
      ConnectionState: 'AUTHORIZED', SecretArn: arn(this.#ctx.partition, 'events', `connection-secret/${name}`), CreationTime: now, LastModifiedTime: now, LastAuthorizedTime: now
    }
    this.#ctx.store.transaction((tx) => {
      if (tx.get(CONNECTIONS, name) !== undefined) throw new ConflictError('ResourceAlreadyExistsException', `Connection ${name} already exists.`, { field: 'Name' })
      tx.put(CONNECTIONS, name, record, 0)
    })
    return { ConnectionArn: connectionArn, ConnectionState: record.ConnectionState, CreationTime: new Date(now), LastModifiedTime: new Date(now) }
  }

  #connection(name: unknown): ConnectionRecord {
    const n = checkName(name, 'Name')
    const found = this.#ctx.store.get<ConnectionRecord>(CONNECTIONS, n)
    if (found === undefined) throw new NotFoundError('ResourceNotFoundException', `Connection ${n} does not exist.`, { field: 'Name' })
    return found.value
  }

  describeConnection(input: { Name: string }) {
    const c = this.#connection(input.Name)
    return { ...summary(c), ...(c.Description !== undefined ? { Description: c.Description } : {}), SecretArn: c.SecretArn, AuthParameters: publicAuth(c.AuthParameters) }
  }

  listConnections(input: { NamePrefix?: string; ConnectionState?: string } & PageInput = {}) {
    const prefix = optionalText(input.NamePrefix, 'NamePrefix', 64)
    const page = pageOf<ConnectionRecord>(this.#ctx.store, this.#ctx.tokens, CONNECTIONS, `ListConnections:${prefix ?? ''}:${input.ConnectionState ?? ''}`, input, {
      ...(prefix ? { prefix } : {}), keep: (r) => input.ConnectionState === undefined || r.value.ConnectionState === input.ConnectionState
    })
    return { Connections: page.items.map((r) => summary(r.value)), ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }

  deleteConnection(input: { Name: string }) {
    const c = this.#connection(input.Name)
    this.#ctx.store.transaction((tx) => {
      const users = tx.scan<ApiDestinationRecord>(API_DESTINATIONS).filter((d) => d.value.ConnectionArn === c.ConnectionArn).map((d) => d.value.Name)
      if (users.length > 0) throw new ConflictError('ConcurrentModificationException', `Connection ${c.Name} is used by API destination(s) ${users.join(', ')}: delete them first`, { field: 'Name' })
      tx.delete(CONNECTIONS, c.Name)
    })
    return { ConnectionArn: c.ConnectionArn, ConnectionState: 'DELETING' as const, ...dates(c), LastAuthorizedTime: new Date(c.LastAuthorizedTime) }
  }

  /** The connection an ARN names (it must be this connection's current ARN), for API destinations and delivery. */
  connectionByArn(value: string, field = 'ConnectionArn'): ConnectionRecord {
    const parsed = parseArn(value)
    const name = parsed?.resource.startsWith('connection/') ? parsed.resource.split('/')[1] : undefined
    const found = name === undefined ? undefined : this.#ctx.store.get<ConnectionRecord>(CONNECTIONS, name)
    if (found === undefined || found.value.ConnectionArn !== value) throw new NotFoundError('ResourceNotFoundException', `Connection ${value} does not exist.`, { field })
    return found.value
  }

  #checkDestination(input: ApiDestinationInput, current?: ApiDestinationRecord): Omit<ApiDestinationRecord, 'ApiDestinationArn' | 'CreationTime' | 'LastModifiedTime' | 'Name'> {
    const connectionArn = input.ConnectionArn ?? current?.ConnectionArn
    if (connectionArn === undefined) throw invalid('ConnectionArn', 'is required')
    this.connectionByArn(text(connectionArn, 'ConnectionArn', 1600))
    const endpoint = input.InvocationEndpoint ?? current?.InvocationEndpoint
    if (endpoint === undefined) throw invalid('InvocationEndpoint', 'is required')
    const method = input.HttpMethod ?? current?.HttpMethod
    if (!METHODS.includes(method as HttpMethod)) throw invalid('HttpMethod', `must be one of ${METHODS.join(', ')}, got ${JSON.stringify(method)}`, METHODS.join('|'))
    const rate = input.InvocationRateLimitPerSecond ?? current?.InvocationRateLimitPerSecond ?? 300
    const description = input.Description !== undefined ? optionalText(input.Description, 'Description', 512) : current?.Description
    return {
      ConnectionArn: connectionArn, InvocationEndpoint: loopbackEndpoint(endpoint), HttpMethod: method as HttpMethod,
      InvocationRateLimitPerSecond: integerIn(rate, 'InvocationRateLimitPerSecond', 1, MAX_RATE), ApiDestinationState: 'ACTIVE',
      ...(description !== undefined ? { Description: description } : {})
    }
  }

  createApiDestination(input: ApiDestinationInput) {
    const name = checkName(input.Name, 'Name')
    const checked = this.#checkDestination(input)
    const now = this.#ctx.clock.now()
    const record: ApiDestinationRecord = { Name: name, ApiDestinationArn: this.#arn('api-destination', name), ...checked, CreationTime: now, LastModifiedTime: now }
    this.#ctx.store.transaction((tx) => {
      if (tx.get(API_DESTINATIONS, name) !== undefined) throw new ConflictError('ResourceAlreadyExistsException', `An api-destination ${name} already exists.`, { field: 'Name' })
      tx.put(API_DESTINATIONS, name, record, 0)
    })
    return { ApiDestinationArn: record.ApiDestinationArn, ApiDestinationState: record.ApiDestinationState, ...dates(record) }
  }

  #destination(name: unknown): { value: ApiDestinationRecord; version: number } {
    const n = checkName(name, 'Name')
    const found = this.#ctx.store.get<ApiDestinationRecord>(API_DESTINATIONS, n)
    if (found === undefined) throw new NotFoundError('ResourceNotFoundException', `An api-destination ${n} does not exist.`, { field: 'Name' })
    return found
  }

  describeApiDestination(input: { Name: string }) {
    return destination(this.#destination(input.Name).value)
  }

  listApiDestinations(input: { NamePrefix?: string; ConnectionArn?: string } & PageInput = {}) {
    const prefix = optionalText(input.NamePrefix, 'NamePrefix', 64)
    const page = pageOf<ApiDestinationRecord>(this.#ctx.store, this.#ctx.tokens, API_DESTINATIONS, `ListApiDestinations:${prefix ?? ''}:${input.ConnectionArn ?? ''}`, input, {
      ...(prefix ? { prefix } : {}), keep: (r) => input.ConnectionArn === undefined || r.value.ConnectionArn === input.ConnectionArn
    })
    return { ApiDestinations: page.items.map((r) => destination(r.value)), ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }

  updateApiDestination(input: ApiDestinationInput) {
    const found = this.#destination(input.Name)
    const checked = this.#checkDestination(input, found.value)
    const next: ApiDestinationRecord = { ...found.value, ...checked, LastModifiedTime: this.#ctx.clock.now() }
    // Compare-and-set: an update racing another one is refused, as EventBridge's ConcurrentModificationException.
    try {
      this.#ctx.store.put(API_DESTINATIONS, next.Name, next, found.version)
    } catch (error) {
      throw new ConflictError('ConcurrentModificationException', `api-destination ${next.Name} changed while it was updated; try again`, { field: 'Name', cause: error })
    }
    return { ApiDestinationArn: next.ApiDestinationArn, ApiDestinationState: next.ApiDestinationState, ...dates(next) }
  }

  deleteApiDestination(input: { Name: string }): Record<string, never> {
    const found = this.#destination(input.Name)
    this.#ctx.store.delete(API_DESTINATIONS, found.value.Name, found.version)
    return {}
  }

  /** The API destination an ARN names (its current ARN), or undefined. */
  destinationByArn(value: string): ApiDestinationRecord | undefined {
    const parsed = parseArn(value)
    if (parsed === undefined || parsed.service !== 'events' || !parsed.resource.startsWith('api-destination/')) return undefined
    const name = parsed.resource.split('/')[1]
    const found = this.#ctx.store.get<ApiDestinationRecord>(API_DESTINATIONS, name)
    return found !== undefined && found.value.ApiDestinationArn === value ? found.value : undefined
  }
}
