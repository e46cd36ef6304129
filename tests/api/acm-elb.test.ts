// ACM behind an ALB, end to end on one engine: a certificate requested and
// validated over the ACM API, an HTTPS listener (ELBv2 API) serving it on the
// load balancer's 127.x address, a TLS client trusting only the engine's root
// verifying it by name; InUseBy names the load balancer and DeleteCertificate
// is refused while it does; a renewal on the clock puts the new certificate
// on the listener (onRenewed → listeners re-applied).
import t from 'tap'
import { connect } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm'
import { CreateListenerCommand, CreateLoadBalancerCommand, DeleteListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { clientConfig, elbCloud, listenerPort } from './elbv2-helpers.js'

const DAY = 86_400_000

function fetchOverTls(host: string, port: number, servername: string, ca: string): Promise<{ authorized: boolean; serial: string; body: string; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername, ca, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber
      const error = socket.authorizationError === null ? undefined : String(socket.authorizationError)
      let body = ''
      socket.on('data', (d: Buffer) => { body += d.toString('utf8') })
      socket.on('end', () => resolve({ authorized: socket.authorized, serial, body, ...(error !== undefined ? { error } : {}) }))
      socket.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`)
    })
    socket.on('error', reject)
  })
}

t.test('an HTTPS listener serves an ACM certificate; in use, renewed on the clock', async (t) => {
  const { cloud, elb } = await elbCloud(t)
  const acm = new ACMClient(clientConfig(cloud))
  t.teardown(() => acm.destroy())
  const { CertificateArn } = await acm.send(new RequestCertificateCommand({ DomainName: 'shop.example.test', KeyAlgorithm: 'EC_prime256v1' }))
  await cloud.acm.certificate(CertificateArn!).confirmValidation()
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'tls-shop' }))).LoadBalancers![0]
  const port = listenerPort()
  const listener = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn }],
    DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'shop' } }]
  }))).Listeners![0]
  const root = await cloud.acm.authorityCertificate()

  const first = await fetchOverTls(lb.DNSName!, port, 'shop.example.test', root)
  t.equal(first.authorized, true, 'the listener\'s certificate verifies against the engine\'s root, by name')
  t.match(first.body, /^HTTP\/1\.1 200/, 'and the request is answered')
  t.match(first.body, /shop$/)

  const detail = (await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!
  t.same(detail.InUseBy, [lb.LoadBalancerArn], 'InUseBy names the load balancer')
  t.equal(detail.RenewalEligibility, 'ELIGIBLE')
  const refused = await acm.send(new DeleteCertificateCommand({ CertificateArn })).then(() => undefined, (e: Error) => e)
  t.equal(refused?.name, 'ResourceInUseException', 'DeleteCertificate refused while the listener uses it')

  await cloud.clock.advance(336 * DAY)
  await cloud.engine.acm.settled()
  await cloud.clock.advance(0)
  const renewedSerial = new X509Certificate(cloud.engine.acm.get(CertificateArn!)!.certPem).serialNumber
  t.not(renewedSerial, first.serial, 'renewed: a new serial')
  let served = ''
  for (let i = 0; i < 50 && served !== renewedSerial; i++) {
    served = (await fetchOverTls(lb.DNSName!, port, 'shop.example.test', root)).serial
    if (served !== renewedSerial) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(served, renewedSerial, 'the listener serves the renewed certificate')

  await elb.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn }))
  let inUse: string[] | undefined = ['x']
  for (let i = 0; i < 50 && inUse !== undefined && inUse.length > 0; i++) {
    inUse = (await acm.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!.InUseBy
    if (inUse !== undefined && inUse.length > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.same(inUse, [], 'the listener gone: no longer in use')
  await acm.send(new DeleteCertificateCommand({ CertificateArn }))
  t.pass('and the certificate is deleted')
})
