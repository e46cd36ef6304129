// The CA and the certificates over a durable store: an engine closed and
// started again over the same data directory has the same root (so what a
// user trusted stays trusted), its issued certificates with their keys, and
// its pending ones, whose validation and renewal go on on the clock.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { Stratus } from '../../../sdk/index.js'

const DAY = 86_400_000

t.test('the CA and certificates survive an engine restart over its data directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-acm-durable-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const first = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: dir })
  let closed = false
  t.teardown(async () => { if (!closed) await first.close() })
  const root = await first.acm.authorityCertificate()
  const issued = await first.acm.requestCertificate('kept.example.com', { keyAlgorithm: 'EC_prime256v1' })
  await issued.confirmValidation()
  first.engine.acm.markInUse(issued.arn, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/kept/0123456789abcdef')
  const pending = await first.acm.requestCertificate('later.example.com')
  const before = first.engine.acm.get(issued.arn)!
  await first.close()
  closed = true

  const second = await Stratus.embedded({ clock: 'manual', runner: 'simulated', dataDir: dir })
  t.teardown(() => second.close())
  t.equal(await second.acm.authorityCertificate(), root, 'the same root CA')
  const after = second.engine.acm.get(issued.arn)
  t.equal(after?.certPem, before.certPem, 'the issued certificate, as it was')
  t.equal(after?.keyPem, before.keyPem, 'with its key')
  t.equal(await second.acm.certificate(pending.arn).status(), 'PENDING_VALIDATION', 'the pending one is still pending')
  const confirmed = await second.acm.certificate(pending.arn).confirmValidation()
  t.equal(confirmed.Status, 'ISSUED', 'and is issued once confirmed')
  const leaf = new X509Certificate(second.engine.acm.get(pending.arn)!.certPem)
  t.ok(leaf.verify(new X509Certificate(root).publicKey), 'by the same CA')

  const renewed: string[] = []
  second.engine.acm.onRenewed((arn) => renewed.push(arn))
  await second.clock.advance(336 * DAY)
  await second.engine.acm.settled()
  t.same(renewed, [issued.arn], 'the renewal timer runs in the restarted engine (the one in use is renewed)')
  t.not(second.engine.acm.get(issued.arn)!.certPem, before.certPem, 'with a new certificate')
})
