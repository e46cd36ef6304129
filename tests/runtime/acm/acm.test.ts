// ACM over the engine's local CA, on a memory store and a manual clock:
// RequestCertificate → PENDING_VALIDATION with its CNAME → confirmValidation →
// ISSUED, the leaf verified against the root with node:crypto; the quota of
// 10 names; GetCertificate before issue; DNS validation through a
// DnsRecordSource looked up on the clock, and its 72-hour timeout; managed
// renewal (in use) after ~336 days with a new serial and onRenewed; expiry of
// what is not renewed; DeleteCertificate refused while in use.
import t, { type Test } from 'tap'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { PageTokens } from '../../../runtime/aws/pagination.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Acm, type DnsRecordSource } from '../../../runtime/acm/index.js'
import { StratusError } from '../../../runtime/errors.js'

const DAY = 86_400_000

async function area(t: Test, dns?: DnsRecordSource) {
  const clock = new ManualClock(Date.UTC(2026, 0, 10))
  const store = new MemoryStore()
  const acm = await Acm.open({ store, clock, partition: makePartition(), tokens: new PageTokens({ now: () => clock.now() }), ...(dns ? { dns } : {}) })
  t.teardown(async () => { acm.close(); await store.close() })
  return { clock, store, acm }
}

function refusal(t: Test, fn: () => unknown, code: string, pattern: RegExp, what: string) {
  try {
    fn()
    t.fail(`${what}: not refused`)
  } catch (error) {
    t.ok(error instanceof StratusError, `${what}: a coded error`)
    t.equal((error as StratusError).code, code, `${what}: ${code}`)
    t.match((error as Error).message, pattern, `${what}: the message says why`)
  }
}

t.test('request → PENDING_VALIDATION → confirm → ISSUED; the leaf chains to the root', async (t) => {
  const { acm } = await area(t)
  const { CertificateArn } = acm.requestCertificate({ DomainName: 'www.example.com', SubjectAlternativeNames: ['*.example.com', 'www.example.com'], Tags: [{ Key: 'team', Value: 'web' }] })
  t.match(CertificateArn, /^arn:aws:acm:us-east-1:000000000000:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN')
  const pending = acm.describeCertificate({ CertificateArn }).Certificate as any
  t.equal(pending.Status, 'PENDING_VALIDATION')
  t.equal(pending.Type, 'AMAZON_ISSUED')
  t.equal(pending.KeyAlgorithm, 'RSA_2048', 'ACM\'s default key algorithm')
  t.same(pending.SubjectAlternativeNames, ['www.example.com', '*.example.com'], 'DomainName first, duplicates dropped')
  t.equal(pending.DomainValidationOptions.length, 2)
  const [www, wildcard] = pending.DomainValidationOptions
  t.equal(www.ValidationStatus, 'PENDING_VALIDATION')
  t.equal(www.ValidationMethod, 'DNS')
  t.match(www.ResourceRecord, { Type: 'CNAME', Name: /^_[0-9a-f]{32}\.www\.example\.com\.$/, Value: /^_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.$/ })
  t.match(wildcard.ResourceRecord.Name, /^_[0-9a-f]{32}\.example\.com\.$/, 'a wildcard is validated at its base domain')
  t.equal(acm.get(CertificateArn), undefined, 'CertificateSource.get: nothing before it is issued')
  refusal(t, () => acm.getCertificate({ CertificateArn }), 'RequestInProgressException', /not yet issued/, 'GetCertificate before issue')

  const confirmed = (await acm.confirmValidation({ CertificateArn })).Certificate as any
  t.equal(confirmed.Status, 'ISSUED', 'confirmValidation issues it')
  t.ok(confirmed.DomainValidationOptions.every((d: any) => d.ValidationStatus === 'SUCCESS'))
  t.equal(confirmed.NotAfter.getTime() - confirmed.NotBefore.getTime(), 395 * DAY, 'valid 395 days')
  t.match(confirmed.Serial, /^[0-9a-f]{2}(:[0-9a-f]{2})+$/, 'Serial as ACM writes it')
  t.equal(confirmed.RenewalEligibility, 'INELIGIBLE', 'not in use: not eligible for managed renewal')

  const issued = acm.get(CertificateArn)!
  t.ok(issued, 'CertificateSource.get: the issued material')
  t.same(issued.names, ['www.example.com', '*.example.com'])
  const leaf = new X509Certificate(issued.certPem)
  const root = new X509Certificate(acm.authorityCertificate())
  t.ok(root.ca, 'the root is a CA')
  t.notOk(leaf.ca, 'the leaf is not')
  t.ok(leaf.verify(root.publicKey), 'the leaf is signed by the root')
  t.equal(issued.chainPem, acm.authorityCertificate(), 'the chain is the root')
  t.equal(leaf.checkHost('www.example.com'), 'www.example.com')
  t.equal(leaf.checkHost('api.example.com'), '*.example.com', 'the wildcard covers one label')
  t.equal(leaf.checkHost('a.b.example.com'), undefined, 'and only one')
  t.ok(leaf.checkPrivateKey(createPrivateKey(issued.keyPem)), 'the key is the leaf\'s')
  t.equal(leaf.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), true, 'serverAuth')
  const got = acm.getCertificate({ CertificateArn })
  t.equal(got.Certificate, issued.certPem)
  t.equal(got.CertificateChain, acm.authorityCertificate())
  t.same(acm.listTagsForCertificate({ CertificateArn }).Tags, [{ Key: 'team', Value: 'web' }])
})

