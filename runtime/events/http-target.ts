// One call to an API destination, as EventBridge makes it: the endpoint (its
// `*` path parameters filled from the target's HttpParameters, resolved when
// the event was matched), the method, the body (for methods that carry one)
// as application/json, the connection's authorization (an API key header,
// basic auth, or an OAuth client-credentials bearer token fetched from the
// connection's loopback authorization endpoint with its OAuthHttpParameters,
// and reused until it expires) and its invocation parameters. 2xx is
// success; as EventBridge's API destinations, 401, 407, 409, 429 and 5xx, a
// timeout or a refused connection may be retried; any other status is a
// failure EventBridge does not retry. A 401 or 407 drops the connection's
// cached OAuth token, so the retry fetches a new one; an authorization
// endpoint answering 4xx (but 429) is not retried (the credentials are wrong).

import { Agent, request } from 'undici'
import type { ApiDestinationRecord, ConnectionHttpParameters, ConnectionRecord, ResolvedHttp } from './model.js'

export type SendResult = { ok: true; status: number } | { ok: false; retryable: boolean; code: string; message: string }

interface Token { value: string; expiresAt: number }

/** The statuses EventBridge retries (its user guide's API destination error table): 401, 407, 409, 429 and 5xx. */
export function retriedStatus(status: number): boolean {
  return status === 401 || status === 407 || status === 409 || status === 429 || status >= 500
}

class OAuthFailure extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message)
  }
}

/** A connection's header, query and body parameters added to a request. */
function apply(p: ConnectionHttpParameters | undefined, url: URL, headers: Record<string, string>, body: Record<string, string> | undefined): void {
  for (const h of p?.HeaderParameters ?? []) headers[h.Key.toLowerCase()] = h.Value
  for (const q of p?.QueryStringParameters ?? []) url.searchParams.append(q.Key, q.Value)
  if (body !== undefined) for (const b of p?.BodyParameters ?? []) body[b.Key] = b.Value
}

export class HttpTargets {
  readonly #agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 })
  readonly #tokens = new Map<string, Token>()
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }

  async #oauth(c: ConnectionRecord, signal: AbortSignal): Promise<string> {
    const cached = this.#tokens.get(c.ConnectionArn)
    if (cached !== undefined && cached.expiresAt > this.#now()) return cached.value
    const o = c.AuthParameters.OAuthParameters!
    const basic = Buffer.from(`${o.ClientParameters!.ClientID}:${o.ClientParameters!.ClientSecret}`).toString('base64')
    const url = new URL(o.AuthorizationEndpoint)
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
    const form: Record<string, string> = { grant_type: 'client_credentials' }
    apply(o.OAuthHttpParameters, url, headers, form)
    headers.authorization = `Basic ${basic}`
    if (o.HttpMethod === 'GET') for (const [k, v] of Object.entries(form)) url.searchParams.set(k, v)
    const res = await request(url, {
      method: o.HttpMethod as 'POST', dispatcher: this.#agent, signal, headers,
      ...(o.HttpMethod === 'GET' ? {} : { body: new URLSearchParams(form).toString() })
    })
    const text = await res.body.text()
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new OAuthFailure(`the authorization endpoint answered ${res.statusCode}`, res.statusCode === 429 || res.statusCode >= 500 || res.statusCode < 400)
    }
    let parsed: { access_token?: unknown; expires_in?: unknown }
    try { parsed = JSON.parse(text) as typeof parsed } catch { throw new OAuthFailure('the authorization endpoint answered no JSON', true) }
    if (typeof parsed.access_token !== 'string') throw new OAuthFailure('the authorization endpoint answered no access_token', true)
    const ttl = typeof parsed.expires_in === 'number' ? parsed.expires_in * 1000 : 3_600_000
    this.#tokens.set(c.ConnectionArn, { value: parsed.access_token, expiresAt: this.#now() + ttl * 0.9 })
    return parsed.access_token
  }

  async send(d: ApiDestinationRecord, c: ConnectionRecord, http: ResolvedHttp | undefined, body: string, signal: AbortSignal): Promise<SendResult> {
    try {
      let endpoint = d.InvocationEndpoint
      for (const value of http?.path ?? []) endpoint = endpoint.replace('*', encodeURIComponent(value))
      const url = new URL(endpoint)
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Amazon/EventBridge/ApiDestinations' }
      const a = c.AuthParameters
      const extra: Record<string, string> = {}
      apply(a.InvocationHttpParameters, url, headers, extra)
      for (const [k, v] of Object.entries(http?.headers ?? {})) headers[k.toLowerCase()] = v
      for (const [k, v] of Object.entries(http?.query ?? {})) url.searchParams.append(k, v)
      if (a.ApiKeyAuthParameters !== undefined) headers[a.ApiKeyAuthParameters.ApiKeyName.toLowerCase()] = a.ApiKeyAuthParameters.ApiKeyValue ?? ''
      if (a.BasicAuthParameters !== undefined) headers.authorization = `Basic ${Buffer.from(`${a.BasicAuthParameters.Username}:${a.BasicAuthParameters.Password ?? ''}`).toString('base64')}`
      if (a.OAuthParameters !== undefined) headers.authorization = `Bearer ${await this.#oauth(c, signal)}`
      let payload = body
      if (Object.keys(extra).length > 0) {
        const parsed = JSON.parse(body) as unknown
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) payload = JSON.stringify({ ...parsed, ...extra })
      }
      const carriesBody = d.HttpMethod !== 'GET' && d.HttpMethod !== 'HEAD'
      const res = await request(url, { method: d.HttpMethod, headers, dispatcher: this.#agent, signal, ...(carriesBody ? { body: payload } : {}) })
      await res.body.dump()
      if (res.statusCode >= 200 && res.statusCode <= 299) return { ok: true, status: res.statusCode }
      // The target refused the token (rotated, revoked): the next attempt fetches a new one.
      if ((res.statusCode === 401 || res.statusCode === 407) && a.OAuthParameters !== undefined) this.#tokens.delete(c.ConnectionArn)
      return { ok: false, retryable: retriedStatus(res.statusCode), code: `HTTP_STATUS_${res.statusCode}`, message: `${d.HttpMethod} ${d.InvocationEndpoint} answered ${res.statusCode}` }
    } catch (error) {
      if (signal.aborted) return { ok: false, retryable: true, code: 'TIMEOUT', message: `${d.HttpMethod} ${d.InvocationEndpoint} did not answer in time` }
      if (error instanceof OAuthFailure) return { ok: false, retryable: error.retryable, code: 'OAUTH_FAILED', message: `${d.HttpMethod} ${d.InvocationEndpoint}: ${error.message}` }
      return { ok: false, retryable: true, code: 'CONNECTION_ERROR', message: `${d.HttpMethod} ${d.InvocationEndpoint}: ${(error as Error).message}` }
    }
  }
}
