// The NLB listener's byte paths: in Node (runtime/lb/tcp-pipe.ts: plain sockets
// read into buffers of their own, reused only once a write from them has left)
// and through the C relay (runtime/lb/relay/relay.c) where it is built.
// Large transfers both ways at once with a client that reads slowly (writes
// that do not complete at once), bytes sent at once to a target that does not read yet,
// the target half-closing first (at once on connect, many times: its FIN can come
// in the same edge as the connect's end), and the same through a TLS listener.
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { DEFAULT_LB_LIMITS, type ListenerConfig, type TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { relayBinary } from '../../../runtime/lb/tcp-relay.js'
import { acceptedSocketsReadIntoOwnBuffers, READ_BUFFER_BYTES } from '../../../runtime/lb/tcp-pipe.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { listenerCertificate, tcpGroupConfig, tcpListenerConfig } from './tcp-fixtures.js'

const HOST = '127.0.0.1'
/** Connections in the half-close case: the FIN-with-the-connect race showed about once in 70. */
const HALF_CLOSE_ROUNDS = 300

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

async function listen(t: Test, onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  await new Promise<void>((r) => server.listen(0, HOST, r))
  t.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }))
  return (server.address() as net.AddressInfo).port
}

/** The byte paths under test: Node's always, the relay's where it is built. */
const paths: Array<{ name: string; relay: boolean }> = [{ name: 'in Node', relay: false }]
if (relayBinary() !== undefined) paths.push({ name: 'through the relay', relay: true })

async function open(t: Test, config: ListenerConfig, targetPort: number, relay: boolean): Promise<TcpListener> {
  const clock = new ManualClock()
  const g: TargetGroupRuntime = new TargetGroup(tcpGroupConfig('tg-pipe'), { clock })
  g.register([{ id: HOST, port: targetPort, host: HOST }])
  t.teardown(() => g.close())
  const listener = await TcpListener.open(config, {
    address: HOST, idleTimeoutMs: 350_000, limits: DEFAULT_LB_LIMITS, clock, relay, targetGroup: (key) => key === 'tg-pipe' ? g : undefined
  })
  t.teardown(() => listener.close())
  return listener
}

/** Reads everything until the end, pausing after every chunk (a slow reader: the listener's writes to it back up). */
function slowRead(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => {
      chunks.push(c)
      socket.pause()
      setTimeout(() => socket.resume(), 1)
    })
    socket.once('end', () => resolve(Buffer.concat(chunks)))
    socket.once('error', reject)
  })
}

/**
 * The target sends 4 MiB and keeps what it receives; the client sends its own
 * 4 MiB at once and reads slowly; each side half-closes after its bytes.
 */
async function bulkBothWays(t: Test, config: ListenerConfig, connect: (port: number) => net.Socket, relay: boolean): Promise<void> {
  const fromTarget = randomBytes(4 * 1024 * 1024)
  const fromClient = randomBytes(4 * 1024 * 1024)
  const received: Buffer[] = []
  let targetGot: (b: Buffer) => void = () => {}
  const atTarget = new Promise<Buffer>((r) => { targetGot = r })
  const port = await listen(t, (s) => {
    s.end(fromTarget)
    s.on('data', (c: Buffer) => received.push(c))
    s.on('end', () => targetGot(Buffer.concat(received)))
  })
  const listener = await open(t, config, port, relay)
  const client = connect(listener.port)
  const back = slowRead(client)
  client.end(fromClient)
  const [gotBack, gotAtTarget] = await Promise.all([back, atTarget])
  t.equal(gotBack.length, fromTarget.length, 'every byte from the target reached the slow client')
  t.equal(sha(gotBack), sha(fromTarget), 'in order, unchanged (no read buffer was reused too early)')
  t.equal(gotAtTarget.length, fromClient.length, 'every byte from the client reached the target')
  t.equal(sha(gotAtTarget), sha(fromClient), 'in order, unchanged')
}

