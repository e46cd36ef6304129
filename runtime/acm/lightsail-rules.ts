// Lightsail's certificate rules, for the Lightsail API to enforce when it
// creates certificates over this CA (CreateCertificate, CreateLoadBalancerTlsCertificate):
// no wildcard names, at most 10 names in all (the DomainName counts), and at
// most 20 certificates per account per calendar year (UTC), the year of `now`.

import { InvalidArgumentError, LimitExceededError } from '../errors.js'
import { MAX_NAMES } from './model.js'
import { checkDomainName, isWildcard } from './names.js'

export const LIGHTSAIL_CERTIFICATES_PER_YEAR = 20

/**
 * Refuses a Lightsail certificate request: a wildcard (InvalidArgument
 * LightsailWildcardDomain), more than 10 names (LimitExceeded
 * LightsailTooManyDomainNames), or a 21st certificate this calendar year
 * (LimitExceeded LightsailCertificateYearlyLimit). `createdAt`: the creation
 * times (epoch ms) of the account's Lightsail certificates so far, deleted ones included.
 */
export function checkLightsailCertificateRequest(
  request: { domainName: string; subjectAlternativeNames?: readonly string[] },
  createdAt: readonly number[],
  now: number
): void {
  const names = [request.domainName, ...(request.subjectAlternativeNames ?? [])]
  names.forEach((name, i) => {
    const field = i === 0 ? 'domainName' : `subjectAlternativeNames[${i - 1}]`
    checkDomainName(name, field)
    if (isWildcard(name)) throw new InvalidArgumentError('LightsailWildcardDomain', `${field}: Lightsail certificates do not support wildcard domain names (${name})`, { field })
  })
  const distinct = new Set(names.map((n) => n.toLowerCase()))
  if (distinct.size > MAX_NAMES) {
    throw new LimitExceededError('LightsailTooManyDomainNames', `subjectAlternativeNames: a Lightsail certificate covers at most ${MAX_NAMES} domain names including domainName, got ${distinct.size}`, { field: 'subjectAlternativeNames', limit: MAX_NAMES })
  }
  const year = new Date(now).getUTCFullYear()
  const thisYear = createdAt.filter((t) => new Date(t).getUTCFullYear() === year).length
  if (thisYear >= LIGHTSAIL_CERTIFICATES_PER_YEAR) {
    throw new LimitExceededError('LightsailCertificateYearlyLimit', `Lightsail allows ${LIGHTSAIL_CERTIFICATES_PER_YEAR} certificates per account per calendar year; ${thisYear} were created in ${year}`, { field: 'domainName', limit: LIGHTSAIL_CERTIFICATES_PER_YEAR })
  }
}
