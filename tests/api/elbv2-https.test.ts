// HTTPS listeners on the wire with the official ELBv2 client and ACM
// certificates issued by the engine's own CA: the default certificate on
// CreateListener, another added for SNI (AddListenerCertificates), listed
// (DescribeListenerCertificates), removed (RemoveListenerCertificates); a
// TLS client trusting the engine's CA reaches the Node target with each name.
import t from 'tap'
import { request } from 'node:https'
import type { PeerCertificate, TLSSocket } from 'node:tls'
import {
  AddListenerCertificatesCommand, CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeListenerCertificatesCommand,
  ModifyListenerCommand, OperationNotPermittedException, RegisterTargetsCommand, RemoveListenerCertificatesCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { backend, elbCloud, listenerPort, untilHealth } from './elbv2-helpers.js'

/** An HTTPS GET to the load balancer with this SNI name, trusting `ca`: status, body and the names of the certificate served. */
function httpsGet(address: string, port: number, servername: string, ca: string): Promise<{ status: number; body: string; names: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/secure', servername, ca, agent: false, timeout: 10_000, minVersion: 'TLSv1.2' }, (res) => {
      const cert: PeerCertificate = (res.socket as TLSSocket).getPeerCertificate()
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), names: cert.subjectaltname ?? '' }))
    })
    req.on('timeout', () => req.destroy(new Error('no answer')))
    req.on('error', reject)
    req.end()
  })
}

t.test('HTTPS listener: ACM certificates, SNI among them, add, describe and remove', async (t) => {
  const { cloud, elb } = await elbCloud(t)
  const target = await backend(t, 'tls')
  const issue = async (name: string) => {
    const cert = await cloud.acm.requestCertificate(name)
    await cert.confirmValidation()
    return cert.arn
  }
  const [alpha, beta] = [await issue('alpha.example.com'), await issue('beta.example.com')]
  const ca = await cloud.acm.authorityCertificate()

  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'secure' }))).LoadBalancers![0]
  const tg = (await elb.send(new CreateTargetGroupCommand({
    Name: 'secure', Protocol: 'HTTP', Port: target.port, TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2
  }))).TargetGroups![0]
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1' }] }))
  const port = listenerPort()
  const listener = (await elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port, SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    Certificates: [{ CertificateArn: alpha }], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }]
  }))).Listeners![0]
  t.match(listener, { Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: alpha }] })
  await untilHealth(cloud, elb, tg.TargetGroupArn!, 'healthy', 1)

  const viaAlpha = await httpsGet(lb.DNSName!, port, 'alpha.example.com', ca)
  t.match(viaAlpha, { status: 200, body: 'tls /secure' }, 'TLS terminated with a certificate the CA vouches for, the request forwarded')
  t.match(viaAlpha.names, /DNS:alpha\.example\.com/)
  t.equal(target.seen.find((r) => r.url === '/secure')?.headers['x-forwarded-proto'], 'https')
  await t.rejects(httpsGet(lb.DNSName!, port, 'beta.example.com', ca), /beta\.example\.com/, 'no certificate for beta yet: the default does not cover it')

  const added = (await elb.send(new AddListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: beta }] }))).Certificates!
  t.same(added, [{ CertificateArn: beta, IsDefault: false }], 'AddListenerCertificates answers the non-default ones')
  const listed = (await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listener.ListenerArn }))).Certificates!
  t.same(listed.map((c) => [c.CertificateArn, c.IsDefault]).sort(), [[alpha, true], [beta, false]].sort())
  const viaBeta = await httpsGet(lb.DNSName!, port, 'beta.example.com', ca)
  t.match(viaBeta, { status: 200, body: 'tls /secure' })
  t.match(viaBeta.names, /DNS:beta\.example\.com/, 'SNI picked the added certificate')

  const refused = await elb.send(new RemoveListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: alpha }] })).then(() => undefined, (e: unknown) => e)
  t.ok(refused instanceof OperationNotPermittedException, 'the default certificate cannot be removed')
  await elb.send(new RemoveListenerCertificatesCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: beta }] }))
  t.same((await elb.send(new DescribeListenerCertificatesCommand({ ListenerArn: listener.ListenerArn }))).Certificates!.map((c) => c.CertificateArn), [alpha])
  await t.rejects(httpsGet(lb.DNSName!, port, 'beta.example.com', ca), /beta\.example\.com/, 'removed: beta gets the default again')

  // ModifyListener replaces the default certificate in place.
  await elb.send(new ModifyListenerCommand({ ListenerArn: listener.ListenerArn, Certificates: [{ CertificateArn: beta }] }))
  t.match((await httpsGet(lb.DNSName!, port, 'beta.example.com', ca)).names, /DNS:beta\.example\.com/, 'the new default')
})
