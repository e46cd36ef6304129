// Set-up shared by the EventBridge tests: an engine (manual clock, simulated
// runner) and a rule whose one target is an API destination pointing at a
// real loopback server. Not a test file.
import { Engine, type EngineOptions } from '../../../runtime/engine.js'
import type { Target } from '../../../runtime/events/index.js'
import type { TargetServer } from './target-server.js'

export function engine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.start({ clock: 'manual', runner: 'simulated', startTime: Date.UTC(2030, 0, 1), ...options })
}

export const ORDERS = { source: ['shop'], 'detail-type': ['Order Placed'] }

export interface HookOptions {
  rule?: string
  pattern?: object
  target?: Partial<Target>
  auth?: Parameters<Engine['eventBridge']['createConnection']>[0]
  rate?: number
}

/** Connection + API destination + rule + target; returns the destination's ARN. */
export function hook(e: Engine, server: TargetServer, o: HookOptions = {}): string {
  const rule = o.rule ?? 'orders'
  const connection = e.eventBridge.createConnection(o.auth ?? {
    Name: `${rule}-conn`, AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'sekret' } }
  })
  const { ApiDestinationArn } = e.eventBridge.createApiDestination({
    Name: `${rule}-dest`, ConnectionArn: connection.ConnectionArn, InvocationEndpoint: server.url, HttpMethod: 'POST', ...(o.rate ? { InvocationRateLimitPerSecond: o.rate } : {})
  })
  e.eventBridge.putRule({ Name: rule, EventPattern: JSON.stringify(o.pattern ?? ORDERS) })
  const put = e.eventBridge.putTargets({ Rule: rule, Targets: [{ Id: 't1', Arn: ApiDestinationArn, ...o.target }] })
  if (put.FailedEntryCount !== 0) throw new Error(JSON.stringify(put.FailedEntries))
  return ApiDestinationArn
}

/** PutEvents of orders n…n+count-1 (detail { n }), 10 per call. */
export function order(e: Engine, from: number, count = 1): string[] {
  const ids: string[] = []
  for (let i = 0; i < count; i += 10) {
    const Entries = Array.from({ length: Math.min(10, count - i) }, (_, k) => ({ Source: 'shop', DetailType: 'Order Placed', Detail: JSON.stringify({ n: from + i + k }) }))
    const out = e.eventBridge.putEvents({ Entries })
    if (out.FailedEntryCount !== 0) throw new Error(JSON.stringify(out.Entries))
    ids.push(...out.Entries.map((x) => x.EventId!))
  }
  return ids
}

export const ns = (bodies: string[]): number[] => bodies.map((b) => (JSON.parse(b) as { detail: { n: number } }).detail.n)
