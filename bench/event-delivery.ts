// EventBridge deliveries per second to a loopback HTTP target: N custom
// events (PutEvents, 10 per call) matched by R rules, each with one API
// destination target on the same 127.0.0.1 server, so R queues send at once
// (one call in flight per rule and target, as delivery keeps each target's
// order). Measured from the first PutEvents to the last acknowledgement
// (planning in the store, the HTTP calls, the deletions of the delivery
// records), against the baseline measured in the same run: raw undici POSTs
// of the same bodies to the same server with the same concurrency. Run on the
// memory store and on the SQLite store (a temporary data directory).
//
//   npm run build && node dist/bench/event-delivery.js [--json] [--events=5000 --rules=4]
//
// Target (issue 11): ≥ 2,000 deliveries/s. Never fails on time.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { Engine } from '../runtime/engine.js'
import { onCleanup, runBench } from './cleanup.js'

const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)

interface Target { url: string; count: () => number; until: (n: number) => Promise<void>; close: () => Promise<void> }

async function target(): Promise<Target> {
  let n = 0
  let waiter: { n: number; resolve: () => void } | undefined
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      n++
      res.end('{}')
      if (waiter !== undefined && n >= waiter.n) { waiter.resolve(); waiter = undefined }
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    count: () => n,
    until: (want) => n >= want ? Promise.resolve() : new Promise((resolve) => { waiter = { n: want, resolve } }),
    close: async () => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
}

/** Raw undici POSTs: `concurrency` loops, each sending its share one after another. */
async function baseline(url: string, bodies: string[], concurrency: number): Promise<number> {
  const agent = new Agent({ connections: 64 })
  try {
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = lane; i < bodies.length; i += concurrency) {
        const res = await request(url, { method: 'POST', body: bodies[i], headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, dispatcher: agent })
        await res.body.dump()
      }
    }))
    return bodies.length / ((performance.now() - started) / 1000)
  } finally {
    await agent.close()
  }
}

/** Deliveries per second through an engine on `store` (memory, or SQLite in a temporary data directory). */
async function deliver(server: Target, store: 'memory' | 'sqlite', events: number, rules: number): Promise<{ perS: number; pendingAfter: number }> {
  let engine: Engine | undefined
  const dataDir = store === 'sqlite' ? await mkdtemp(join(tmpdir(), 'stratus-bench-events-')) : undefined
  // Stopped on a signal too (runBench's cleanup), not only when this returns or throws.
  onCleanup(async () => {
    await engine?.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })
  try {
    engine = await Engine.start({ runner: 'simulated', ...(dataDir !== undefined ? { dataDir } : {}) })
    const b = engine.eventBridge
    const { ConnectionArn } = b.createConnection({ Name: 'bench', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k' } } })
    const { ApiDestinationArn } = b.createApiDestination({ Name: 'bench', ConnectionArn, InvocationEndpoint: server.url, HttpMethod: 'POST', InvocationRateLimitPerSecond: 100_000 })
    for (let r = 0; r < rules; r++) {
      b.putRule({ Name: `r${r}`, EventPattern: JSON.stringify({ source: ['bench'] }) })
      b.putTargets({ Rule: `r${r}`, Targets: [{ Id: 't', Arn: ApiDestinationArn }] })
    }
    // Warm-up: connections open, code paths compiled.
    const warm = server.count()
    b.putEvents({ Entries: [{ Source: 'bench', DetailType: 'warm', Detail: '{}' }] })
    await server.until(warm + rules)
    const before = server.count()
    const total = events * rules
    const started = performance.now()
    for (let i = 0; i < events; i += 10) {
      b.putEvents({ Entries: Array.from({ length: Math.min(10, events - i) }, (_, k) => ({ Source: 'bench', DetailType: 'Order Placed', Detail: JSON.stringify({ n: i + k }) })) })
    }
    await server.until(before + total)
    const seconds = (performance.now() - started) / 1000
    const deliveriesPerS = total / seconds
    // Wait for the last acknowledgements to be recorded before the engine stops.
    for (let i = 0; i < 100 && b.pendingDeliveries() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    const pendingAfter = b.pendingDeliveries()
    return { perS: deliveriesPerS, pendingAfter }
  } finally {
    await engine?.close()
    engine = undefined
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

export async function run(options: { events?: number; rules?: number } = {}): Promise<Record<string, unknown>> {
  const events = options.events ?? option('events', 5_000)
  const rules = options.rules ?? option('rules', 4)
  const total = events * rules
  const server = await target()
  onCleanup(() => server.close())
  try {
    const memory = await deliver(server, 'memory', events, rules)
    const sqlite = await deliver(server, 'sqlite', events, rules)
    // The same body a delivery carries (the whole event).
    const sample = JSON.stringify({ version: '0', id: '00000000-0000-0000-0000-000000000000', 'detail-type': 'Order Placed', source: 'bench', account: '000000000000', time: '2030-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail: { n: 0 } })
    const baselinePerS = await baseline(server.url, Array.from({ length: total }, () => sample), rules)
    return {
      event_delivery_events: events,
      event_delivery_rules: rules,
      event_deliveries: total,
      event_deliveries_per_s: Math.round(memory.perS),
      event_deliveries_sqlite_per_s: Math.round(sqlite.perS),
      event_delivery_baseline_posts_per_s: Math.round(baselinePerS),
      event_delivery_ratio: Number((memory.perS / baselinePerS).toFixed(3)),
      event_delivery_sqlite_ratio: Number((sqlite.perS / baselinePerS).toFixed(3)),
      event_delivery_pending_after: memory.pendingAfter + sqlite.pendingAfter
    }
  } finally {
    await server.close()
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json')
  const f = await run()
  if (json) {
    console.log(JSON.stringify(f))
    return
  }
  console.log(`event deliveries to a loopback API destination: ${f.event_deliveries} (${f.event_delivery_events} events × ${f.event_delivery_rules} rules)`)
  console.log(`  delivered      ${f.event_deliveries_per_s} /s   memory store (target ≥ 2,000)`)
  console.log(`  delivered      ${f.event_deliveries_sqlite_per_s} /s   SQLite store (a data directory)`)
  console.log(`  raw undici     ${f.event_delivery_baseline_posts_per_s} /s   (baseline, same server, same concurrency)`)
  console.log(`  ratio          ${f.event_delivery_ratio} memory, ${f.event_delivery_sqlite_ratio} SQLite (to the baseline)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runBench(main)
