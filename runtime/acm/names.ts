// Domain names as ACM takes them (DomainName, SubjectAlternativeNames:
// ACM's pattern, one leading `*.` label at most, 253 characters, the first
// name's 64), the DNS validation CNAME ACM asks for per name, and the
// e-mail addresses it would write to for EMAIL validation; a Serial as ACM
// shows it.

import { createHash } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

/** The DomainName pattern of ACM's model. */
export const DOMAIN_PATTERN = String.raw`^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$`
const DOMAIN_RE = new RegExp(DOMAIN_PATTERN)

/** An AWS-style validation error (ValidationException): `1 validation error detected: Value '…' at '…' failed to satisfy constraint: …`. */
export function validationError(field: string, value: unknown, constraint: string, limit?: number | string): InvalidArgumentError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value)
  return new InvalidArgumentError('ValidationException', `1 validation error detected: Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`, { field, ...(limit !== undefined ? { limit } : {}) })
}

/** Checks one name as ACM does; `field` is the member as AWS names it (`domainName`, `subjectAlternativeNames.2.member`). */
export function checkDomainName(value: unknown, field: string): string {
  if (typeof value !== 'string') throw validationError(field, value, 'Member must be a string')
  if (value.length < 1 || value.length > 253) throw validationError(field, value, 'Member must have length less than or equal to 253', 253)
  if (!DOMAIN_RE.test(value)) throw validationError(field, value, `Member must satisfy regular expression pattern: ${DOMAIN_PATTERN}`)
  return value
}

/** Whether a name is a wildcard (`*.example.com`). */
export function isWildcard(name: string): boolean {
  return name.startsWith('*.')
}

/** The domain a name's validation record lives under: a wildcard's base (`*.example.com` → `example.com`). */
export function validationDomainOf(name: string): string {
  return (isWildcard(name) ? name.slice(2) : name).toLowerCase()
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex')
}

/**
 * The CNAME ACM asks for to validate a domain: `_<32 hex>.<domain>.` →
 * `_<32 hex>.<10 letters>.acm-validations.aws.`. The same domain in the same
 * account always gets the same record (as ACM reuses it across certificates,
 * so one record validates them all, renewals included).
 */
export function validationRecord(accountId: string, domain: string): { name: string; value: string } {
  const d = validationDomainOf(domain)
  const a = digest('name', accountId, d)
  const b = digest('value', accountId, d)
  const letters = [...Buffer.from(b.slice(32, 52), 'hex')].map((byte) => String.fromCharCode(97 + (byte % 26))).join('')
  return { name: `_${a.slice(0, 32)}.${d}.`, value: `_${b.slice(0, 32)}.${letters}.acm-validations.aws.` }
}

/** The addresses ACM writes to for EMAIL validation of a domain (the five WHOIS-independent ones). */
export function validationEmails(validationDomain: string): string[] {
  const d = validationDomainOf(validationDomain)
  return ['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'].map((user) => `${user}@${d}`)
}

/** `a.example.com.` and `A.Example.COM` are the same record name. */
export function sameDnsName(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\.$/, '')
  return norm(a) === norm(b)
}

/** Whether certificate name `pattern` (`*.example.com` covers one label) covers host `name`. */
export function nameCovers(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase()
  const n = name.toLowerCase().replace(/\.$/, '')
  if (!isWildcard(p)) return p === n
  const dot = n.indexOf('.')
  return dot > 0 && n.slice(dot + 1) === p.slice(2)
}

/** `ab:cd:…`, as ACM shows a Serial. */
export function colonSerial(hex: string): string {
  return (hex.length % 2 === 1 ? `0${hex}` : hex).toLowerCase().match(/../g)!.join(':')
}
