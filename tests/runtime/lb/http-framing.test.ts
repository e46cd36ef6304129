// HTTP/1.1 framing on the listener's own parser (h1-head.ts, h1-chunked.ts,
// h1-client.ts, h1-target.ts), on the wire: pipelined requests answered in
// order, malformed heads refused, bodies delimited by length or chunks
// whatever way the bytes are split, answers framed for the client that asked
// (a chunked answer decoded for HTTP/1.0), and targets that answer badly.
import net from 'node:net'
import t, { type Test } from 'tap'
import { ChunkedScanner, MALFORMED, NEED_MORE } from '../../../runtime/lb/http/h1-chunked.js'
import { Framing, parseRequestHead, parseResponseHead } from '../../../runtime/lb/http/h1-head.js'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, connect, fixed, group, groupArn, listenerConfig, openListener, raw, statusLine, untilClosed } from './http-fixtures.js'

const TG = groupArn('framing')
const forward = [{ type: 'forward' as const, targetGroups: [{ key: TG, weight: 1 }] }]

function count(text: string, what: string): number {
  return text.split(what).length - 1
}

/** A raw TCP target: each connection gets `answer` written once the request head has arrived. */
async function rawTarget(t: Test, answer: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    let seen = ''
    socket.on('data', (c: Buffer) => {
      seen += c.toString('latin1')
      if (seen.includes('\r\n\r\n')) {
        seen = ''
        answer(socket)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as net.AddressInfo).port
}

async function forwardingListener(t: Test, port: number) {
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [port])
  return openListener(t, listenerConfig({ defaultActions: forward }), { groups })
}

t.test('the head parser (unit): framing, keep-alive, upgrade, and what it refuses', async (t) => {
  const ok = parseRequestHead('POST /a?b HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nCookie: a=1\r\ncookie: b=2', 100)
  t.ok(typeof ok === 'object')
  if (typeof ok === 'object') {
    t.equal(ok.framing, Framing.Length)
    t.equal(ok.length, 12)
    t.equal(ok.keepAlive, true)
    t.equal(ok.headers.cookie, 'a=1; b=2', 'cookies join as one header')
    t.same(ok.rawHeaders.slice(0, 2), ['Host', 'x'], 'raw headers keep their case')
  }
  const old = parseRequestHead('GET / HTTP/1.0', 100)
  t.equal(typeof old === 'object' && old.keepAlive, false, 'HTTP/1.0 closes unless asked to keep alive')
  const up = parseRequestHead('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket', 100)
  t.equal(typeof up === 'object' && up.upgrade, true)
  const te = parseRequestHead('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked', 100)
  t.equal(typeof te === 'object' && te.transferEncoding, 'gzip, chunked', 'a coding list ending in chunked is kept')
  const refused: Array<[string, number, string]> = [
    ['GET / HTTP/1.1\r\nHost: x\nX-A: 1', 400, 'a bare LF'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded', 400, 'obs-fold'],
    ['GET / HTTP/1.1\r\nHost : x', 400, 'a space before the colon'],
    ['GET / HTTP/1.1\r\nX-A: 1', 400, 'HTTP/1.1 without Host'],
    ['GET / HTTP/1.1\r\nHost: x\r\nHost: y', 400, 'two Hosts'],
    ['GET / HTTP/2.0\r\nHost: x', 505, 'a version this listener does not speak'],
    ['GET  / HTTP/1.1\r\nHost: x', 400, 'two spaces in the request line'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b', 400, 'a control character in a value'],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip', 400, 'a coding list not ending in chunked'],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked', 400, 'chunked from an HTTP/1.0 client'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1', 400, 'a negative length'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3', 400, 'a length that is not digits']
  ]
  for (const [head, status, what] of refused) t.equal(parseRequestHead(head, 100), status, what)
  t.equal(parseRequestHead(`GET / HTTP/1.1\r\nHost: x${'\r\nX-A: 1'.repeat(5)}`, 5), 400, 'more lines than maxHeaders')

  const res = parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 3', 'GET', 100)
  t.equal(res?.framing, Framing.Length)
  t.equal(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 3', 'HEAD', 100)?.framing, Framing.None, 'no body after HEAD')
  t.equal(parseResponseHead('HTTP/1.1 304 Not Modified\r\nContent-Length: 3', 'GET', 100)?.framing, Framing.None)
  t.equal(parseResponseHead('HTTP/1.1 200 OK', 'GET', 100)?.framing, Framing.UntilClose, 'no length: read until close')
  t.equal(parseResponseHead('HTTP/1.1 200 OK', 'GET', 100)?.keepAlive, false)
  t.equal(parseResponseHead('HTTP/1.1 204', 'GET', 100)?.message, '', 'an empty reason is allowed')
  t.equal(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4', 'GET', 100), undefined, 'two lengths: malformed')
  t.equal(parseResponseHead('HTTP/1.1 2000 OK', 'GET', 100), undefined)
  t.equal(parseResponseHead('ICY 200 OK', 'GET', 100), undefined)
})

t.test('the chunk scanner (unit): the same end wherever the bytes are split; broken codings refused', async (t) => {
  const message = Buffer.from('5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: yes\r\n\r\nNEXT')
  const end = message.length - 4
  for (let split = 0; split <= message.length; split++) {
    const s = new ChunkedScanner(1024)
    const payload: string[] = []
    const onData = (b: Buffer, from: number, to: number): void => { payload.push(b.toString('latin1', from, to)) }
    const first = s.scan(message.subarray(0, split), 0, split, onData)
    let found: number
    if (first >= 0) found = first
    else {
      if (first !== NEED_MORE) {
        t.fail(`split at ${split}: ${first} before the rest`)
        return
      }
      const rest = message.subarray(split)
      const second = s.scan(rest, 0, rest.length, onData)
      found = second < 0 ? second : split + second
    }
    if (found !== end) {
      t.fail(`split at ${split}: end ${found}, not ${end}`)
      return
    }
    if (payload.join('') !== 'helloabcdefghijklmnopqrstuvwxyz') {
      t.fail(`split at ${split}: payload ${payload.join('')}`)
      return
    }
  }
  t.pass('every split point finds the same end and payload')
  for (const bad of ['zz\r\n', '5\r\nhelloXX', '5\nhello\r\n', '\r\n', '0\r\nX: 1\n\r\n', 'fffffffffffffff\r\n']) {
    const s = new ChunkedScanner(1024)
    const b = Buffer.from(bad)
    t.equal(s.scan(b, 0, b.length), MALFORMED, JSON.stringify(bad))
  }
  const long = new ChunkedScanner(16)
  const ext = Buffer.from(`1;${'e'.repeat(40)}\r\n`)
  t.equal(long.scan(ext, 0, ext.length), MALFORMED, 'a chunk extension over the line limit')
})

t.test('pipelined requests are answered in order on one connection', async (t) => {
  const target = await backend(t, (req, res) => res.end(`<${req.url}>`))
  const listener = await forwardingListener(t, target.port)
  const requests = ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join('') + 'GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
  const reply = await raw(listener.port, requests)
  t.equal(count(reply.text, 'HTTP/1.1 200 OK'), 4)
  const order = [...reply.text.matchAll(/<(\/\d)>/g)].map((m) => m[1])
  t.same(order, ['/1', '/2', '/3', '/4'], 'answers in request order')
  t.equal(reply.closed, 'end')
})

t.test('malformed request heads: 400 (or 505) and the connection closed, nothing forwarded', async (t) => {
  let forwarded = 0
  const target = await backend(t, (_req, res) => { forwarded++; res.end('x') })
  const listener = await forwardingListener(t, target.port)
  const cases: Array<[string, string]> = [
    ['GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['GET / HTTP/1.1\r\nHost: a\rX-A: 1\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['GET / HTTP/3.0\r\nHost: a\r\n\r\n', 'HTTP/1.1 505 HTTP Version Not Supported']
  ]
  for (const [bytes, line] of cases) {
    const reply = await raw(listener.port, bytes + 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    t.equal(statusLine(reply.text), line, JSON.stringify(bytes.slice(0, 30)))
    t.equal(count(reply.text, 'HTTP/1.1 '), 1, 'the request after it is not served')
    t.match(reply.text, /\r\nServer: awselb\/2\.0\r\n/)
  }
  t.equal(forwarded, 0)
})

t.test('a broken chunked upload: 400 to the client, the target connection not reused', async (t) => {
  const target = await backend(t, (req, res) => { req.resume(); req.on('end', () => res.end('done')) })
  const listener = await forwardingListener(t, target.port)
  const reply = await raw(listener.port, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n')
  t.equal(statusLine(reply.text), 'HTTP/1.1 400 Bad Request')
  const after = await raw(listener.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
  t.match(after.text, /^HTTP\/1\.1 200 OK[\s\S]*done$/, 'the next client is served normally')
})

t.test('a body the load balancer does not need is read and dropped; the connection carries on', async (t) => {
  const listener = await openListener(t, listenerConfig({ defaultActions: [fixed('200', 'fixed')] }))
  const body = 'x'.repeat(100_000)
  const reply = await raw(listener.port, [
    `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
    'POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    'GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
  ])
  t.equal(count(reply.text, 'HTTP/1.1 200 OK'), 3, 'three answers, the bodies not taken for requests')
  t.equal(count(reply.text, 'fixed'), 3)
})

t.test('answers framed for the client: chunked to 1.1, decoded for 1.0, until-close passed with Connection: close', async (t) => {
  let seenHost: string | undefined
  const chunked = await backend(t, (req, res) => {
    seenHost = req.headers.host
    res.write('one,')
    res.write('two,')
    res.end('three')
  })
  const listener = await forwardingListener(t, chunked.port)
  const modern = await raw(listener.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  t.match(modern.text, /\r\nTransfer-Encoding: chunked\r\n/i)
  t.match(modern.text, /4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n$/, 'the chunks as the target sent them')
  const old = await raw(listener.port, 'GET / HTTP/1.0\r\n\r\n')
  t.notMatch(old.text, /Transfer-Encoding/i, 'an HTTP/1.0 client gets no chunks')
  t.match(old.text, /\r\nConnection: close\r\n\r\none,two,three$/, 'the payload decoded, the end marked by the close')
  t.match(seenHost, `127.0.0.1:${listener.port}`, 'a Host-less HTTP/1.0 request reaches the target with the listener as its Host')

  const untilClose = await rawTarget(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'))
  const second = await forwardingListener(t, untilClose)
  const reply = await raw(second.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.match(reply.text, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(reply.text, /\r\nConnection: close\r\n\r\nall of it$/, 'relayed to the target’s close, then closed')
})

t.test('HEAD: the target’s Content-Length is kept, no body is awaited', async (t) => {
  const target = await backend(t, (req, res) => {
    if (req.method === 'HEAD') res.setHeader('Content-Length', 1234)
    res.end(req.method === 'HEAD' ? undefined : 'got')
  })
  const listener = await forwardingListener(t, target.port)
  const reply = await raw(listener.port, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  t.equal(count(reply.text, 'HTTP/1.1 200 OK'), 2, 'the next request is served at once')
  t.match(reply.text, /Content-Length: 1234/i)
})

t.test('a target that answers badly: 502 (malformed head, two lengths, headers over the limit, an unasked 101)', async (t) => {
  const answers = [
    'HTTP/1.1 200 OK\r\nBad Header\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(5000)}\r\n\r\n`,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'
  ]
  for (const answer of answers) {
    const port = await rawTarget(t, (socket) => socket.write(answer))
    const groups = new Map<string, TargetGroupRuntime>()
    group(t, groups, TG, [port])
    const listener = await openListener(t, listenerConfig({ defaultActions: forward }), { groups, limits: { maxHeaderBytes: 4096 } })
    const reply = await raw(listener.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    t.equal(statusLine(reply.text), 'HTTP/1.1 502 Bad Gateway', JSON.stringify(answer.slice(0, 40)))
  }
})

t.test('a target that sends bytes after its answer: the answer is relayed, the connection not pooled', async (t) => {
  const port = await rawTarget(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray'))
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, TG, [port])
  const listener = await openListener(t, listenerConfig({ defaultActions: forward }), { groups })
  const socket = await connect(t, listener.port)
  const text = untilClosed(socket)
  socket.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n')
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.write('GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  const all = await text
  t.equal(count(all, 'HTTP/1.1 200 OK'), 2, 'both requests answered')
  t.notMatch(all, /stray/, 'the stray bytes reach no client')
})
