// Lightsail's certificate rules, exported for the Lightsail API to enforce:
// no wildcards, 10 names in all, 20 certificates per calendar year (UTC).
import t from 'tap'
import { checkLightsailCertificateRequest, LIGHTSAIL_CERTIFICATES_PER_YEAR } from '../../../runtime/acm/index.js'
import { StratusError } from '../../../runtime/errors.js'

function code(fn: () => void): string | undefined {
  try {
    fn()
    return undefined
  } catch (error) {
    return error instanceof StratusError ? error.code : 'not coded'
  }
}

t.test('Lightsail certificate requests', async (t) => {
  const now = Date.UTC(2026, 5, 1)
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com', subjectAlternativeNames: ['www.example.com'] }, [], now)), undefined, 'plain names: accepted')
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: '*.example.com' }, [], now)), 'LightsailWildcardDomain', 'a wildcard DomainName refused')
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com', subjectAlternativeNames: ['*.example.com'] }, [], now)), 'LightsailWildcardDomain', 'a wildcard SAN refused')
  const nine = Array.from({ length: 9 }, (_, i) => `n${i}.example.com`)
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com', subjectAlternativeNames: nine }, [], now)), undefined, '10 names: accepted')
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com', subjectAlternativeNames: [...nine, 'n9.example.com'] }, [], now)), 'LightsailTooManyDomainNames', '11 names refused')
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'bad_name' }, [], now)), 'ValidationException', 'a malformed name refused')

  const thisYear = Array.from({ length: LIGHTSAIL_CERTIFICATES_PER_YEAR - 1 }, (_, i) => Date.UTC(2026, 0, 1 + i))
  const lastYear = Array.from({ length: 30 }, (_, i) => Date.UTC(2025, 0, 1 + i))
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com' }, [...lastYear, ...thisYear], now)), undefined, 'the 20th of the year: accepted (last year\'s do not count)')
  try {
    checkLightsailCertificateRequest({ domainName: 'example.com' }, [...thisYear, Date.UTC(2026, 4, 1)], now)
    t.fail('the 21st accepted')
  } catch (error) {
    t.equal((error as StratusError).code, 'LightsailCertificateYearlyLimit', 'the 21st of the year refused')
    t.equal((error as StratusError).limit, 20, 'naming the limit')
    t.match((error as Error).message, /20 certificates per account per calendar year; 20 were created in 2026/)
  }
  t.equal(code(() => checkLightsailCertificateRequest({ domainName: 'example.com' }, [...thisYear, Date.UTC(2026, 4, 1)], Date.UTC(2027, 0, 1))), undefined, 'a new calendar year starts again')
})
