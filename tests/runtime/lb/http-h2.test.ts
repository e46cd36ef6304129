// HTTP/2 from clients on HTTPS listeners: chosen by ALPN while
// routing.http2.enabled is on, each stream routed by the rules and forwarded
// to the target in HTTP/1.1 (ALB's way), answers decoded into h2 frames;
// bodies with and without a length; many streams on one connection; the
// load balancer's own answers (fixed, redirect, 503, 502) in h2; and h2
// switched off leaving HTTP/1.1.
import http2 from 'node:http2'
import https from 'node:https'
import type tls from 'node:tls'
import t, { type Test } from 'tap'
import type { ListenerConfig, TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, certificate, fixed, group, groupArn, listenerConfig, openListener } from './http-fixtures.js'

const TG = groupArn('h2')

interface H2Reply {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
}

async function session(t: Test, port: number): Promise<http2.ClientHttp2Session> {
  const client = http2.connect(`https://127.0.0.1:${port}`, { servername: 'h2.test', rejectUnauthorized: false })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  t.teardown(() => client.close())
  return client
}

function h2request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string | string[]): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = client.request({ ':authority': 'h2.test', ...headers }, { endStream: body === undefined })
    let replyHeaders: http2.IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('response', (h) => (replyHeaders = h))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve({ status: Number(replyHeaders[':status']), headers: replyHeaders, body: Buffer.concat(chunks).toString('utf8') }))
    stream.on('error', reject)
    if (body !== undefined) {
      for (const part of Array.isArray(body) ? body : [body]) stream.write(part)
      stream.end()
    }
  })
}

async function h2Listener(t: Test, config: Partial<ListenerConfig>, groups?: Map<string, TargetGroupRuntime>, http2Enabled?: boolean) {
  return openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [await certificate('arn:cert/h2', ['h2.test'], true)], ...config }), {
    ...(groups === undefined ? {} : { groups }),
    ...(http2Enabled === undefined ? {} : { http2: http2Enabled })
  })
}

t.test('a stream is forwarded in HTTP/1.1 with ALB headers; the answer comes back in h2, decoded', async (t) => {
  const seen: Array<{ version: string; method: string; url: string; headers: Record<string, unknown>; body: string }> = []
  const target = await backend(t, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      seen.push({ version: req.httpVersion, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      res.setHeader('Set-Cookie', ['a=1', 'b=2'])
      res.setHeader('X-App', 'yes')
      // No length: the target answers chunked, which h2 must not see.
      res.write('part one, ')
      res.end(`part two (${body.length})`)
    })
  })
  const groups = new Map<string, TargetGroupRuntime>()
  const counted = group(t, groups, TG, [target.port])
  const listener = await h2Listener(t, { defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }, groups)
  const client = await session(t, listener.port)
  t.equal((client.socket as tls.TLSSocket).alpnProtocol, 'h2', 'ALPN chose h2')

  const get = await h2request(client, { ':method': 'GET', ':path': '/a/b?c=1', 'x-forwarded-for': '198.51.100.9' })
  t.equal(get.status, 200)
  t.equal(get.body, 'part one, part two (0)', 'the chunked answer arrives as its payload')
  t.same(get.headers['set-cookie'], ['a=1', 'b=2'], 'repeated Set-Cookie kept apart')
  t.equal(get.headers['x-app'], 'yes')
  t.equal(get.headers['transfer-encoding'], undefined)
  const first = seen[0]!
  t.equal(first.version, '1.1', 'the target is spoken to in HTTP/1.1')
  t.equal(first.url, '/a/b?c=1')
  t.equal(first.headers.host, 'h2.test', ':authority becomes Host')
  t.equal(first.headers['x-forwarded-proto'], 'https')
  t.equal(first.headers['x-forwarded-for'], '198.51.100.9, 127.0.0.1')
  t.match(String(first.headers['x-amzn-trace-id']), /^Root=1-/)

  const sized = await h2request(client, { ':method': 'POST', ':path': '/up', 'content-length': '11' }, ['hello', ' world'])
  t.equal(sized.body, 'part one, part two (11)', 'a body with a length')
  t.equal(seen[1]!.headers['content-length'], '11')
  const streamed = await h2request(client, { ':method': 'POST', ':path': '/up' }, ['abc', 'def', 'ghi'])
  t.equal(streamed.body, 'part one, part two (9)', 'a body without a length goes chunked')
  t.equal(seen[2]!.headers['transfer-encoding'], 'chunked')
  t.equal(seen[2]!.body, 'abcdefghi')

  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(client, { ':method': 'GET', ':path': `/many/${i}` })))
  t.equal(many.filter((r) => r.status === 200).length, 20, 'twenty concurrent streams on one connection')
  t.equal(counted.releases, counted.picks, 'every pick released')
  t.equal(counted.doubleReleases, 0)
})

