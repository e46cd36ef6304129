// HTTPS listeners with ACM's certificates: the control plane resolves them
// through its CertificateSource (runtime/acm), SNI picks among the default
// one and those AddListenerCertificates added, ACM's InUseBy names the load
// balancer, and a renewed certificate is applied to the listener in place.
import https from 'node:https'
import tls from 'node:tls'
import t, { type Test } from 'tap'
import { Acm } from '../../../runtime/acm/index.js'
import { PageTokens } from '../../../runtime/aws/pagination.js'
import type { Engine } from '../../../runtime/engine.js'
import { clockOf, elbEngine, freePort, refusal } from './elb-fixtures.js'

async function acmOf(t: Test, engine: Engine): Promise<Acm> {
  const acm = await Acm.open({ store: engine.store, clock: engine.clock, partition: engine.partition, tokens: new PageTokens({ now: () => engine.clock.now() }) })
  t.teardown(() => acm.close())
  await engine.elb.setCertificates(acm)
  return acm
}

async function issued(acm: Acm, name: string): Promise<string> {
  const { CertificateArn } = acm.requestCertificate({ DomainName: name, ValidationMethod: 'DNS' })
  await acm.confirmValidation({ CertificateArn })
  return CertificateArn
}

/** The certificate the listener presents for `servername`: its subject names and serial (not verified: a renewed one is valid from the manual clock's time on). */
function presented(host: string, port: number, servername: string, ca: string): Promise<{ names: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, servername, ca, checkServerIdentity: () => undefined, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate()
      s.end()
      resolve({ names: c.subjectaltname ?? '', serial: c.serialNumber })
    })
    s.on('error', reject)
  })
}

function httpsGet(host: string, port: number, servername: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port, servername, ca, path: '/', agent: false, headers: { host: servername } }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('HTTPS listener: ACM certificates, SNI among them, InUseBy, removal, renewal re-applied', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const acm = await acmOf(t, engine)
  const ca = acm.authorityCertificate()
  const app = await issued(acm, 'app.example.test')
  const api = await issued(acm, 'api.example.test')
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'secure' })
  const lbArn = lb.LoadBalancerArn!
  const port = await freePort()
  const { Listeners: [listener] = [] } = await elb.createListener({
    LoadBalancerArn: lbArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: app }],
    DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'secure hello' } }]
  })
  t.match(listener, { Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: app }] })
  const address = lb.DNSName!
  t.same(await httpsGet(address, port, 'app.example.test', ca), { status: 200, body: 'secure hello' })
  t.match((await presented(address, port, 'api.example.test', ca)).names, /app\.example\.test/, 'without its certificate, api gets the default')

  await elb.addListenerCertificates({ ListenerArn: listener.ListenerArn!, Certificates: [{ CertificateArn: api }] })
  t.match((await presented(address, port, 'api.example.test', ca)).names, /api\.example\.test/, 'SNI picks the added certificate')
  t.match((await presented(address, port, 'app.example.test', ca)).names, /app\.example\.test/)
  const certs = await elb.describeListenerCertificates({ ListenerArn: listener.ListenerArn! })
  t.same(certs.Certificates, [{ CertificateArn: app, IsDefault: true }, { CertificateArn: api, IsDefault: false }])
  t.same(acm.describeCertificate({ CertificateArn: api }).Certificate.InUseBy, [lbArn], 'ACM knows who uses it')

  await refusal(t, () => elb.removeListenerCertificates({ ListenerArn: listener.ListenerArn!, Certificates: [{ CertificateArn: app }] }), 'OperationNotPermitted', 'Certificates[0].CertificateArn')
  await elb.removeListenerCertificates({ ListenerArn: listener.ListenerArn!, Certificates: [{ CertificateArn: api }] })
  t.match((await presented(address, port, 'api.example.test', ca)).names, /app\.example\.test/, 'removed: the default again')
  t.same(acm.describeCertificate({ CertificateArn: api }).Certificate.InUseBy, [], 'no longer in use')

  // Renewal: 60 days before expiry ACM renews (a DNS-validated one after validation); the listener serves the new one.
  const before = await presented(address, port, 'app.example.test', ca)
  const notAfter = acm.get(app)!.notAfter
  await clockOf(engine).advance(notAfter - engine.clock.now() - 59 * 86_400_000)
  await acm.settled()
  const status = acm.describeCertificate({ CertificateArn: app }).Certificate as { RenewalSummary?: { RenewalStatus?: string } }
  if (status.RenewalSummary?.RenewalStatus === 'PENDING_VALIDATION') await acm.confirmValidation({ CertificateArn: app })
  await acm.settled()
  t.not(acm.get(app)!.notAfter, notAfter, 'ACM renewed it')
  let after = before
  for (let i = 0; i < 50 && after.serial === before.serial; i++) {
    await new Promise((r) => setTimeout(r, 10))
    after = await presented(address, port, 'app.example.test', ca)
  }
  t.not(after.serial, before.serial, 'the listener presents the renewed certificate')

  // Switching the listener to HTTP drops its certificates (and the InUseBy).
  await elb.modifyListener({ ListenerArn: listener.ListenerArn!, Protocol: 'HTTP' })
  t.same(acm.describeCertificate({ CertificateArn: app }).Certificate.InUseBy, [])
  const { Listeners: [plain] = [] } = await elb.describeListeners({ ListenerArns: [listener.ListenerArn!] })
  t.equal(plain.Certificates, undefined)
  t.equal(plain.SslPolicy, undefined)
})

