// Health check probes of a target group's targets: one HTTP(S) GET of the
// path (or a TCP connect) to host:(traffic port | health check port), judged
// against the matcher, with the timeout as a timer on the engine's Clock (a
// ManualClock fast-forwards it; the sockets are real). The outcome carries
// ALB's reason code and description for DescribeTargetHealth.
//
// Each probe opens its own connection and closes it after the answer, as
// ALB's health checker does (no keep-alive, no pooling), from the load
// balancer's address when it is given (targets see checks come from where
// the load balancer's traffic comes from).

import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { Clock } from '../clock/clock.js'
import { InvalidArgumentError } from '../errors.js'
import type { HealthCheckConfig, TargetReason, TargetSpec } from './model.js'

export type ProbeResult =
  | { ok: true; statusCode?: number }
  | { ok: false; reason: Extract<TargetReason, 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks' | 'Elb.InternalError'>; description: string }

/** The descriptions ALB gives with each reason code. */
export const DESCRIPTIONS = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.Timeout': 'Request timed out',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.HealthCheckDisabled': 'Health checks are disabled',
  'Target.InvalidState': 'Target is in the stopped or terminated state',
  'Elb.InternalError': 'Health checks failed due to an internal error'
} as const

/**
 * Socket errors that come from this side, not from the target: no descriptor
 * or buffer left, no local port or address to connect from (ephemeral ports
 * run out under load), an address the socket cannot bind. An ALB reports
 * them as Elb.InternalError (still a failed check); AWS gives that code to
 * ALBs only, so an NLB's group says Target.FailedHealthChecks.
 */
const LOCAL_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL', 'EADDRINUSE', 'EAFNOSUPPORT', 'EINVAL'])

/** The failed probe an error of the check's own socket stands for (`internalErrors`: local failures are Elb.InternalError). */
export function failure(err: unknown, internalErrors = true): ProbeResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return internalErrors && code !== undefined && LOCAL_ERRORS.has(code)
    ? { ok: false, reason: 'Elb.InternalError', description: DESCRIPTIONS['Elb.InternalError'] }
    : { ok: false, reason: 'Target.FailedHealthChecks', description: DESCRIPTIONS['Target.FailedHealthChecks'] }
}

export function codeMismatch(code: number): string {
  return `Health checks failed with these codes: [${code}]`
}

/** The user agent of ALB's health checker. */
export const HEALTH_CHECK_USER_AGENT = 'ELB-HealthChecker/2.0'

/** A matcher as a test of one status code. */
export type Matcher = (statusCode: number) => boolean

/**
 * Parses an HttpCode matcher: `200`, `200,202`, `200-299` (mixed lists
 * allowed). Each code must lie in [min, max] (ALB: 200–499; NLB's HTTP
 * checks: 200–599). Throws a coded error naming the field otherwise.
 */
export function parseMatcher(matcher: string, limits: { min: number; max: number } = { min: 200, max: 499 }, field = 'Matcher.HttpCode'): Matcher {
  const bad = (why: string) => new InvalidArgumentError('InvalidMatcher', `${field} '${matcher}' is not valid: ${why}`, { field, limit: `${limits.min}-${limits.max}` })
  const text = matcher.trim()
  if (text.length === 0) throw bad('it is empty')
  const ranges: Array<[number, number]> = []
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part)
    if (m === null) throw bad(`'${part}' is not a code or a range of codes`)
    const lo = Number(m[1])
    const hi = m[2] === undefined ? lo : Number(m[2])
    if (lo > hi) throw bad(`the range '${part.trim()}' ends before it starts`)
    if (lo < limits.min || hi > limits.max) throw bad(`codes must be between ${limits.min} and ${limits.max}`)
    ranges.push([lo, hi])
  }
  if (ranges.length === 1) {
    const [lo, hi] = ranges[0]
    return (code) => code >= lo && code <= hi
  }
  return (code) => ranges.some(([lo, hi]) => code >= lo && code <= hi)
}

/** The port the health check uses for a target. */
export function healthCheckPort(config: HealthCheckConfig, target: TargetSpec | { port: number }): number {
  return config.port === 'traffic-port' ? target.port : config.port
}

export interface ProbeOptions {
  clock: Clock
  /** The address the check connects from (the load balancer's, as its data connections); absent: the system's choice. */
  localAddress?: string
  /** Aborts the probe (the group closed or the target left); resolves as a failure nobody reads. */
  signal?: AbortSignal
  /** Failures on this side are Elb.InternalError (an ALB's groups); otherwise Target.FailedHealthChecks. */
  internalErrors?: boolean
}

/** Runs one health check against a target. Never rejects. */
export function probe(config: HealthCheckConfig, matcher: Matcher, target: TargetSpec, o: ProbeOptions): Promise<ProbeResult> {
  const port = healthCheckPort(config, target)
  return config.protocol === 'TCP' ? probeTcp(target.host, port, config.timeoutMs, o) : probeHttp(config, matcher, target.host, port, o)
}

/** Runs `start` with a clock deadline; `finish` may be called once (later calls are ignored). */
function withDeadline(o: ProbeOptions, timeoutMs: number, start: (finish: (r: ProbeResult) => void) => () => void): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false
    let cleanup: () => void = () => {}
    const finish = (r: ProbeResult) => {
      if (done) return
      done = true
      o.clock.clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      cleanup()
      resolve(r)
    }
    const onAbort = () => finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health check aborted' })
    const timer = o.clock.setTimeout(() => finish({ ok: false, reason: 'Target.Timeout', description: DESCRIPTIONS['Target.Timeout'] }), timeoutMs)
    if (o.signal?.aborted === true) return onAbort()
    o.signal?.addEventListener('abort', onAbort, { once: true })
    cleanup = start(finish)
    if (done) cleanup()
  })
}

function probeTcp(host: string, port: number, timeoutMs: number, o: ProbeOptions): Promise<ProbeResult> {
  return withDeadline(o, timeoutMs, (finish) => {
    const socket = net.connect({ host, port, ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}) })
    socket.once('connect', () => finish({ ok: true }))
    socket.on('error', (err) => finish(failure(err, o.internalErrors === true)))
    return () => socket.destroy()
  })
}

function probeHttp(config: HealthCheckConfig, matcher: Matcher, host: string, port: number, o: ProbeOptions): Promise<ProbeResult> {
  return withDeadline(o, config.timeoutMs, (finish) => {
    const failed = () => finish({ ok: false, reason: 'Target.FailedHealthChecks', description: DESCRIPTIONS['Target.FailedHealthChecks'] })
    const options: https.RequestOptions = {
      host,
      port,
      path: config.path.length > 0 ? config.path : '/',
      method: 'GET',
      agent: false,
      ...(o.localAddress !== undefined ? { localAddress: o.localAddress } : {}),
      headers: { host: `${host}:${port}`, 'user-agent': HEALTH_CHECK_USER_AGENT, connection: 'close' }
    }
    let req: http.ClientRequest
    try {
      // ALB does not verify targets' certificates.
      req = config.protocol === 'HTTPS' ? https.request({ ...options, rejectUnauthorized: false }) : http.request(options)
    } catch {
      // An unusable path (e.g. with characters a request line cannot carry).
      failed()
      return () => {}
    }
    req.once('response', (res) => {
      const code = res.statusCode ?? 0
      res.resume()
      finish(matcher(code) ? { ok: true, statusCode: code } : { ok: false, reason: 'Target.ResponseCodeMismatch', description: codeMismatch(code) })
    })
    req.on('error', (err) => finish(failure(err, o.internalErrors === true)))
    req.end()
    return () => req.destroy()
  })
}
