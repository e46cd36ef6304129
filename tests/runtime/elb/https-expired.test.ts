// An HTTPS listener whose certificate has expired, end to end with real TLS
// clients. A client checks NotAfter against real time, so what the listener
// serves is really expired: the engine's manual clock starts in the past,
// where the certificate was still valid (ImportCertificate takes it then;
// ACM issued the other one then). As ELB does, the listener keeps presenting
// an expired certificate (ACM shows it EXPIRED; clients refuse it with
// CERT_HAS_EXPIRED) — also after a change to the listener re-applies it —
// until it is replaced: re-imported into the same ARN (ACM's ImportCertificate
// with CertificateArn), or another certificate put on the listener by
// ModifyListener. The same listener, on the same port and without a rebind
// (a connection opened before the change is still answered on it), then
// serves the fresh certificate and the client's handshake succeeds.
import https from 'node:https'
import tls from 'node:tls'
import { X509Certificate } from 'node:crypto'
import t from 'tap'
import { CertificateAuthority } from '../../../runtime/acm/authority.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import type { Engine } from '../../../runtime/engine.js'
import type { LoadBalancerPlane } from '../../../runtime/lb/plane.js'
import { clockOf, elbEngine, freePort } from './elb-fixtures.js'

const DAY = 86_400_000

/** A verifying HTTPS client (rejectUnauthorized): the answer and the certificate it verified, or the handshake's error code. */
function strictGet(host: string, port: number, servername: string, ca: string): Promise<{ status: number; body: string; serial: string; fingerprint: string } | { code: string }> {
  return new Promise((resolve) => {
    const req = https.request({ host, port, servername, ca, path: '/', agent: false, headers: { host: servername } }, (res) => {
      const peer = (res.socket as tls.TLSSocket).getPeerCertificate()
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial: peer.serialNumber, fingerprint: peer.fingerprint256 }))
    })
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code ?? e.message }))
    req.end()
  })
}

/** What the listener presents for `servername`, and what a client trusting `ca` makes of it (not refused: the verdict is read). */
function presented(host: string, port: number, servername: string, ca: string): Promise<{ authorized: boolean; error?: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, servername, ca, rejectUnauthorized: false }, () => {
      const error = s.authorizationError === null ? undefined : String((s.authorizationError as NodeJS.ErrnoException).code ?? s.authorizationError)
      resolve({ authorized: s.authorized, ...(error !== undefined ? { error } : {}), serial: s.getPeerCertificate().serialNumber })
      s.end()
    })
    s.on('error', reject)
  })
}

/** A keep-alive connection opened now (not verifying), to show it is still answered after the listener changed. */
function keptConnection(host: string, port: number, servername: string): { get: () => Promise<{ body: string; reused: boolean; serial: string }>; close: () => void } {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false })
  return {
    get: () => new Promise((resolve, reject) => {
      const req = https.request({ host, port, servername, path: '/', agent, headers: { host: servername } }, (res) => {
        const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => resolve({ body, reused: req.reusedSocket, serial }))
      })
      req.on('error', reject)
      req.end()
    }),
    close: () => agent.destroy()
  }
}

function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256
}

/** Until the listener's changes queued so far are applied (a re-import's re-apply is queued on the control plane's lane). */
function applied(engine: Engine): Promise<void> {
  return engine.elb.context.serial(() => undefined)
}

/** The ports the data plane holds for the load balancer. */
function boundPorts(engine: Engine, lbArn: string): number[] {
  return (engine.elb.context.plane as LoadBalancerPlane).listeners(lbArn).map((l) => l.port)
}

const hello = (body: string) => [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: body } }]