t.test('listener certificates: the quota, HTTP listeners take none, TLS on an NLB', async (t) => {
  const engine = await elbEngine(t)
  const elb = engine.elb
  const acm = await acmOf(t, engine)
  ;(elb.context as { quotas: { certificatesPerListener: number } }).quotas.certificatesPerListener = 1
  const [one, two, three] = [await issued(acm, 'one.example.test'), await issued(acm, 'two.example.test'), await issued(acm, 'three.example.test')]
  const { LoadBalancers: [lb] = [] } = await elb.createLoadBalancer({ Name: 'certs' })
  const fixed = [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '204' } }]
  const { Listeners: [secure] = [] } = await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTPS', Port: await freePort(), Certificates: [{ CertificateArn: one }], DefaultActions: fixed })
  await elb.addListenerCertificates({ ListenerArn: secure.ListenerArn!, Certificates: [{ CertificateArn: two }] })
  await elb.addListenerCertificates({ ListenerArn: secure.ListenerArn!, Certificates: [{ CertificateArn: two }] })
  const before = engine.store.revision
  await refusal(t, () => elb.addListenerCertificates({ ListenerArn: secure.ListenerArn!, Certificates: [{ CertificateArn: three }] }), 'TooManyCertificates', 'Certificates')
  await refusal(t, () => elb.addListenerCertificates({ ListenerArn: secure.ListenerArn!, Certificates: [{ CertificateArn: three, IsDefault: true }] }), 'ValidationError', 'Certificates[0].IsDefault')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTPS', Port: 1, Certificates: [{ CertificateArn: one }, { CertificateArn: two }], DefaultActions: fixed }), 'ValidationError', 'Certificates')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTPS', Port: 1, Certificates: [{ CertificateArn: one }], SslPolicy: 'ELBSecurityPolicy-nope', DefaultActions: fixed }), 'SSLPolicyNotFound', 'SslPolicy')
  const { Listeners: [plain] = [] } = await elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: await freePort(), DefaultActions: fixed })
  const mid = engine.store.revision
  t.ok(mid > before)
  await refusal(t, () => elb.addListenerCertificates({ ListenerArn: plain.ListenerArn!, Certificates: [{ CertificateArn: three }] }), 'ValidationError', 'ListenerArn')
  await refusal(t, () => elb.createListener({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: 1, Certificates: [{ CertificateArn: one }], DefaultActions: fixed }), 'ValidationError', 'Certificates')
  t.equal(engine.store.revision, mid, 'nothing written by the refusals')
  t.same((await elb.describeListenerCertificates({ ListenerArn: secure.ListenerArn!, PageSize: 1 })).Certificates, [{ CertificateArn: one, IsDefault: true }])

  // An NLB's TLS listener terminates TLS with the certificate and forwards TCP.
  const { LoadBalancers: [nlb] = [] } = await elb.createLoadBalancer({ Name: 'tls', Type: 'network' })
  const { TargetGroups: [tg] = [] } = await elb.createTargetGroup({ Name: 'tls-tcp', Protocol: 'TCP', Port: 9, TargetType: 'ip' })
  const port = await freePort()
  const { Listeners: [tlsListener] = [] } = await elb.createListener({ LoadBalancerArn: nlb.LoadBalancerArn!, Protocol: 'TLS', Port: port, Certificates: [{ CertificateArn: one }], AlpnPolicy: ['HTTP2Preferred'], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }] })
  t.match(tlsListener, { Protocol: 'TLS', AlpnPolicy: ['HTTP2Preferred'], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' })
  t.match((await presented(nlb.DNSName!, port, 'one.example.test', acm.authorityCertificate())).names, /one\.example\.test/)
})
