// `Stratus.connect(url, options)`: the SDK's services over a running engine's
// wire API. One keep-alive pool carries every call; closing the SDK closes it
// (the engine keeps running).

import { channel } from 'node:diagnostics_channel'
import type { CloudBackend } from '../services.js'
import { remoteBatch } from './batch.js'
import { remoteEcs } from './ecs.js'
import { remoteClock, remoteEvents } from './cloud.js'
import { remoteRegistry } from './registry.js'
import { remoteIam } from './iam.js'
import { remoteAudit } from './audit.js'
import { remoteEventBridge } from './events.js'
import { remoteLogs } from './logs.js'
import { remoteAcm } from './acm.js'
import { remoteElbv2 } from './elbv2.js'
import { StratusApi } from './stratus-api.js'
import { WireClient, type Credentials } from './wire.js'

export type { Credentials } from './wire.js'

export interface ConnectOptions {
  /** SigV4 credentials (default test/test: accepted by an engine with auth off). */
  credentials?: Credentials
  /** The region requests are signed for (default: the engine's, from its /health document; us-east-1 if it does not say). */
  region?: string
  /** Most connections open at once (default 16). */
  connections?: number
}

const handlerErrors = channel('stratus:sdk:subscription-error')

/** The region an engine answers as, from its health document (undefined when it cannot be read). */
async function engineRegion(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5000) })
    const region = ((await res.json()) as { region?: unknown }).region
    return typeof region === 'string' ? region : undefined
  } catch {
    return undefined
  }
}

export async function connectBackend(url: string, options: ConnectOptions = {}): Promise<CloudBackend> {
  const credentials = options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' }
  const region = options.region ?? (URL.canParse(url) ? await engineRegion(url) : undefined) ?? 'us-east-1'
  const wire = new WireClient(url, { credentials, region, ...(options.connections !== undefined ? { connections: options.connections } : {}) })
  try {
    const stratus = new StratusApi(wire)
    // The first call proves the endpoint answers the /stratus/ API (and learns the clock's kind).
    const clock = await remoteClock(stratus)
    const subscriptions = new Set<() => void>()
    const events = remoteEvents(stratus, (error) => { if (handlerErrors.hasSubscribers) handlerErrors.publish({ error }) })
    return {
      endpoint: wire.host,
      batch: remoteBatch(wire, stratus),
      // ECS Exec's stream handshake is signed with the same key (an engine with auth 'iam' requires the caller's).
      ecs: Object.assign(remoteEcs(wire, stratus), { execCredentials: { ...credentials, region } }),
      acm: remoteAcm(wire, stratus),
      registry: remoteRegistry(wire, stratus),
      clock,
      iam: remoteIam(wire, stratus),
      audit: remoteAudit(wire),
      logs: remoteLogs(wire),
      elbv2: remoteElbv2(wire),
      events: {
        subscribe(pattern, handler) {
          const subscription = events.subscribe(pattern, handler)
          const unsubscribe = Object.assign(() => { subscriptions.delete(unsubscribe); subscription() }, { ready: subscription.ready })
          subscriptions.add(unsubscribe)
          return unsubscribe
        },
        bridge: remoteEventBridge(wire, stratus)
      },
      async close() {
        for (const unsubscribe of [...subscriptions]) unsubscribe()
        await wire.close()
      }
    }
  } catch (error) {
    await wire.close()
    throw error
  }
}
