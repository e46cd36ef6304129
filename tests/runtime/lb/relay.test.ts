// The NLB TCP byte path in C (runtime/lb/relay/relay.c, built at install into
// build/lb/stratus-relay), driven over its line protocol the way a listener
// would: bytes both ways with half-close, 4 MiB each way, a refused target
// and a "no target" answer reset the client, the connection limit, the
// activity query and a kill; then a TcpListener whose relay is killed starts
// another on the same port. (tcp.test.ts runs the listener's own behaviour on
// the relay, tcp-node-path.test.ts without it.)
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import net from 'node:net'
import readline from 'node:readline'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { DEFAULT_LB_LIMITS } from '../../../runtime/lb/model.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { findBuiltBinary } from '../../../runtime/native.js'
import { backend, converse, freePort, tcpGroupConfig, tcpListenerConfig } from './tcp-fixtures.js'

const HOST = '127.0.0.1'
const BINARY = findBuiltBinary('build/lb/stratus-relay')

interface Relay { child: ChildProcess; port: number; lines: AsyncIterator<string>; send(line: string): void; next(prefix: string): Promise<string> }

async function relay(t: Test, max = 100, port = 0): Promise<Relay> {
  const child = spawn(BINARY!, [HOST, String(port), String(max)], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { child.stdin!.end(); child.kill('SIGKILL') })
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async (prefix: string): Promise<string> => {
    for (;;) {
      const r = await lines.next()
      if (r.done === true) throw new Error('the relay ended')
      if (r.value.startsWith(prefix)) return r.value
    }
  }
  const ready = await next('')
  const bound = /^ready (\d+)$/.exec(ready)
  if (bound === null) throw new Error(ready)
  return { child, port: Number(bound[1]), lines, send: (line) => child.stdin!.write(line + '\n'), next }
}

/** Answers the next connection with a target. */
async function route(r: Relay, port: number): Promise<string> {
  const c = (await r.next('c ')).split(' ')
  if (c[2] !== HOST) throw new Error(`the client address is not reported: ${c.join(' ')}`)
  r.send(`t ${c[1]} ${HOST} ${port}`)
  return c[1]
}

t.test('the relay', { skip: BINARY === undefined ? 'build/lb/stratus-relay is not built (npm run build:native)' : false }, async (t) => {
  const a = await backend('a')
  t.teardown(() => a.close())

  t.test('bytes both ways, half-close reaches the target, its answer comes back, then "x"', async (t) => {
    const r = await relay(t)
    const talk = converse(r.port, HOST, 'ping\n')
    const id = await route(r, a.port)
    const c = await talk
    t.equal(c.received, 'a\nping\nbye a\n')
    t.equal(c.error, undefined)
    t.equal(await r.next('x '), `x ${id}`)
  })

  t.test('4 MiB each way at once arrive whole and in order', async (t) => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s))
    await new Promise<void>((resolve) => echo.listen(0, HOST, resolve))
    t.teardown(() => new Promise<void>((resolve) => echo.close(() => resolve())))
    const r = await relay(t)
    const payload = Buffer.alloc(4 * 1024 * 1024)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff
    const socket = net.connect({ port: r.port, host: HOST, allowHalfOpen: true })
    const chunks: Buffer[] = []
    const done = new Promise<void>((resolve) => socket.on('end', resolve))
    socket.on('data', (c) => chunks.push(c))
    await route(r, (echo.address() as net.AddressInfo).port)
    socket.end(payload)
    await done
    t.ok(Buffer.concat(chunks).equals(payload), 'what went out came back')
    socket.destroy()
  })

  t.test('a refused target and a "no target" answer reset the client', async (t) => {
    const r = await relay(t)
    const closed = await freePort(HOST)
    const first = converse(r.port, HOST, 'x\n')
    await route(r, closed)
    t.equal((await first).error, 'ECONNRESET', 'refused')
    const second = converse(r.port, HOST, 'x\n')
    r.send(`r ${(await r.next('c ')).split(' ')[1]}`)
    t.equal((await second).error, 'ECONNRESET', 'no target')
  })

  t.test('the connection limit, the activity query and a kill', async (t) => {
    const r = await relay(t, 1)
    const held = net.connect({ port: r.port, host: HOST })
    t.teardown(() => held.destroy())
    const id = await route(r, a.port)
    const greeting = await new Promise<string>((resolve) => held.once('data', (c) => resolve(String(c))))
    t.equal(greeting, 'a\n')
    r.send('a')
    t.equal(await r.next('A'), `A ${id}`, 'it moved bytes')
    r.send('a')
    t.equal(await r.next('A'), 'A', 'and none since')
    const extra = await converse(r.port, HOST, 'y\n')
    t.equal(extra.received, '', 'beyond the limit: closed at once')
    const ended = new Promise<void>((resolve) => held.once('close', () => resolve()))
    r.send(`k ${id}`)
    await ended
    t.equal(await r.next('x '), `x ${id}`)
  })

  t.test('a port already taken: "error EADDRINUSE"', async (t) => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, HOST, resolve))
    t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())))
    await t.rejects(relay(t, 1, (taken.address() as net.AddressInfo).port), { message: /^error EADDRINUSE / })
  })

  t.test('a listener whose relay dies starts another on the same port', async (t) => {
    const clock = new ManualClock()
    const g = new TargetGroup(tcpGroupConfig('tg-relay'), { clock })
    g.register([{ id: a.host, port: a.port, host: a.host }])
    const listener = await TcpListener.open(tcpListenerConfig('l-relay', 0, ['tg-relay']), {
      address: HOST, idleTimeoutMs: 350_000, limits: DEFAULT_LB_LIMITS, clock, targetGroup: () => g
    })
    t.teardown(() => listener.close())
    const first = await relayChildren()
    t.equal(first.length, 1, 'the listener runs one relay')
    t.equal((await converse(listener.port, HOST, 'one\n')).received, 'a\none\nbye a\n')
    process.kill(first[0], 'SIGKILL')
    let again = await relayChildren()
    for (let i = 0; i < 200 && (again.length !== 1 || again[0] === first[0]); i++) {
      await new Promise((r) => setTimeout(r, 10))
      again = await relayChildren()
    }
    t.not(again[0], first[0], 'another relay took its place')
    // Its process can be seen before it has bound the port: until then a connection is refused or reset.
    let received = ''
    for (let i = 0; i < 200 && received === ''; i++) {
      received = await converse(listener.port, HOST, 'two\n').then((r) => r.received, () => '')
      if (received === '') await new Promise((r) => setTimeout(r, 10))
    }
    t.equal(received, 'a\ntwo\nbye a\n', 'on the same port')
  })
})

/** This process's live stratus-relay children. */
async function relayChildren(): Promise<number[]> {
  const tasks = await readdir(`/proc/${process.pid}/task`)
  const pids = (await Promise.all(tasks.map((tid) => readFile(`/proc/${process.pid}/task/${tid}/children`, 'utf8').catch(() => ''))))
    .join(' ').split(/\s+/).filter((x) => x !== '').map(Number)
  const names = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')))
  return pids.filter((_, i) => names[i].trim() === 'stratus-relay')
}
