// The listener's defences, each on the wire with raw sockets: header size and
// count limits, the request-header timeout (slowloris), request smuggling
// (Content-Length with Transfer-Encoding, two Content-Lengths), the
// connection limit and the idle timeout.
import t from 'tap'
import { connect, fixed, listenerConfig, openListener, raw, statusLine, untilClosed } from './http-fixtures.js'

const config = listenerConfig({ defaultActions: [fixed('200', 'ok')] })

function countResponses(text: string): number {
  return text.split('HTTP/1.1 ').length - 1
}

t.test('request headers over maxHeaderBytes: 400 (as ALB answers) and the connection closed', async (t) => {
  const listener = await openListener(t, config, { limits: { maxHeaderBytes: 2048 } })
  const small = await raw(listener.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(1000)}\r\nConnection: close\r\n\r\n`)
  t.equal(statusLine(small.text), 'HTTP/1.1 200 OK', 'under the limit passes')
  const big = await raw(listener.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(4000)}\r\n\r\n`)
  t.equal(statusLine(big.text), 'HTTP/1.1 400 Bad Request')
  t.match(big.text, /<title>400 Bad Request<\/title>/)
  t.match(big.text, /\r\nConnection: close\r\n/)
})

t.test('a request line or a single header over maxHeaderLineBytes (ALB: 16 K each): 400, though the whole head is under 64 K', async (t) => {
  const listener = await openListener(t, config)
  const at = (n: number, extra = ''): Promise<{ text: string }> => raw(listener.port, `GET /${'p'.repeat(n)} HTTP/1.1\r\nHost: a\r\n${extra}Connection: close\r\n\r\n`)
  // The request line "GET /… HTTP/1.1" is the path plus 14 bytes.
  t.equal(statusLine((await at(16_384 - 14)).text), 'HTTP/1.1 200 OK', 'a request line of 16,384 bytes passes')
  t.equal(statusLine((await at(16_384 - 13)).text), 'HTTP/1.1 400 Bad Request', 'one byte more is refused')
  const header = (n: number): string => `X-Big: ${'h'.repeat(n - 7)}\r\n`
  t.equal(statusLine((await at(1, header(16_384))).text), 'HTTP/1.1 200 OK', 'a header line of 16,384 bytes passes')
  t.equal(statusLine((await at(1, header(16_385))).text), 'HTTP/1.1 400 Bad Request', 'one byte more is refused')
  const many = Array.from({ length: 5 }, (_, i) => `X-H${i}: ${'v'.repeat(12_000)}\r\n`).join('')
  t.equal(statusLine((await at(1, many)).text), 'HTTP/1.1 200 OK', 'five 12 K headers (60 K in all) pass')
})

t.test('more header lines than maxHeaders: 400 and the connection closed', async (t) => {
  const listener = await openListener(t, config, { limits: { maxHeaders: 10 } })
  const lines = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('')
  const ok = await raw(listener.port, `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${lines(8)}\r\n`)
  t.equal(statusLine(ok.text), 'HTTP/1.1 200 OK', '10 lines pass')
  const over = await raw(listener.port, `GET / HTTP/1.1\r\nHost: a\r\n${lines(10)}\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n`)
  t.equal(statusLine(over.text), 'HTTP/1.1 400 Bad Request', '11 lines are refused')
  t.equal(countResponses(over.text), 1, 'the pipelined request after it is not served')
})

t.test('a client that never finishes its headers (slowloris) is cut with 408', async (t) => {
  const listener = await openListener(t, config, { limits: { headerTimeoutMs: 200 } })
  const socket = await connect(t, listener.port)
  const received = untilClosed(socket)
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n')
  // Keeps trickling header bytes: activity alone never buys more time.
  const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 40)
  t.teardown(() => clearInterval(trickle))
  const text = await received
  clearInterval(trickle)
  t.equal(statusLine(text), 'HTTP/1.1 408 Request Time-out')
  t.equal(socket.destroyed || socket.readableEnded, true, 'the connection is closed')
})

t.test('Content-Length with Transfer-Encoding: 400, closed, nothing smuggled', async (t) => {
  const listener = await openListener(t, listenerConfig({
    rules: [{ key: 'r', priority: 1, conditions: [{ field: 'path-pattern', values: ['/smuggled'] }], actions: [fixed('200', 'SMUGGLED')] }],
    defaultActions: [fixed('200', 'ok')]
  }))
  const smuggle = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'
  const clte = await raw(listener.port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggle}`)
  t.equal(statusLine(clte.text), 'HTTP/1.1 400 Bad Request', 'CL.TE')
  t.notMatch(clte.text, 'SMUGGLED')
  t.equal(countResponses(clte.text), 1)
  const tecl = await raw(listener.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${(smuggle.length + 2).toString(16)}\r\nx=${smuggle}\r\n0\r\n\r\n`)
  t.equal(statusLine(tecl.text), 'HTTP/1.1 400 Bad Request', 'TE.CL')
  t.notMatch(tecl.text, 'SMUGGLED')
  const obfuscated = await raw(listener.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc${smuggle}`)
  t.equal(statusLine(obfuscated.text), 'HTTP/1.1 400 Bad Request', 'an obfuscated Transfer-Encoding')
  t.notMatch(obfuscated.text, 'SMUGGLED')
})

t.test('two different Content-Length headers: 400 and closed', async (t) => {
  const listener = await openListener(t, config)
  const reply = await raw(listener.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.equal(statusLine(reply.text), 'HTTP/1.1 400 Bad Request')
  t.equal(countResponses(reply.text), 1)
  const list = await raw(listener.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd')
  t.equal(statusLine(list.text), 'HTTP/1.1 400 Bad Request', 'a list of lengths too')
})

t.test('connections over the per-listener limit are closed unserved', async (t) => {
  const listener = await openListener(t, config, { limits: { maxConnectionsPerListener: 2 } })
  const a = await connect(t, listener.port)
  const b = await connect(t, listener.port)
  // Both held open by a keep-alive exchange, so the server has counted them.
  for (const s of [a, b]) {
    await new Promise<void>((resolve) => {
      s.once('data', () => resolve())
      s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    })
  }
  const third = await raw(listener.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  t.equal(third.text, '', 'the third connection gets no answer')
  a.destroy()
  await new Promise((resolve) => setImmediate(resolve))
  // Once one is gone, a new connection is served again.
  let served = ''
  for (let i = 0; i < 50 && served === ''; i++) {
    served = (await raw(listener.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).text
  }
  t.equal(statusLine(served), 'HTTP/1.1 200 OK')
})

t.test('idle client connections are closed after the idle timeout', async (t) => {
  const listener = await openListener(t, config, { idleTimeoutMs: 150 })
  const silent = await connect(t, listener.port)
  t.equal(await untilClosed(silent), '', 'a connection that never sends is closed')
  const kept = await connect(t, listener.port)
  const text = untilClosed(kept)
  kept.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  const all = await text
  t.equal(statusLine(all), 'HTTP/1.1 200 OK', 'a keep-alive connection is served')
  t.equal(countResponses(all), 1, 'then closed when idle')
})
