// One call to an API destination, as EventBridge makes it: the endpoint (its
// `*` path parameters filled from the target's HttpParameters), the method,
// the body (for methods that carry one) as application/json, the
// connection's authorization (an API key header, basic auth, or an OAuth
// client-credentials bearer token fetched from the connection's loopback
// authorization endpoint and reused until it expires) and its invocation
// parameters. 2xx is success; 429 and 5xx, a timeout or a refused connection
// may be retried; any other status is a failure EventBridge does not retry.

import { Agent, request } from 'undici'
import type { ApiDestinationRecord, ConnectionRecord, Target } from './model.js'

export type SendResult = { ok: true; status: number } | { ok: false; retryable: boolean; code: string; message: string }

interface Token { value: string; expiresAt: number }

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
    const res = await request(o.AuthorizationEndpoint, {
      method: o.HttpMethod as 'POST', dispatcher: this.#agent, signal,
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      ...(o.HttpMethod === 'GET' ? {} : { body: 'grant_type=client_credentials' })
    })
    const text = await res.body.text()
    if (res.statusCode < 200 || res.statusCode > 299) throw Object.assign(new Error(`the authorization endpoint answered ${res.statusCode}`), { code: 'OAUTH_FAILED' })
    const parsed = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown }
    if (typeof parsed.access_token !== 'string') throw Object.assign(new Error('the authorization endpoint answered no access_token'), { code: 'OAUTH_FAILED' })
    const ttl = typeof parsed.expires_in === 'number' ? parsed.expires_in * 1000 : 3_600_000
    this.#tokens.set(c.ConnectionArn, { value: parsed.access_token, expiresAt: this.#now() + ttl * 0.9 })
    return parsed.access_token
  }

  async send(d: ApiDestinationRecord, c: ConnectionRecord, target: Target | undefined, body: string, signal: AbortSignal): Promise<SendResult> {
    try {
      const params = target?.HttpParameters
      let endpoint = d.InvocationEndpoint
      for (const value of params?.PathParameterValues ?? []) endpoint = endpoint.replace('*', encodeURIComponent(value))
      const url = new URL(endpoint)
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Amazon/EventBridge/ApiDestinations' }
      const inv = c.AuthParameters.InvocationHttpParameters
      for (const h of inv?.HeaderParameters ?? []) if (h.Key !== undefined && h.Value !== undefined) headers[h.Key.toLowerCase()] = h.Value
      for (const q of inv?.QueryStringParameters ?? []) if (q.Key !== undefined && q.Value !== undefined) url.searchParams.append(q.Key, q.Value)
      for (const [k, v] of Object.entries(params?.HeaderParameters ?? {})) headers[k.toLowerCase()] = v
      for (const [k, v] of Object.entries(params?.QueryStringParameters ?? {})) url.searchParams.append(k, v)
      const a = c.AuthParameters
      if (a.ApiKeyAuthParameters !== undefined) headers[a.ApiKeyAuthParameters.ApiKeyName.toLowerCase()] = a.ApiKeyAuthParameters.ApiKeyValue ?? ''
      if (a.BasicAuthParameters !== undefined) headers.authorization = `Basic ${Buffer.from(`${a.BasicAuthParameters.Username}:${a.BasicAuthParameters.Password ?? ''}`).toString('base64')}`
      if (a.OAuthParameters !== undefined) headers.authorization = `Bearer ${await this.#oauth(c, signal)}`
      let payload = body
      const extra = inv?.BodyParameters?.filter((b) => b.Key !== undefined) ?? []
      if (extra.length > 0) {
        const parsed = JSON.parse(body) as unknown
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) payload = JSON.stringify({ ...parsed, ...Object.fromEntries(extra.map((b) => [b.Key, b.Value])) })
      }
      const carriesBody = d.HttpMethod !== 'GET' && d.HttpMethod !== 'HEAD'
      const res = await request(url, { method: d.HttpMethod, headers, dispatcher: this.#agent, signal, ...(carriesBody ? { body: payload } : {}) })
      await res.body.dump()
      if (res.statusCode >= 200 && res.statusCode <= 299) return { ok: true, status: res.statusCode }
      const retryable = res.statusCode === 429 || res.statusCode >= 500
      return { ok: false, retryable, code: `HTTP_STATUS_${res.statusCode}`, message: `${d.HttpMethod} ${d.InvocationEndpoint} answered ${res.statusCode}` }
    } catch (error) {
      if (signal.aborted) return { ok: false, retryable: true, code: 'TIMEOUT', message: `${d.HttpMethod} ${d.InvocationEndpoint} did not answer in time` }
      const code = (error as { code?: string }).code
      return { ok: false, retryable: true, code: code === 'OAUTH_FAILED' ? code : 'CONNECTION_ERROR', message: `${d.HttpMethod} ${d.InvocationEndpoint}: ${(error as Error).message}` }
    }
  }
}