t.test('a stream whose DATA does not match its content-length is reset; nothing reaches the target', async (t) => {
  let reached = 0
  const target = await backend(t, (req, res) => { reached++; req.resume(); req.on('end', () => res.end('x')) })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await h2Listener(t, { defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }] }, groups)
  const client = await session(t, listener.port)
  const longer = await h2request(client, { ':method': 'POST', ':path': '/', 'content-length': '3' }, 'abcdefGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n').then(() => 'answered', (e: Error) => e.message)
  t.not(longer, 'answered', 'more bytes than declared: the stream is reset')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(reached, 0, 'the target never saw a complete request (nor a smuggled one)')
  const ok = await h2request(client, { ':method': 'GET', ':path': '/' })
  t.equal(ok.status, 200, 'the connection carries on')
})

t.test('the load balancer’s own answers in h2: fixed response, redirect, 503, 502', async (t) => {
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [1])
  const listener = await h2Listener(t, {
    rules: [
      { key: 'fixed', priority: 1, conditions: [{ field: 'path-pattern', values: ['/fixed'] }], actions: [fixed('418', 'teapot', 'text/plain')] },
      { key: 'redirect', priority: 2, conditions: [{ field: 'path-pattern', values: ['/old'] }], actions: [{ type: 'redirect', statusCode: 'HTTP_301', protocol: '#{protocol}', host: '#{host}', port: '#{port}', path: '/new', query: '#{query}' }] },
      { key: 'empty', priority: 3, conditions: [{ field: 'path-pattern', values: ['/none'] }], actions: [{ type: 'forward', targetGroups: [{ key: 'missing', weight: 1 }] }] }
    ],
    defaultActions: [{ type: 'forward', targetGroups: [{ key: TG, weight: 1 }] }]
  }, groups)
  const client = await session(t, listener.port)
  const f = await h2request(client, { ':method': 'GET', ':path': '/fixed' })
  t.equal(f.status, 418)
  t.equal(f.body, 'teapot')
  t.equal(f.headers.server, 'awselb/2.0')
  const r = await h2request(client, { ':method': 'GET', ':path': '/old?x=1' })
  t.equal(r.status, 301)
  t.equal(r.headers.location, `https://h2.test:${listener.port}/new?x=1`)
  const none = await h2request(client, { ':method': 'GET', ':path': '/none' })
  t.equal(none.status, 503)
  const refused = await h2request(client, { ':method': 'GET', ':path': '/anything' })
  t.equal(refused.status, 502, 'the target on port 1 refuses: 502')
  t.match(refused.body, /502 Bad Gateway/)
})

t.test('routing.http2.enabled off: ALPN gives HTTP/1.1, and setHttp2 changes new handshakes', async (t) => {
  const listener = await h2Listener(t, { defaultActions: [fixed('200', 'one')] }, undefined, false)
  const alpn = (): Promise<string | false | null> => new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: listener.port, servername: 'h2.test', rejectUnauthorized: false, agent: false, ALPNProtocols: ['h2', 'http/1.1'] } as https.RequestOptions, (res) => {
      res.resume()
      resolve((res.socket as tls.TLSSocket).alpnProtocol)
    })
    req.on('error', reject)
  })
  t.equal(await alpn(), 'http/1.1')
  listener.setHttp2(true)
  const client = await session(t, listener.port)
  t.equal((client.socket as tls.TLSSocket).alpnProtocol, 'h2')
  t.equal((await h2request(client, { ':method': 'GET', ':path': '/' })).body, 'one')
})
