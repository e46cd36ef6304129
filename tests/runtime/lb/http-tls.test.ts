// HTTPS listeners: TLS terminated with the listener's certificates, SNI
// picking by name (exact, then a one-label wildcard, else the default), TLS
// 1.2 at least, X-Forwarded-Proto https, and update() swapping certificates
// for new handshakes while open connections carry on.
import https from 'node:https'
import tls from 'node:tls'
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import t from 'tap'
import type { TargetGroupRuntime } from '../../../runtime/lb/model.js'
import { backend, certificate, fixed, group, groupArn, listenerConfig, openListener } from './http-fixtures.js'

/** The CN of the certificate the listener presents for a server name. */
function presented(port: number, servername: string | undefined, o: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }), ...o }, () => {
      const cn = socket.getPeerCertificate().subject?.CN
      socket.end()
      resolve(String(cn))
    })
    socket.on('error', reject)
  })
}

function get(port: number, servername: string, agent?: https.Agent): Promise<{ status: number; body: string; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, servername, path: '/', rejectUnauthorized: false, agent: agent ?? false, headers: { host: servername } }, (res) => {
      const cn = String((res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN)
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }))
    })
    req.on('error', reject)
  })
}

t.test('SNI picks the certificate by name: exact, then wildcard, else the default', async (t) => {
  const certs = [
    await certificate('arn:cert/default', ['default.test'], true),
    await certificate('arn:cert/wild', ['*.shop.test']),
    await certificate('arn:cert/exact', ['api.shop.test', 'other.test'])
  ]
  const listener = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: certs, defaultActions: [fixed('200', 'secure')] }))
  t.equal(await presented(listener.port, 'api.shop.test'), 'api.shop.test', 'the exact name beats the wildcard')
  t.equal(await presented(listener.port, 'OTHER.test'), 'api.shop.test', 'names are case-insensitive')
  t.equal(await presented(listener.port, 'cart.shop.test'), '*.shop.test', 'the wildcard covers one label')
  t.equal(await presented(listener.port, 'a.b.shop.test'), 'default.test', 'but not two')
  t.equal(await presented(listener.port, 'unknown.test'), 'default.test')
  t.equal(await presented(listener.port, undefined), 'default.test', 'no SNI: the default')
  const reply = await get(listener.port, 'cart.shop.test')
  t.equal(reply.status, 200)
  t.equal(reply.body, 'secure')
})

t.test('TLS 1.2 is the minimum', async (t) => {
  const listener = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [await certificate('arn:cert/a', ['a.test'], true)] }))
  t.equal(await presented(listener.port, 'a.test', { maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' }), 'a.test', 'TLS 1.2 is accepted')
  await t.rejects(presented(listener.port, 'a.test', { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }), 'TLS 1.1 is refused')
  const strict = await openListener(t, listenerConfig({ protocol: 'HTTPS', sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06', certificates: [await certificate('arn:cert/b', ['b.test'], true)] }))
  await t.rejects(presented(strict.port, 'b.test', { maxVersion: 'TLSv1.2' }), 'a TLS 1.3-only policy refuses 1.2')
})

t.test('forwarded requests say https', async (t) => {
  let proto: string | undefined
  const target = await backend(t, (req, res) => {
    proto = req.headers['x-forwarded-proto'] as string
    res.end('ok')
  })
  const groups = new Map<string, TargetGroupRuntime>()
  group(t, groups, groupArn('tls'), [target.port])
  const listener = await openListener(t, listenerConfig({
    protocol: 'HTTPS', certificates: [await certificate('arn:cert/a', ['a.test'], true)],
    defaultActions: [{ type: 'forward', targetGroups: [{ key: groupArn('tls'), weight: 1 }] }]
  }), { groups })
  t.equal((await get(listener.port, 'a.test')).body, 'ok')
  t.equal(proto, 'https')
})

t.test('update() swaps certificates for new handshakes; an open connection carries on', async (t) => {
  const old = await certificate('arn:cert/old', ['site.test'], true)
  const renewed = await certificate('arn:cert/new', ['site.test', 'added.test'], true)
  const listener = await openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [old], defaultActions: [fixed('200', 'v1')] }))
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const first = await get(listener.port, 'site.test', agent)
  const oldFingerprint = new x509.X509Certificate(old.certPem).serialNumber
  t.equal(first.cn, 'site.test')
  listener.update(listenerConfig({ protocol: 'HTTPS', certificates: [renewed], defaultActions: [fixed('200', 'v2')] }))
  const kept = await get(listener.port, 'site.test', agent)
  t.equal(kept.body, 'v2', 'the open connection sees the new rules')
  const serialOf = (port: number, name: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().serialNumber.toLowerCase())
        s.end()
      })
      s.on('error', reject)
    })
  const serial = await serialOf(listener.port, 'site.test')
  t.not(serial, oldFingerprint.toLowerCase(), 'a new handshake gets the renewed certificate')
  t.equal(serial.replace(/^0+/, ''), new x509.X509Certificate(renewed.certPem).serialNumber.toLowerCase().replace(/^0+/, ''))
  t.equal(await presented(listener.port, 'added.test'), 'site.test')
  t.throws(() => listener.update(listenerConfig({ protocol: 'HTTPS', certificates: [] })), { code: 'CertificateRequired' })
  t.equal((await get(listener.port, 'site.test')).body, 'v2', 'a refused update leaves the listener as it was')
})

t.test('an HTTPS listener without a certificate is refused with a coded error', async (t) => {
  await t.rejects(openListener(t, listenerConfig({ protocol: 'HTTPS', certificates: [] })), { code: 'CertificateRequired', field: 'Certificates' })
})
