// ACM's EventBridge events through the engine's bus (source aws.acm):
// Certificate Available on issuance, renewal and import; Approaching
// Expiration daily from 45 days before NotAfter; Expired for an ACM-issued
// certificate that was not renewed.
import t from 'tap'
import { Stratus, type CloudEvent } from '../../../sdk/index.js'

const DAY = 86_400_000

t.test('aws.acm events', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const seen: CloudEvent[] = []
  const subscription = cloud.events.subscribe({ source: ['aws.acm'] }, (e) => { seen.push(e) })
  await subscription.ready
  t.teardown(() => subscription())
  const kinds = () => seen.map((e) => `${e['detail-type']}${(e.detail as any).Action ? ` ${(e.detail as any).Action}` : ''}`)

  const used = await cloud.acm.requestCertificate('used.example.com', { keyAlgorithm: 'EC_prime256v1' })
  const idle = await cloud.acm.requestCertificate('idle.example.com', { keyAlgorithm: 'EC_prime256v1' })
  await used.confirmValidation()
  await idle.confirmValidation()
  await cloud.clock.advance(0)
  t.same(kinds(), ['ACM Certificate Available ISSUANCE', 'ACM Certificate Available ISSUANCE'], 'issued: Available, Action ISSUANCE')
  t.match(seen[0], { source: 'aws.acm', resources: [used.arn], detail: { CertificateType: 'AMAZON_ISSUED', CommonName: 'used.example.com', DomainValidationMethod: 'DNS', DaysToExpiry: 395, InUse: false } })
  cloud.engine.acm.markInUse(used.arn, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef')
  seen.length = 0

  await cloud.clock.advance(336 * DAY)
  await cloud.engine.acm.settled()
  await cloud.clock.advance(0)
  t.same(kinds(), ['ACM Certificate Available RENEWAL'], 'renewed: Available, Action RENEWAL')
  t.same(seen[0].resources, [used.arn])
  seen.length = 0

  // Issued at day 0, NotAfter day 395: notices from day 350, once a day (days 350–354 here).
  await cloud.clock.advance(18 * DAY)
  const notices = seen.filter((e) => e['detail-type'] === 'ACM Certificate Approaching Expiration')
  t.equal(notices.length, 5, 'daily notices from 45 days before NotAfter')
  t.ok(notices.every((e) => e.resources[0] === idle.arn), 'for the one not renewed')
  t.same(notices.map((e) => e.detail), [45, 44, 43, 42, 41].map((DaysToExpiry) => ({ DaysToExpiry, CommonName: 'idle.example.com' })), 'DaysToExpiry counting down, CommonName')
  seen.length = 0
  await cloud.clock.advance(42 * DAY)
  t.ok(kinds().includes('ACM Certificate Expired'), 'Expired at NotAfter')
  t.match(seen.find((e) => e['detail-type'] === 'ACM Certificate Expired'), { resources: [idle.arn], detail: { CertificateType: 'AMAZON_ISSUED', DaysToExpiry: 0 } })
})