t.test('an imported certificate past its NotAfter: refused as expired, ACM EXPIRED; re-imported into the same ARN, the open listener serves the new one', async (t) => {
  const realNow = Date.now()
  const engine = await elbEngine(t, { startTime: realNow - 20 * DAY })
  const { elb, acm } = engine
  const start = engine.clock.now()
  // The user's own CA (a test key), the client's trust anchor.
  const theirs = await CertificateAuthority.open(new MemoryStore(), { now: start, name: 'Their CA' })
  const root = theirs.certificatePem
  const name = 'legacy.example.test'
  // Valid when imported (on the engine's clock), expired in real time.
  const old = await theirs.issue({ names: [name], keyAlgorithm: 'EC_prime256v1', notBefore: start - DAY, notAfter: realNow - 10 * DAY, now: start })
  const { CertificateArn: arn } = await acm.importCertificate({ Certificate: old.certPem, PrivateKey: old.keyPem, CertificateChain: old.chainPem })
  t.equal(acm.describeCertificate({ CertificateArn: arn }).Certificate.Status, 'ISSUED', 'imported while still valid on the engine\'s clock')

  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'legacy' })
  const port = await freePort()
  const { Listeners: [listener] = [] } = await elb.createListener({
    LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: arn }], DefaultActions: hello('legacy hello')
  })
  const address = lb.DNSName!
  t.same(acm.describeCertificate({ CertificateArn: arn }).Certificate.InUseBy, [lb.LoadBalancerArn])

  t.same(await strictGet(address, port, name, root), { code: 'CERT_HAS_EXPIRED' }, 'a verifying client refuses the expired certificate')
  t.same(await presented(address, port, name, root), { authorized: false, error: 'CERT_HAS_EXPIRED', serial: serialOf(old.certPem) }, 'the certificate presented is the imported one')

  // The engine's clock reaches NotAfter: ACM shows it EXPIRED (imported certificates are never renewed).
  await clockOf(engine).advance(old.notAfter - engine.clock.now() + 1000)
  await acm.settled()
  t.equal(acm.describeCertificate({ CertificateArn: arn }).Certificate.Status, 'EXPIRED', 'ACM: EXPIRED past NotAfter')
  t.equal(acm.get(arn), undefined, 'not offered to new listeners')
  t.same(await presented(address, port, name, root), { authorized: false, error: 'CERT_HAS_EXPIRED', serial: serialOf(old.certPem) }, 'the listener still presents it, as ELB does')

  // A change to the listener re-applies it: the expired certificate stays on it (it is not dropped, the port not closed).
  await elb.modifyListener({ ListenerArn: listener.ListenerArn!, DefaultActions: hello('legacy hello again') })
  t.same(await presented(address, port, name, root), { authorized: false, error: 'CERT_HAS_EXPIRED', serial: serialOf(old.certPem) }, 're-applied, still the expired certificate')
  const kept = keptConnection(address, port, name)
  t.teardown(() => kept.close())
  t.match(await kept.get(), { body: 'legacy hello again', reused: false, serial: serialOf(old.certPem) }, 'a connection opened on the expired certificate')

  // Re-import a fresh certificate into the same ARN.
  const fresh = await theirs.issue({ names: [name], keyAlgorithm: 'EC_prime256v1', notBefore: start - DAY, notAfter: realNow + 30 * DAY, now: engine.clock.now() })
  const again = await acm.importCertificate({ CertificateArn: arn, Certificate: fresh.certPem, PrivateKey: fresh.keyPem, CertificateChain: fresh.chainPem })
  t.equal(again.CertificateArn, arn, 're-imported: the same ARN')
  const detail = acm.describeCertificate({ CertificateArn: arn }).Certificate
  t.equal(detail.Status, 'ISSUED', 'ISSUED again')
  t.same(detail.InUseBy, [lb.LoadBalancerArn], 'still in use by the load balancer')
  await applied(engine)

  const ok = await strictGet(address, port, name, root)
  t.same(ok, { status: 200, body: 'legacy hello again', serial: serialOf(fresh.certPem), fingerprint: fingerprintOf(fresh.certPem) }, 'the same port: the handshake succeeds with the re-imported certificate')
  t.match(await kept.get(), { body: 'legacy hello again', reused: true, serial: serialOf(old.certPem) }, 'the connection opened before is still answered: the listener was not rebound')
  const { Listeners: [described] = [] } = await elb.describeListeners({ ListenerArns: [listener.ListenerArn!] })
  t.match(described, { ListenerArn: listener.ListenerArn, Port: port, Protocol: 'HTTPS', Certificates: [{ CertificateArn: arn }] }, 'the same listener, the same certificate ARN')
  t.same(boundPorts(engine, lb.LoadBalancerArn!), [port])
})

