// Managed renewal's other paths on a manual clock: a DNS-validated
// certificate whose CNAME is gone waits in PENDING_VALIDATION (retried
// hourly) and renews once the record is back, or expires with its renewal
// FAILED; an EMAIL-validated one waits for the approval (confirmValidation);
// a certificate put in use inside the renewal window is renewed then.
import t, { type Test } from 'tap'
import { ManualClock } from '../../../runtime/clock/clock.js'
import { MemoryStore } from '../../../runtime/store/memory.js'
import { PageTokens } from '../../../runtime/aws/pagination.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { Acm, type DnsRecordSource } from '../../../runtime/acm/index.js'

const DAY = 86_400_000
const LB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef'

async function area(t: Test) {
  const records = new Map<string, string>()
  const dns: DnsRecordSource = { lookup: (name) => (records.has(name) ? [records.get(name)!] : []) }
  const clock = new ManualClock(Date.UTC(2026, 2, 1))
  const store = new MemoryStore()
  const acm = await Acm.open({ store, clock, partition: makePartition(), tokens: new PageTokens({ now: () => clock.now() }), dns })
  t.teardown(async () => { acm.close(); await store.close() })
  const renewed: string[] = []
  acm.onRenewed((arn) => renewed.push(arn))
  const detail = (arn: string) => acm.describeCertificate({ CertificateArn: arn }).Certificate as any
  /** Creates the certificate's CNAMEs, as the user would in their zone. */
  const publish = (arn: string) => {
    for (const o of detail(arn).DomainValidationOptions) records.set(o.ResourceRecord.Name.replace(/\.$/, ''), o.ResourceRecord.Value)
  }
  return { clock, acm, records, renewed, detail, publish }
}

t.test('DNS: the CNAME gone at renewal time → PENDING_VALIDATION; back → renewed; never back → EXPIRED, renewal FAILED', async (t) => {
  const { clock, acm, records, renewed, detail, publish } = await area(t)
  const back = acm.requestCertificate({ DomainName: 'back.example.com', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  const gone = acm.requestCertificate({ DomainName: 'gone.example.com', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  publish(back)
  publish(gone)
  await clock.advance(5 * 60_000)
  await acm.settled()
  t.equal(detail(back).Status, 'ISSUED', 'validated by its records')
  t.equal(detail(gone).Status, 'ISSUED')
  acm.markInUse(back, LB)
  acm.markInUse(gone, LB)
  const serial = detail(back).Serial
  records.clear()
  await clock.advance(336 * DAY)
  t.equal(detail(back).RenewalSummary.RenewalStatus, 'PENDING_VALIDATION', 'records gone: the renewal waits for them')
  t.equal(detail(back).RenewalSummary.DomainValidationOptions[0].ValidationStatus, 'PENDING_VALIDATION')
  t.same(renewed, [])
  publish(back)
  await clock.advance(3_600_000)
  await acm.settled()
  t.same(renewed, [back], 'the next hourly attempt finds the record: renewed')
  t.equal(detail(back).RenewalSummary.RenewalStatus, 'SUCCESS')
  t.not(detail(back).Serial, serial, 'a new serial')
  await clock.advance(60 * DAY)
  t.equal(detail(gone).Status, 'EXPIRED', 'never validated again: EXPIRED at NotAfter')
  t.equal(detail(gone).RenewalSummary.RenewalStatus, 'FAILED')
  t.equal(detail(back).Status, 'ISSUED')
})

t.test('EMAIL: validation e-mails, approval by confirmValidation, and again for the renewal', async (t) => {
  const { clock, acm, renewed, detail } = await area(t)
  const arn = acm.requestCertificate({ DomainName: 'mail.example.com', KeyAlgorithm: 'EC_prime256v1', ValidationMethod: 'EMAIL', DomainValidationOptions: [{ DomainName: 'mail.example.com', ValidationDomain: 'example.com' }] }).CertificateArn
  const option = detail(arn).DomainValidationOptions[0]
  t.equal(option.ValidationMethod, 'EMAIL')
  t.equal(option.ValidationDomain, 'example.com', 'the ValidationDomain asked for')
  t.same(option.ValidationEmails, ['admin@example.com', 'administrator@example.com', 'hostmaster@example.com', 'postmaster@example.com', 'webmaster@example.com'])
  t.equal(option.ResourceRecord, undefined, 'no CNAME for EMAIL')
  await clock.advance(DAY)
  t.equal(detail(arn).Status, 'PENDING_VALIDATION', 'DNS lookups do not validate an EMAIL request')
  await acm.confirmValidation({ CertificateArn: arn })
  t.equal(detail(arn).Status, 'ISSUED', 'approved: issued')
  acm.markInUse(arn, LB)
  await clock.advance(336 * DAY)
  t.equal(detail(arn).RenewalSummary.RenewalStatus, 'PENDING_VALIDATION', 'the renewal waits for a new approval')
  t.same(renewed, [])
  await acm.confirmValidation({ CertificateArn: arn })
  t.same(renewed, [arn], 'approved again: renewed')
  t.equal(detail(arn).RenewalSummary.RenewalStatus, 'SUCCESS')
})

t.test('put in use inside the renewal window: renewed then', async (t) => {
  const { clock, acm, renewed, detail } = await area(t)
  const arn = acm.requestCertificate({ DomainName: 'late.example.com', KeyAlgorithm: 'EC_prime256v1' }).CertificateArn
  await acm.confirmValidation({ CertificateArn: arn })
  await clock.advance(340 * DAY)
  t.equal(detail(arn).RenewalEligibility, 'INELIGIBLE', 'not in use: not renewed')
  t.same(renewed, [])
  acm.markInUse(arn, LB)
  await clock.advance(0)
  await acm.settled()
  t.same(renewed, [arn], 'in use: renewed at once')
  t.equal(detail(arn).NotAfter.getTime(), clock.now() + 395 * DAY, 'valid 395 days from the renewal')
})