t.test('accepted sockets read into their own buffers on this Node (else the listener falls back to pipe(), at more CPU per chunk)', async (t) => {
  t.ok(acceptedSocketsReadIntoOwnBuffers(), 'net keeps the onread buffer and callback where tcp-pipe.ts looks for them')
  t.ok(READ_BUFFER_BYTES >= 16 * 1024, 'buffers hold at least 16 KiB')
})

for (const { name, relay } of paths) {
  t.test(`${name}: 4 MiB each way at once, the client reading slowly: every byte arrives in order both ways`, async (t) => {
    await bulkBothWays(t, tcpListenerConfig('l-pipe', 0, ['tg-pipe']), (port) => net.connect({ port, host: HOST, allowHalfOpen: true }), relay)
  })

  t.test(`${name}: bytes the client sends at once, while the target does not read yet (the listener's writes to it back up), all reach it`, async (t) => {
    // The target's server accepts late: the listener's first writes wait for the connection.
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => { release = r })
    const port = await listen(t, (s) => {
      s.pause()
      void gate.then(() => {
        const chunks: Buffer[] = []
        s.on('data', (c: Buffer) => chunks.push(c))
        s.on('end', () => s.end(`got ${Buffer.concat(chunks).length} ${sha(Buffer.concat(chunks)).slice(0, 16)}\n`))
        s.resume()
      })
    })
    const listener = await open(t, tcpListenerConfig('l-early', 0, ['tg-pipe']), port, relay)
    const payload = randomBytes(3 * READ_BUFFER_BYTES + 123)
    const client = net.connect({ port: listener.port, host: HOST, allowHalfOpen: true })
    let answer = ''
    client.setEncoding('utf8')
    client.on('data', (c: string) => { answer += c })
    const ended = new Promise<void>((r) => client.once('end', () => r()))
    client.write(payload.subarray(0, 10))
    client.end(payload.subarray(10))
    setTimeout(release, 50)
    await ended
    t.equal(answer, `got ${payload.length} ${sha(payload).slice(0, 16)}\n`, 'all of it, in order, then the target\'s answer to the half-close')
    client.destroy()
  })

  t.test(`${name}: the target half-closes first, at once on connect: the client sees the end, and what it sends afterwards still reaches the target (${HALF_CLOSE_ROUNDS} connections)`, { timeout: 60_000 }, async (t) => {
    const atTarget: Array<(s: string) => void> = []
    const port = await listen(t, (s) => {
      let got = ''
      s.setEncoding('utf8')
      s.on('data', (c: string) => { got += c })
      s.on('end', () => atTarget.shift()?.(got))
      s.end('hello, and goodbye\n')
    })
    const listener = await open(t, tcpListenerConfig('l-half', 0, ['tg-pipe']), port, relay)
    let bad = 0
    for (let i = 0; i < HALF_CLOSE_ROUNDS; i++) {
      const reached = new Promise<string>((r) => atTarget.push(r))
      const client = net.connect({ port: listener.port, host: HOST, allowHalfOpen: true })
      const closed = new Promise<void>((r) => client.once('close', () => r()))
      let received = ''
      client.setEncoding('utf8')
      client.on('data', (c: string) => { received += c })
      await new Promise<void>((r) => client.once('end', () => r()))
      client.end('still here\n')
      const got = await reached
      await closed
      if (received !== 'hello, and goodbye\n' || got !== 'still here\n') bad++
    }
    t.equal(bad, 0, 'every client had the target\'s bytes and end, every target the client\'s bytes after it, and each connection closed once both sides had ended')
  })
}

t.test('through a TLS listener: 4 MiB each way at once, the client reading slowly', async (t) => {
  const certificate = await listenerCertificate('cert-pipe', ['pipe.example.com'], true)
  await bulkBothWays(t, tcpListenerConfig('l-pipe-tls', 0, ['tg-pipe'], { protocol: 'TLS', certificates: [certificate] }),
    // Over a half-open socket: the client's end reaches the listener while it still reads.
    (port) => tls.connect({ socket: net.connect({ port, host: HOST, allowHalfOpen: true }), servername: 'pipe.example.com', rejectUnauthorized: false }), false)
})
