// ACM costs nothing at engine start: an engine started (simulated runner)
// has not loaded @peculiar/x509 (reflect-metadata, which the CA's module
// imports before it, has not defined Reflect.getMetadata) nor written a CA
// to its store; the first need opens it. Two first uses at once open one CA
// (one shared promise, one instance, one record). Over a durable store, a
// restarted engine's renewal timer opens the CA when it fires, and renews
// with the root of the first run.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { Engine } from '../../../runtime/engine.js'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { SqliteStore } from '../../../runtime/store/sqlite.js'
import { PageTokens } from '../../../runtime/aws/pagination.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Acm, AUTHORITY } from '../../../runtime/acm/index.js'
import type { Store } from '../../../runtime/store/store.js'

const DAY = 86_400_000
const LB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/lazy/0123456789abcdef'

const x509Loaded = () => typeof (Reflect as { getMetadata?: unknown }).getMetadata === 'function'

function openAcm(store: Store, clock: ManualClock): Promise<Acm> {
  return Acm.open({ store, clock, partition: makePartition(), tokens: new PageTokens({ now: () => clock.now() }) })
}

// First in the file: nothing before it may have loaded the CA's module.
t.test('an engine start loads no x509 and opens no CA; the first need does', async (t) => {
  t.notOk(x509Loaded(), 'nothing in this process has loaded @peculiar/x509 yet')
  const engine = await Engine.start({ runner: 'simulated', clock: 'manual' })
  t.teardown(() => engine.close())
  t.notOk(x509Loaded(), 'Engine.start did not load it')
  t.equal(engine.store.get(AUTHORITY, 'root'), undefined, 'nor create a CA in the store')
  const { CertificateArn } = engine.acm.requestCertificate({ DomainName: 'lazy.example.com', ValidationMethod: 'EMAIL' })
  t.notOk(x509Loaded(), 'RequestCertificate (pending) does not need it either')
  await engine.acm.confirmValidation({ CertificateArn })
  t.ok(x509Loaded(), 'issuing loaded it')
  t.ok(engine.store.get(AUTHORITY, 'root'), 'and kept the new CA in the store')
  const leaf = new X509Certificate(engine.acm.getCertificate({ CertificateArn }).Certificate)
  t.ok(leaf.verify(new X509Certificate(await engine.acm.authorityCertificate()).publicKey), 'the leaf is signed by the root authorityCertificate returns')
})

t.test('two first uses at once open one CA', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10))
  const store = new MemoryStore()
  const acm = await openAcm(store, clock)
  t.teardown(async () => { acm.close(); await store.close() })
  const a = acm.ca()
  const b = acm.ca()
  t.equal(a, b, 'one shared promise')
  const [first, second] = await Promise.all([a, b])
  t.equal(first, second, 'one CA instance')
  const [pemA, pemB] = await Promise.all([acm.authorityCertificate(), acm.authorityCertificate()])
  t.equal(pemA, first.certificatePem)
  t.equal(pemB, first.certificatePem)
  t.equal(store.get(AUTHORITY, 'root')?.version, 1, 'written to the store once')
})

t.test('over a durable store, a restarted engine\'s renewal timer opens the CA when it fires', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-acm-lazy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const clock = new ManualClock(Date.UTC(2026, 0, 10))
  const firstStore = SqliteStore.open(join(dir, 'state.db'))
  const first = await openAcm(firstStore, clock)
  let closed = false
  t.teardown(async () => { if (!closed) { first.close(); await firstStore.close() } })
  const { CertificateArn } = first.requestCertificate({ DomainName: 'renew.example.com', ValidationMethod: 'EMAIL', KeyAlgorithm: 'EC_prime256v1' })
  await first.confirmValidation({ CertificateArn })
  first.markInUse(CertificateArn, LB)
  const root = await first.authorityCertificate()
  const before = first.get(CertificateArn)!
  first.close()
  await firstStore.close()
  closed = true

  const store = SqliteStore.open(join(dir, 'state.db'))
  const second = await openAcm(store, clock)
  t.teardown(async () => { second.close(); await store.close() })
  // EMAIL validation: the renewal waits for a confirmation, which renews (and opens the CA).
  await clock.advance(336 * DAY)
  t.equal((second.describeCertificate({ CertificateArn }).Certificate as any).RenewalSummary?.RenewalStatus, 'PENDING_VALIDATION', 'the restarted engine\'s timer started the renewal')
  const renewed: string[] = []
  second.onRenewed((arn) => renewed.push(arn))
  await second.confirmValidation({ CertificateArn })
  t.same(renewed, [CertificateArn], 'renewed')
  const after = second.get(CertificateArn)!
  t.not(after.certPem, before.certPem, 'a new certificate')
  t.equal(await second.authorityCertificate(), root, 'the CA of the first run, loaded from the store')
  t.ok(new X509Certificate(after.certPem).verify(new X509Certificate(root).publicKey), 'the renewed leaf is signed by it')
})

t.test('a DNS-validated renewal opens the CA from its timer alone', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 10))
  const store = new MemoryStore()
  const first = await openAcm(store, clock)
  const { CertificateArn } = first.requestCertificate({ DomainName: 'auto.example.com', KeyAlgorithm: 'EC_prime256v1' })
  await first.confirmValidation({ CertificateArn })
  first.markInUse(CertificateArn, LB)
  const before = first.get(CertificateArn)!
  first.close()
  const second = await openAcm(store, clock)
  t.teardown(async () => { second.close(); await store.close() })
  await clock.advance(336 * DAY)
  await second.settled()
  const after = second.get(CertificateArn)!
  t.not(after.certPem, before.certPem, 'renewed by the timer, the CA opened on the way')
  t.equal(after.chainPem, before.chainPem, 'by the same root')
})