t.test('10 names in all, the 11th refused naming the quota; other refusals', async (t) => {
  const { acm, store } = await area(t)
  const sans = Array.from({ length: 9 }, (_, i) => `n${i}.example.com`)
  t.ok(acm.requestCertificate({ DomainName: 'example.com', SubjectAlternativeNames: sans }).CertificateArn, '10 names: accepted')
  refusal(t, () => acm.requestCertificate({ DomainName: 'example.com', SubjectAlternativeNames: [...sans, 'n9.example.com'] }), 'LimitExceededException', /11 domain names.*10 domain names per certificate/, '11 names')
  refusal(t, () => acm.requestCertificate({ DomainName: 'a.*.example.com' }), 'ValidationException', /at 'domainName' failed to satisfy constraint/, 'a wildcard not leading')
  refusal(t, () => acm.requestCertificate({ DomainName: 'example.com', SubjectAlternativeNames: ['bad_name'] }), 'ValidationException', /subjectAlternativeNames\.1\.member/, 'a bad SAN')
  refusal(t, () => acm.requestCertificate({ DomainName: 'example.com', KeyAlgorithm: 'RSA_1024' }), 'ValidationException', /keyAlgorithm/, 'RSA_1024')
  refusal(t, () => acm.requestCertificate({ DomainName: 'example.com', DomainValidationOptions: [{ DomainName: 'other.com', ValidationDomain: 'other.com' }] }), 'InvalidDomainValidationOptionsException', /other\.com is not one of/, 'a validation option for another name')
  refusal(t, () => acm.describeCertificate({ CertificateArn: 'nope' }), 'InvalidArnException', /'nope' is not a valid ARN/, 'a malformed ARN')
  refusal(t, () => acm.describeCertificate({ CertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000' }), 'ResourceNotFoundException', /Could not find certificate/, 'an unknown certificate')
  refusal(t, () => acm.describeCertificate({ CertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000' }), 'ResourceNotFoundException', /Could not find certificate/, 'another account\'s')
  t.equal(store.count('acm:certificates'), 1, 'nothing kept of the refused requests')
})

t.test('IdempotencyToken: the same request within an hour is the same certificate', async (t) => {
  const { acm, clock } = await area(t)
  const a = acm.requestCertificate({ DomainName: 'example.com', IdempotencyToken: 'tok1' }).CertificateArn
  t.equal(acm.requestCertificate({ DomainName: 'example.com', IdempotencyToken: 'tok1' }).CertificateArn, a)
  await clock.advance(3_600_001)
  t.not(acm.requestCertificate({ DomainName: 'example.com', IdempotencyToken: 'tok1' }).CertificateArn, a, 'after an hour: a new one')
})

t.test('DNS validation: the records are looked up on the clock; unvalidated requests time out after 72 hours', async (t) => {
  const records = new Map<string, string>()
  const dns: DnsRecordSource = { lookup: (name) => records.has(name.toLowerCase()) ? [records.get(name.toLowerCase())!] : [] }
  const { acm, clock } = await area(t, dns)
  const { CertificateArn } = acm.requestCertificate({ DomainName: 'app.example.org', KeyAlgorithm: 'EC_prime256v1' })
  const stale = acm.requestCertificate({ DomainName: 'never.example.org' }).CertificateArn
  const rr = (acm.describeCertificate({ CertificateArn }).Certificate as any).DomainValidationOptions[0].ResourceRecord
  await clock.advance(10 * 60_000)
  t.equal((acm.describeCertificate({ CertificateArn }).Certificate as any).Status, 'PENDING_VALIDATION', 'no record yet: still pending')
  records.set(rr.Name.replace(/\.$/, ''), rr.Value)
  await clock.advance(5 * 60_000)
  await acm.settled()
  const issued = acm.describeCertificate({ CertificateArn }).Certificate as any
  t.equal(issued.Status, 'ISSUED', 'the CNAME found by the next lookup: issued')
  t.equal(issued.KeyAlgorithm, 'EC_prime256v1')
  t.equal(new X509Certificate(acm.get(CertificateArn)!.certPem).publicKey.asymmetricKeyType, 'ec', 'an EC key')
  await clock.advance(72 * 3_600_000)
  const timedOut = acm.describeCertificate({ CertificateArn: stale }).Certificate as any
  t.equal(timedOut.Status, 'VALIDATION_TIMED_OUT', 'no record for 72 hours: timed out')
  t.equal(timedOut.DomainValidationOptions[0].ValidationStatus, 'FAILED')
  await t.rejects(acm.confirmValidation({ CertificateArn: stale }), { code: 'InvalidStateException' }, 'a timed-out request cannot be confirmed any more')
  refusal(t, () => acm.getCertificate({ CertificateArn: stale }), 'InvalidStateException', /VALIDATION_TIMED_OUT/, 'GetCertificate of a timed-out request')
})

t.test('managed renewal: in use, renewed 60 days before expiry (new serial, same ARN, onRenewed); not in use: EXPIRED', async (t) => {
  const { acm, clock } = await area(t)
  const used = acm.requestCertificate({ DomainName: 'used.example.com', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  const idle = acm.requestCertificate({ DomainName: 'idle.example.com', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  await acm.confirmValidation({ CertificateArn: used })
  await acm.confirmValidation({ CertificateArn: idle })
  const lb = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef'
  acm.markInUse(used, lb)
  const before = acm.get(used)!
  const first = acm.describeCertificate({ CertificateArn: used }).Certificate as any
  t.same(first.InUseBy, [lb], 'InUseBy')
  t.equal(first.RenewalEligibility, 'ELIGIBLE', 'in use: eligible')
  refusal(t, () => acm.deleteCertificate({ CertificateArn: used }), 'ResourceInUseException', /is in use/, 'DeleteCertificate while in use')
  const renewed: string[] = []
  const stop = acm.onRenewed((arn) => renewed.push(arn))
  t.teardown(stop)

  await clock.advance(334 * DAY)
  t.same(renewed, [], 'not before the renewal window')
  await clock.advance(2 * DAY)
  await acm.settled()
  t.same(renewed, [used], 'onRenewed told once, with the ARN')
  const after = acm.get(used)!
  const detail = acm.describeCertificate({ CertificateArn: used }).Certificate as any
  t.not(new X509Certificate(after.certPem).serialNumber, new X509Certificate(before.certPem).serialNumber, 'a new serial')
  t.ok(after.notAfter > before.notAfter, 'a later NotAfter')
  t.equal(detail.CertificateArn, used, 'the same ARN')
  t.equal(detail.RenewalSummary.RenewalStatus, 'SUCCESS')
  t.equal(detail.Status, 'ISSUED')
  t.equal((acm.describeCertificate({ CertificateArn: idle }).Certificate as any).Status, 'ISSUED', 'the idle one is not renewed')

  await clock.advance(60 * DAY)
  t.equal((acm.describeCertificate({ CertificateArn: idle }).Certificate as any).Status, 'EXPIRED', 'not renewed: EXPIRED at NotAfter')
  t.equal(acm.get(idle), undefined, 'CertificateSource.get: an expired one is not served')
  t.equal((acm.describeCertificate({ CertificateArn: used }).Certificate as any).Status, 'ISSUED', 'the renewed one is still valid')

  acm.unmarkInUse(used, lb)
  acm.deleteCertificate({ CertificateArn: used })
  refusal(t, () => acm.describeCertificate({ CertificateArn: used }), 'ResourceNotFoundException', /Could not find/, 'deleted once no longer in use')
})