t.test('an ACM certificate not renewed (its e-mail never approved): EXPIRED and refused; ModifyListener to a new one, the open listener serves it', async (t) => {
  const realNow = Date.now()
  const engine = await elbEngine(t, { startTime: realNow - 400 * DAY })
  const { elb, acm } = engine
  const root = await acm.authorityCertificate()
  const name = 'shop.example.test'
  // ACM-issued on the engine's clock 400 days ago: its 395 days are over in real time.
  const { CertificateArn: stale } = acm.requestCertificate({ DomainName: name, ValidationMethod: 'EMAIL', KeyAlgorithm: 'EC_prime256v1' })
  await acm.confirmValidation({ CertificateArn: stale })
  const staleCert = acm.get(stale)!
  t.ok(staleCert.notAfter < realNow, 'its NotAfter has passed in real time')

  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'shop' })
  const port = await freePort()
  const { Listeners: [listener] = [] } = await elb.createListener({
    LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: stale }], DefaultActions: hello('shop hello')
  })
  const address = lb.DNSName!

  // In use, so ACM asks for the renewal's approval 60 days before NotAfter; nobody approves it: EXPIRED at NotAfter.
  await clockOf(engine).advance(staleCert.notAfter - engine.clock.now() + 1000)
  await acm.settled()
  const expired = acm.describeCertificate({ CertificateArn: stale }).Certificate as { Status?: string; RenewalSummary?: { RenewalStatus?: string } }
  t.equal(expired.Status, 'EXPIRED', 'ACM: EXPIRED')
  t.equal(expired.RenewalSummary?.RenewalStatus, 'FAILED', 'its renewal failed')
  t.same(await strictGet(address, port, name, root), { code: 'CERT_HAS_EXPIRED' }, 'a client trusting the engine\'s root refuses it as expired')
  t.same(await presented(address, port, name, root), { authorized: false, error: 'CERT_HAS_EXPIRED', serial: serialOf(staleCert.certPem) })
  const kept = keptConnection(address, port, name)
  t.teardown(() => kept.close())
  t.match(await kept.get(), { body: 'shop hello', reused: false, serial: serialOf(staleCert.certPem) })

  // A new certificate (issued now on the clock: valid in real time) replaces it on the listener.
  const { CertificateArn: renewed } = acm.requestCertificate({ DomainName: name, ValidationMethod: 'DNS', KeyAlgorithm: 'EC_prime256v1' })
  await acm.confirmValidation({ CertificateArn: renewed })
  const freshCert = acm.get(renewed)!
  await elb.modifyListener({ ListenerArn: listener.ListenerArn!, Certificates: [{ CertificateArn: renewed }] })

  t.same(await strictGet(address, port, name, root), { status: 200, body: 'shop hello', serial: serialOf(freshCert.certPem), fingerprint: fingerprintOf(freshCert.certPem) }, 'the same port: verified, the new certificate')
  t.match(await kept.get(), { body: 'shop hello', reused: true, serial: serialOf(staleCert.certPem) }, 'the connection opened before is still answered: the listener was not rebound')
  t.same(acm.describeCertificate({ CertificateArn: stale }).Certificate.InUseBy, [], 'the expired one is no longer in use')
  t.same(acm.describeCertificate({ CertificateArn: renewed }).Certificate.InUseBy, [lb.LoadBalancerArn])
  t.same(boundPorts(engine, lb.LoadBalancerArn!), [port])
})
