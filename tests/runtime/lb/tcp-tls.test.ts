// TLS listeners (NLB, runtime/lb/tcp.ts + tcp-tls.ts): TLS terminated with
// the listener's certificates — SNI picks exact names, then wildcards, then the
// default — plain TCP to the targets (or TLS again to a TLS target group),
// certificates replaced in place, the security policy's versions and ciphers.
import t, { type Test } from 'tap'
import tls from 'node:tls'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { StratusError } from '../../../runtime/errors.js'
import { DEFAULT_LB_LIMITS, type ListenerCertificate, type ListenerConfig, type TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { TcpListener } from '../../../runtime/lb/tcp.js'
import { TargetGroup } from '../../../runtime/lb/target-group.js'
import { backend, converse, listenerCertificate, selfSigned, tcpGroupConfig, tcpListenerConfig } from './tcp-fixtures.js'

const HOST = '127.0.0.1'

async function open(t: Test, config: ListenerConfig, groups: readonly TargetGroupRuntime[]): Promise<TcpListener> {
  const byKey = new Map(groups.map((g) => [g.config.key, g]))
  const listener = await TcpListener.open(config, {
    address: HOST, idleTimeoutMs: 350_000, limits: DEFAULT_LB_LIMITS, clock: new ManualClock(), targetGroup: (key) => byKey.get(key)
  })
  t.teardown(() => listener.close())
  return listener
}

/** The CN of the certificate the listener serves for `servername`, and what the connection carried. */
async function tlsConverse(port: number, servername: string | undefined, o: tls.ConnectionOptions = {}): Promise<{ cn: string; protocol: string | null; cipher: string; received: string }> {
  let cn = ''
  let protocol: string | null = null
  let cipher = ''
  const c = await converse(port, HOST, 'over tls\n', () => {
    const options = { port, host: HOST, rejectUnauthorized: false, allowHalfOpen: true, ...(servername === undefined ? {} : { servername }), ...o }
    const s = tls.connect(options)
    s.once('secureConnect', () => { cn = String(s.getPeerCertificate().subject?.CN ?? ''); protocol = s.getProtocol(); cipher = s.getCipher().name })
    return s
  })
  if (c.error !== undefined) throw new Error(`TLS conversation failed: ${c.error}`)
  return { cn, protocol, cipher, received: c.received }
}

t.test('SNI picks the certificate: exact name, then wildcard, then the default; plain TCP reaches the target', async (t) => {
  const clock = new ManualClock()
  const target = await backend('plain')
  t.teardown(() => target.close())
  const g = new TargetGroup(tcpGroupConfig('tg-tls'), { clock })
  g.register([{ id: HOST, port: target.port, host: HOST }])
  const certificates: ListenerCertificate[] = await Promise.all([
    listenerCertificate('cert-default', ['default.example.com'], true),
    listenerCertificate('cert-api', ['api.example.com', 'www.example.com'], false),
    listenerCertificate('cert-wild', ['*.apps.example.com'], false)
  ])
  const listener = await open(t, tcpListenerConfig('l-tls', 0, ['tg-tls'], { protocol: 'TLS', certificates }), [g])
  const cases: Array<[string | undefined, string]> = [
    ['api.example.com', 'api.example.com'],
    ['WWW.example.com', 'api.example.com'],
    ['shop.apps.example.com', '*.apps.example.com'],
    ['a.b.apps.example.com', 'default.example.com'],
    ['apps.example.com', 'default.example.com'],
    ['unknown.test', 'default.example.com'],
    [undefined, 'default.example.com']
  ]
  for (const [servername, cn] of cases) {
    const r = await tlsConverse(listener.port, servername)
    t.equal(r.cn, cn, `${servername ?? 'no SNI'} → ${cn}`)
    t.equal(r.received, 'plain\nover tls\nbye plain\n', 'decrypted bytes to the target, its answer encrypted back')
  }
  t.equal(target.connections, cases.length)

  // Certificates replaced in place: the listener keeps its port, new connections get the new ones.
  const renewed = await listenerCertificate('cert-new', ['renewed.example.com'], true)
  listener.update(tcpListenerConfig('l-tls', listener.port, ['tg-tls'], { protocol: 'TLS', certificates: [renewed, certificates[1]] }))
  t.equal((await tlsConverse(listener.port, undefined)).cn, 'renewed.example.com', 'the new default')
  t.equal((await tlsConverse(listener.port, 'api.example.com')).cn, 'api.example.com')
  t.equal((await tlsConverse(listener.port, 'shop.apps.example.com')).cn, 'renewed.example.com', 'the removed wildcard no longer answers')
})

t.test('the security policy: TLS 1.2 by default, 1.3 only with a TLS13-1-3 policy; TLS 1.1 clients are refused', async (t) => {
  const clock = new ManualClock()
  const target = await backend('p')
  t.teardown(() => target.close())
  const g = new TargetGroup(tcpGroupConfig('tg-pol'), { clock })
  g.register([{ id: HOST, port: target.port, host: HOST }])
  const certificates = [await listenerCertificate('c', ['pol.example.com'], true)]
  const normal = await open(t, tcpListenerConfig('l-12', 0, ['tg-pol'], { protocol: 'TLS', certificates }), [g])
  t.equal((await tlsConverse(normal.port, 'pol.example.com', { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2')
  await t.rejects(tlsConverse(normal.port, 'pol.example.com', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }), 'TLS 1.1 is refused')
  const strict = await open(t, tcpListenerConfig('l-13', 0, ['tg-pol'], { protocol: 'TLS', certificates, sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06' }), [g])
  t.equal((await tlsConverse(strict.port, 'pol.example.com')).protocol, 'TLSv1.3')
  await t.rejects(tlsConverse(strict.port, 'pol.example.com', { maxVersion: 'TLSv1.2' }), 'TLS 1.2 is refused under a TLS 1.3 policy')
})

t.test("the security policy's ciphers and versions: nothing outside its list, the server's order, TLS 1.2 only where the policy says so", async (t) => {
  const clock = new ManualClock()
  const target = await backend('c')
  t.teardown(() => target.close())
  const g = new TargetGroup(tcpGroupConfig('tg-ciphers'), { clock })
  g.register([{ id: HOST, port: target.port, host: HOST }])
  const certificates = [await listenerCertificate('c', ['ciphers.example.com'], true)]
  const tls12 = (ciphers: string) => ({ maxVersion: 'TLSv1.2' as const, ciphers })
  const byPolicy = async (sslPolicy?: string) => (await open(t, tcpListenerConfig(`l-${sslPolicy ?? 'default'}`, 0, ['tg-ciphers'], { protocol: 'TLS', certificates, ...(sslPolicy ? { sslPolicy } : {}) }), [g])).port

  const normal = await byPolicy()
  t.equal((await tlsConverse(normal, undefined, tls12('ECDHE-ECDSA-AES128-SHA256'))).cipher, 'ECDHE-ECDSA-AES128-SHA256', 'default policy: a CBC suite of its list')
  await t.rejects(tlsConverse(normal, undefined, tls12('ECDHE-ECDSA-CHACHA20-POLY1305')), 'a suite outside the policy (OpenSSL would offer it) is refused')
  t.equal((await tlsConverse(normal, undefined, tls12('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'))).cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256',
    "the policy's priority wins over the client's order")
  t.equal((await tlsConverse(normal, undefined)).protocol, 'TLSv1.3', 'default policy: TLS 1.3 when the client has it')

  const forwardSecret = await byPolicy('ELBSecurityPolicy-FS-1-2-Res-2020-10')
  await t.rejects(tlsConverse(forwardSecret, undefined, tls12('ECDHE-ECDSA-AES128-SHA256')), 'FS-1-2-Res-2020-10: the CBC suites are out')
  t.equal((await tlsConverse(forwardSecret, undefined, tls12('ECDHE-ECDSA-AES128-GCM-SHA256'))).cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256', 'its GCM suites are in')

  const only12 = await byPolicy('ELBSecurityPolicy-TLS-1-2-2017-01')
  t.equal((await tlsConverse(only12, undefined)).protocol, 'TLSv1.2', 'TLS-1-2-2017-01: TLS 1.2 even for a client that has 1.3')
})

t.test('a TLS target group: TLS again to the target (its certificate is not checked)', async (t) => {
  const clock = new ManualClock()
  const target = await backend('secure', HOST, await selfSigned(['target.internal']))
  t.teardown(() => target.close())
  const g = new TargetGroup(tcpGroupConfig('tg-tls-target', { protocol: 'TLS' }), { clock })
  g.register([{ id: HOST, port: target.port, host: HOST }])
  const certificates = [await listenerCertificate('c', ['front.example.com'], true)]
  const listener = await open(t, tcpListenerConfig('l-reencrypt', 0, ['tg-tls-target'], { protocol: 'TLS', certificates }), [g])
  const r = await tlsConverse(listener.port, 'front.example.com')
  t.equal(r.cn, 'front.example.com')
  t.equal(r.received, 'secure\nover tls\nbye secure\n')
})

t.test('a TLS listener without certificates, or with one that cannot be loaded: coded errors, nothing bound', async (t) => {
  const o = { address: HOST, idleTimeoutMs: 0, limits: DEFAULT_LB_LIMITS, clock: new ManualClock(), targetGroup: () => undefined }
  const none = await TcpListener.open(tcpListenerConfig('l', 0, [], { protocol: 'TLS' }), o).then(() => undefined, (e: unknown) => e)
  t.ok(none instanceof StratusError)
  t.equal((none as StratusError).code, 'CertificateRequired')
  const bad = await TcpListener.open(tcpListenerConfig('l', 0, [], {
    protocol: 'TLS', certificates: [{ key: 'arn:bad', certPem: 'not a certificate', keyPem: 'nor a key', names: ['x'], isDefault: true }]
  }), o).then(() => undefined, (e: unknown) => e)
  t.equal((bad as StratusError).code, 'InvalidCertificate')
  t.equal((bad as StratusError).field, 'Certificates[0]')
  t.match((bad as StratusError).message, /arn:bad/)
  const http = await TcpListener.open(tcpListenerConfig('l', 0, [], { protocol: 'HTTP' }), o).then(() => undefined, (e: unknown) => e)
  t.equal((http as StratusError).code, 'UnsupportedListenerProtocol')
})
