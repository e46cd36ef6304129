// NLB target group attributes set through ELBv2 change what the TCP listener
// does, on both of its byte paths (the C relay, and Node's own sockets with
// STRATUS_LB_RELAY=off): client IP preservation (the target sees the client's
// 127.x address), PROXY protocol v2 (a header before the client's bytes),
// connection termination for unhealthy targets (on by default) and at the end
// of the deregistration delay (off by default for TCP); and their defaults
// and refusals per protocol and target type, as ELBv2 documents them.
import dgram from 'node:dgram'
import net from 'node:net'
import t, { type Test } from 'tap'
import { TARGET_GROUPS, type TargetGroupRecord } from '../../../runtime/elb/records.js'
import { targetGroupConfig } from '../../../runtime/elb/target-group-settings.js'
import { relayBinary } from '../../../runtime/lb/tcp-relay.js'
import type { Engine } from '../../../runtime/engine.js'
import { clockOf, elbEngine, freePort, refusal } from './elb-fixtures.js'

const CLIENT_IP = '127.0.0.77'

const PROXY_V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')

interface Seen { from: string; first: Buffer }
interface Target { port: number; seen: Seen[]; close(): Promise<void> }

/** A TCP target: records where each connection that sends data came from and its first bytes, and echoes on it. */
async function target(t: Test): Promise<Target> {
  const seen: Seen[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
    let first = true
    s.on('data', (d) => {
      let bytes = d
      if (first) {
        seen.push({ from: s.remoteAddress ?? '', first: d })
        // A PROXY v2 header is not the client's: only what follows it is echoed (it may come in a read of its own).
        if (d.subarray(0, 12).equals(PROXY_V2_SIGNATURE)) bytes = d.subarray(16 + d.readUInt16BE(14))
      }
      first = false
      if (bytes.length > 0) s.write(`echo:${bytes.toString('latin1').slice(-2)}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  // close() stops listening at once; the server's own callback waits for the open connections, which the teardown ends.
  const stopped = new Promise<void>((resolve) => server.once('close', () => resolve()))
  const close = async () => { if (server.listening) server.close() }
  t.teardown(async () => { await close(); for (const s of sockets) s.destroy(); await stopped })
  return { port, seen, close }
}

interface Client { socket: net.Socket; ended: () => boolean; error: () => string | undefined; ask: (text: string) => Promise<string> }

/** A client connection from CLIENT_IP that stays open; ask() writes and waits for the echo. */
async function client(t: Test, host: string, port: number): Promise<Client> {
  const socket = net.connect({ host, port, localAddress: CLIENT_IP })
  let ended = false
  let error: string | undefined
  let got = ''
  let waiting: (() => void) | undefined
  socket.on('data', (d) => { got += d.toString(); waiting?.() })
  socket.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code })
  socket.on('close', () => { ended = true; waiting?.() })
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  t.teardown(() => socket.destroy())
  return {
    socket,
    ended: () => ended,
    error: () => error,
    ask: (text) => new Promise((resolve) => {
      got = ''
      waiting = () => { if (got.length > 0 || ended) { waiting = undefined; resolve(got) } }
      socket.write(text)
    })
  }
}

async function until(what: () => boolean, bound = 5_000): Promise<boolean> {
  const end = Date.now() + bound
  while (!what()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 5))
  }
  return true
}

/** An NLB, a TCP ip target group with `attributes`, the target registered, a TCP listener; health checks done. */
async function nlb(engine: Engine, tgt: Target, attributes: Record<string, string>) {
  const elb = engine.elb
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'nlb', Type: 'network' })
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({
    Name: 'tcp', Protocol: 'TCP', Port: 9000, TargetType: 'ip', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 5, UnhealthyThresholdCount: 2
  })
  const list = Object.entries(attributes).map(([Key, Value]) => ({ Key, Value }))
  if (list.length > 0) await elb.modifyTargetGroupAttributes({ TargetGroupArn: tg.TargetGroupArn!, Attributes: list })
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1', Port: tgt.port }] })
  const port = await freePort(lb.DNSName!)
  await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'TCP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })
  await clockOf(engine).advance(0)
  return { address: lb.DNSName!, port, tgArn: tg.TargetGroupArn! }
}

t.test('NLB target group attributes: defaults per protocol and target type, and what cannot be set', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const attrs = async (arn: string) => Object.fromEntries((await elb.describeTargetGroupAttributes({ TargetGroupArn: arn })).Attributes!.map((a) => [a.Key, a.Value]))
  const make = async (Name: string, Protocol: 'TCP' | 'UDP' | 'TCP_UDP', TargetType: 'ip' | 'instance') =>
    (await elb.createTargetGroup({ Name, Protocol, Port: 53, TargetType, ...(Protocol === 'TCP' ? {} : { HealthCheckProtocol: 'TCP', HealthCheckPort: '80' }) })).TargetGroups![0].TargetGroupArn!
  const tcpIp = await attrs(await make('tcp-ip', 'TCP', 'ip'))
  t.match(tcpIp, {
    'preserve_client_ip.enabled': 'false', 'proxy_protocol_v2.enabled': 'false',
    'deregistration_delay.connection_termination.enabled': 'false', 'target_health_state.unhealthy.connection_termination.enabled': 'true'
  }, 'TCP, ip targets')
  t.match(await attrs(await make('tcp-instance', 'TCP', 'instance')), { 'preserve_client_ip.enabled': 'true' }, 'TCP, instance targets: client IP preserved')
  const udpArn = await make('udp-ip', 'UDP', 'ip')
  t.match(await attrs(udpArn), {
    'preserve_client_ip.enabled': 'true', 'deregistration_delay.connection_termination.enabled': 'true',
    'target_health_state.unhealthy.connection_termination.enabled': 'false'
  }, 'UDP: client IP preserved, flows end with the deregistration delay')
  t.match(await attrs(await make('tcp-udp', 'TCP_UDP', 'ip')), { 'preserve_client_ip.enabled': 'true', 'deregistration_delay.connection_termination.enabled': 'true' })
  const before = await attrs(udpArn)
  await refusal(t, () => elb.modifyTargetGroupAttributes({ TargetGroupArn: udpArn, Attributes: [{ Key: 'preserve_client_ip.enabled', Value: 'false' }] }), 'InvalidConfigurationRequest', 'Attributes[0].Value')
  await refusal(t, () => elb.modifyTargetGroupAttributes({
    TargetGroupArn: udpArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }, { Key: 'target_health_state.unhealthy.connection_termination.enabled', Value: 'true' }]
  }), 'InvalidConfigurationRequest', 'Attributes[1].Value')
  t.same(await attrs(udpArn), before, 'a refused change changes nothing')
  // A UDP group stored before these were enforced (its record says otherwise): read, run and written as they hold.
  engine.store.transaction((tx) => {
    const got = tx.get<TargetGroupRecord>(TARGET_GROUPS, udpArn)!
    tx.put(TARGET_GROUPS, udpArn, { ...got.value, attributes: { ...got.value.attributes, 'preserve_client_ip.enabled': 'false', 'target_health_state.unhealthy.connection_termination.enabled': 'true' } }, got.version)
  })
  const stale = engine.store.get<TargetGroupRecord>(TARGET_GROUPS, udpArn)!.value
  t.match(targetGroupConfig(stale), { preserveClientIp: true, terminateWhenUnhealthy: false }, 'the data plane keeps UDP\'s fixed values')
  t.match(await attrs(udpArn), { 'preserve_client_ip.enabled': 'true', 'target_health_state.unhealthy.connection_termination.enabled': 'false' }, 'and DescribeTargetGroupAttributes says so')
  await elb.modifyTargetGroupAttributes({ TargetGroupArn: udpArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }] })
  t.match(engine.store.get<TargetGroupRecord>(TARGET_GROUPS, udpArn)!.value.attributes, { 'preserve_client_ip.enabled': 'true', 'target_health_state.unhealthy.connection_termination.enabled': 'false' }, 'the next write stores them')
})

for (const path of ['relay', 'node'] as const) {
  t.test(`the ${path} byte path`, async (t) => {
    const saved = process.env.STRATUS_LB_RELAY
    if (path === 'node') process.env.STRATUS_LB_RELAY = 'off'
    t.teardown(() => { if (saved === undefined) delete process.env.STRATUS_LB_RELAY; else process.env.STRATUS_LB_RELAY = saved })
    if (path === 'relay' && relayBinary() === undefined) t.comment('the relay is not built here: Node sockets carry this case too')

    t.test('client IP preservation: off, the target sees the load balancer; on, the client', async (t) => {
      for (const preserve of ['false', 'true']) {
        const engine = await elbEngine(t)
        const tgt = await target(t)
        const { address, port } = await nlb(engine, tgt, { 'preserve_client_ip.enabled': preserve })
        const c = await client(t, address, port)
        t.equal(await c.ask('hi'), 'echo:hi')
        t.equal(tgt.seen[0]?.from, preserve === 'true' ? CLIENT_IP : address, `preserve_client_ip ${preserve}`)
        await engine.close()
      }
    })

    t.test('PROXY protocol v2: the target gets the header (client and listener addresses) before the client\'s bytes', async (t) => {
      const engine = await elbEngine(t)
      const tgt = await target(t)
      const { address, port } = await nlb(engine, tgt, { 'proxy_protocol_v2.enabled': 'true' })
      const c = await client(t, address, port)
      t.equal(await c.ask('hi'), 'echo:hi')
      t.ok(await until(() => tgt.seen.length > 0))
      const first = tgt.seen[0]!.first
      const expected = Buffer.alloc(28)
      Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(expected, 0)
      expected[12] = 0x21
      expected[13] = 0x11
      expected.writeUInt16BE(12, 14)
      Buffer.from(CLIENT_IP.split('.').map(Number)).copy(expected, 16)
      Buffer.from(address.split('.').map(Number)).copy(expected, 20)
      expected.writeUInt16BE(c.socket.localPort!, 24)
      expected.writeUInt16BE(port, 26)
      t.same(first.subarray(0, 28).toString('hex'), expected.toString('hex'), 'signature, v2 PROXY, TCP/IPv4, client → listener')
      // The client's bytes follow (in the same read, or the next).
      t.ok(first.length === 28 || first.subarray(28).toString() === 'hi', 'then the client\'s bytes')
    })

    t.test('unhealthy targets: their connections end by default; kept with termination off', async (t) => {
      for (const terminate of ['true', 'false']) {
        const engine = await elbEngine(t)
        const clock = clockOf(engine)
        const tgt = await target(t)
        const { address, port, tgArn } = await nlb(engine, tgt, { 'target_health_state.unhealthy.connection_termination.enabled': terminate })
        const c = await client(t, address, port)
        t.equal(await c.ask('hi'), 'echo:hi')
        await tgt.close() // new connections (health checks) are refused; the open one lives on at the target
        for (let i = 0; i < 2; i++) await clock.advance(10_000)
        const state = (await engine.elb.describeTargetHealth({ TargetGroupArn: tgArn })).TargetHealthDescriptions![0].TargetHealth!.State
        t.equal(state, 'unhealthy')
        if (terminate === 'true') {
          t.ok(await until(c.ended), 'the connection to the unhealthy target was ended')
          t.equal(c.error(), 'ECONNRESET', 'with a reset')
        }
        else t.equal(await c.ask('ok'), 'echo:ok', 'termination off: the connection still carries bytes')
        await engine.close()
      }
    })

    t.test('deregistration: connections outlive the delay by default; end with it when connection termination is on', async (t) => {
      for (const terminate of ['false', 'true']) {
        const engine = await elbEngine(t)
        const clock = clockOf(engine)
        const tgt = await target(t)
        const { address, port, tgArn } = await nlb(engine, tgt, {
          'deregistration_delay.timeout_seconds': '30', 'deregistration_delay.connection_termination.enabled': terminate
        })
        const c = await client(t, address, port)
        t.equal(await c.ask('hi'), 'echo:hi')
        await engine.elb.deregisterTargets({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: tgt.port }] })
        await clock.advance(29_999)
        t.equal(await c.ask('aa'), 'echo:aa', 'still open while draining')
        await clock.advance(1)
        t.same((await engine.elb.describeTargetHealth({ TargetGroupArn: tgArn })).TargetHealthDescriptions, [], 'the target has left')
        if (terminate === 'true') {
          t.ok(await until(c.ended), 'connection termination: ended with the delay')
          t.equal(c.error(), 'ECONNRESET', 'with a reset')
        }
        else t.equal(await c.ask('bb'), 'echo:bb', 'by default the connection goes on after the delay')
        await engine.close()
      }
    })
  })
}

t.test('UDP: client IP preserved by default, the target sees the client\'s address and replies reach it', async (t) => {
  const engine = await elbEngine(t)
  const health = await target(t) // the TCP port its health checks open
  const udp = dgram.createSocket('udp4')
  const from: string[] = []
  udp.on('message', (msg, rinfo) => { from.push(rinfo.address); udp.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address) })
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
  t.teardown(() => udp.close())
  const elb = engine.elb
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'nlb-udp', Type: 'network' })
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({
    Name: 'udp', Protocol: 'UDP', Port: 53, TargetType: 'ip', HealthCheckProtocol: 'TCP', HealthCheckPort: String(health.port)
  })
  await elb.registerTargets({ TargetGroupArn: tg.TargetGroupArn!, Targets: [{ Id: '127.0.0.1', Port: udp.address().port }] })
  const port = await freePort(lb.DNSName!)
  await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'UDP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })
  await clockOf(engine).advance(0)
  const c = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => c.bind(0, CLIENT_IP, resolve))
  t.teardown(() => c.close())
  const reply = new Promise<string>((resolve) => c.once('message', (m) => resolve(m.toString())))
  c.send('ping', port, lb.DNSName!)
  t.equal(await reply, 'echo:ping', 'the reply comes back through the load balancer')
  t.same(from, [CLIENT_IP], 'the target saw the client\'s address')
  await engine.close()
})
