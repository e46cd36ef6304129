// The certificates serve real TLS: a node:tls server on 127.0.0.1 picks the
// certificate by SNI from CertificateSource.get, and a client that trusts
// only the engine's root verifies it (names checked). The manual clock starts
// 400 days ago, so what ACM issued then has really expired by now: the client
// refuses it (CERT_HAS_EXPIRED), while the one ACM renewed on the clock
// (in use) verifies.
import t from 'tap'
import { connect, createServer, createSecureContext, type SecureContext } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { PageTokens } from '../../../runtime/aws/pagination.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Acm, nameCovers } from '../../../runtime/acm/index.js'

const DAY = 86_400_000

function handshake(port: number, servername: string, ca: string): Promise<{ authorized: boolean; error?: string; subject?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate()
      const error = socket.authorizationError === null ? undefined : String(socket.authorizationError)
      resolve({ authorized: socket.authorized, ...(error !== undefined ? { error } : {}), subject: String(peer.subject?.CN) })
      socket.end()
    })
    socket.on('error', (e) => resolve({ authorized: false, error: e.message }))
  })
}

t.test('SNI over issued certificates; an expired one refused, the renewed one verified', async (t) => {
  const clock = new ManualClock(Date.now() - 400 * DAY)
  const store = new MemoryStore()
  const acm = await Acm.open({ store, clock, partition: makePartition(), tokens: new PageTokens({ now: () => clock.now() }) })
  t.teardown(async () => { acm.close(); await store.close() })
  const renewedArn = acm.requestCertificate({ DomainName: 'app.example.test', SubjectAlternativeNames: ['*.app.example.test'], KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  const staleArn = acm.requestCertificate({ DomainName: 'old.example.test', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  await acm.confirmValidation({ CertificateArn: renewedArn })
  await acm.confirmValidation({ CertificateArn: staleArn })
  acm.markInUse(renewedArn, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/tls/0123456789abcdef')
  const stale = acm.get(staleArn)!
  await clock.advance(336 * DAY)
  await acm.settled()
  const renewed = acm.get(renewedArn)!
  t.ok(renewed.notAfter > Date.now(), 'renewed on the clock: valid in real time')
  t.ok(stale.notAfter < Date.now(), 'the other one\'s NotAfter has passed in real time')

  const contexts: Array<{ names: readonly string[]; context: SecureContext }> = [renewed, stale].map((c) => ({
    names: c.names, context: createSecureContext({ cert: c.certPem + c.chainPem, key: c.keyPem, minVersion: 'TLSv1.2' })
  }))
  const server = createServer({ cert: renewed.certPem, key: renewed.keyPem, SNICallback: (name, done) => done(null, contexts.find((c) => c.names.some((n) => nameCovers(n, name)))?.context ?? contexts[0].context) }, (socket) => socket.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  const root = acm.authorityCertificate()

  const ok = await handshake(port, 'api.app.example.test', root)
  t.same(ok, { authorized: true, subject: 'app.example.test' }, 'the wildcard name, verified against the root')
  const expired = await handshake(port, 'old.example.test', root)
  t.equal(expired.authorized, false, 'the certificate that was not renewed is refused')
  t.equal(expired.error, 'CERT_HAS_EXPIRED', 'as expired')
  const other = await Acm.open({ store: new MemoryStore(), clock, partition: makePartition(), tokens: new PageTokens({ now: () => clock.now() }) })
  other.close()
  const untrusted = await handshake(port, 'app.example.test', other.authorityCertificate())
  t.equal(untrusted.authorized, false, 'another engine\'s root does not verify it')
})
