// An Application Load Balancer in front of two Node servers on this machine:
// round robin between them, a path rule with a fixed response, and a target
// taken out of rotation once its health checks fail — on a manual clock, so
// thirty-second health check intervals pass at once.
//
//   node dist/examples/load-balancer.js
import http from 'node:http'
import { Stratus } from 'stratus'

function backend(name: string): Promise<{ server: http.Server; port: number; healthy: { value: boolean } }> {
  const healthy = { value: true }
  const server = http.createServer((req, res) => {
    if (req.url === '/health') res.writeHead(healthy.value ? 200 : 500).end()
    else res.end(`${name}\n`)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, healthy })))
}

const [a, b] = await Promise.all([backend('a'), backend('b')])
await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
try {
  const tg = await cloud.elbv2.targetGroup('web', { port: a.port, healthCheck: { path: '/health', intervalSeconds: 30, healthyThreshold: 2 } }).create()
  await tg.register(`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`)
  const lb = await cloud.elbv2.loadBalancer('web').create()
  const listener = await lb.listener(8080).forwardTo(tg)
  await listener.rule(10).path('/status').fixedResponse(200, 'ok\n', 'text/plain')

  await cloud.clock.advance(60_000) // two health checks: both targets healthy
  console.log('targets:', (await tg.health()).map((h) => `${h.port} ${h.state}`).join(', '))

  const url = await lb.url(8080)
  const get = async (path: string) => (await (await fetch(`${url}${path}`)).text()).trim()
  console.log(`${url}: ${(await Promise.all([1, 2, 3, 4].map(() => get('/')))).join(' ')}  (round robin)`)
  console.log(`${url}/status: ${await get('/status')}  (a rule's fixed response)`)

  b.healthy.value = false
  await cloud.clock.advance(60_000) // two failed checks (the unhealthy threshold)
  const [down] = await tg.health(`127.0.0.1:${b.port}`)
  console.log(`b is ${down.state} (${down.reason}); requests now: ${(await Promise.all([1, 2, 3].map(() => get('/')))).join(' ')}`)
} finally {
  a.server.close()
  b.server.close()
}
