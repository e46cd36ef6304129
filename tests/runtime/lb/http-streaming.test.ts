// Bodies stream through the listener without being buffered: a chunked
// upload of unknown length, a response larger than any buffer that the
// client reads slowly (backpressure), Expect: 100-continue, and an HTTP/1.0
// client.
import http from 'node:http'
import { Readable } from 'node:stream'
import t from 'tap'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, group, groupArn, listenerConfig, openListener, raw, statusLine } from './http-fixtures.js'

const TG = groupArn('stream')
const forward = [{ type: 'forward' as const, targetGroups: [{ key: TG, weight: 1 }] }]

t.test('a chunked upload streams to the target, the first bytes before the last are sent', { timeout: 30_000 }, async (t) => {
  let firstChunkAt = -1
  let received = 0
  const target = await backend(t, (req, res) => {
    t.equal(req.headers['transfer-encoding'], 'chunked', 'still chunked to the target')
    req.on('data', (c: Buffer) => {
      if (firstChunkAt < 0) firstChunkAt = received
      received += c.length
      // Ask for the rest only once the first part has arrived.
      if (received >= 1024 && !released) release()
    })
    req.on('end', () => res.end(`received ${received}`))
  })
  let released = false
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = () => ((released = true), resolve())))
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forward }), { groups })
  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.alloc(1024, 'a')
    await gate // the target must see the first KiB while the upload is still open
    for (let i = 0; i < 64; i++) yield Buffer.alloc(16_384, 'b')
  }
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: listener.port, method: 'PUT', path: '/up', agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    Readable.from(body()).pipe(req)
  })
  t.equal(reply, `received ${1024 + 64 * 16_384}`)
  t.equal(firstChunkAt, 0)
})

t.test('a large response to a slow reader flows with backpressure and arrives whole', async (t) => {
  const size = 8 * 1024 * 1024
  const target = await backend(t, (_req, res) => {
    res.writeHead(200, { 'Content-Length': size })
    const chunk = Buffer.alloc(65_536, 'z')
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    pump()
  })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forward }), { groups })
  const total = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: listener.port, path: '/big', agent: false }, (res) => {
      t.equal(res.headers['content-length'], String(size))
      let n = 0
      res.on('data', (c: Buffer) => {
        n += c.length
        res.pause()
        setImmediate(() => res.resume())
      })
      res.on('end', () => resolve(n))
      res.on('error', reject)
    }).on('error', reject)
  })
  t.equal(total, size)
})

t.test('Expect: 100-continue and an HTTP/1.0 client', async (t) => {
  const target = await backend(t, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => res.end(`v${req.httpVersion} ${body}`))
  })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [target.port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forward }), { groups })
  const continued = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: listener.port, method: 'POST', path: '/', agent: false, headers: { expect: '100-continue', 'content-length': 5 } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve(text))
    })
    req.on('continue', () => req.end('hello'))
    req.on('error', reject)
  })
  t.equal(continued, 'v1.1 hello', 'the body is sent after 100 Continue')
  const old = await raw(listener.port, 'GET / HTTP/1.0\r\nHost: a\r\n\r\n')
  t.match(statusLine(old.text), /^HTTP\/1\.1 200/)
  t.match(old.text, /v1\.1 $/, 'the target is spoken to in HTTP/1.1')
  t.equal(old.closed, 'end', 'the HTTP/1.0 connection is closed after the answer')
})
