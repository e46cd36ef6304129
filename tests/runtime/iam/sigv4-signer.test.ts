// SigV4 verification of requests signed by the real AWS signer
// (@smithy/signature-v4, what every SDK v3 client uses): what it signs
// verifies, anything changed afterwards fails; the 15-minute skew window in
// both directions on the wall clock; presigned URLs and their expiry; unknown
// keys; session tokens.
import t from 'tap'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import { SigV4Verifier, type KeyOwner } from '../../../runtime/iam/sigv4.js'
import { rootPrincipal } from '../../../runtime/iam/principal.js'
import { EMPTY_SHA256, canonicalRequest, headerMap, signature, signingKey, stringToSign } from '../../../runtime/iam/sigv4-canonical.js'
import type { SignedRequest } from '../../../runtime/api/security.js'

const KEY = 'AKIAEXAMPLEKEY000001'
const SECRET = 'c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMDAwMDAw'
const SIGNED_AT = Date.UTC(2026, 0, 15, 10, 0, 0)

const owner: KeyOwner = { secretAccessKey: SECRET, principal: { ...rootPrincipal('000000000000'), type: 'IAMUser', arn: 'arn:aws:iam::000000000000:user/alice', userName: 'alice', principalId: 'AIDAALICE' } }
function verifierAt(now: number, extra: Record<string, KeyOwner> = {}): SigV4Verifier {
  return new SigV4Verifier({ lookup: (id) => (id === KEY ? owner : extra[id]), now: () => now })
}

function signer(service = 'batch', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: KEY, secretAccessKey: SECRET }): SignatureV4 {
  return new SignatureV4({ credentials, region: 'us-east-1', service, sha256: Hash.bind(null, 'sha256') })
}

interface Wire { method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; body?: string }

/** The request as the SDK would put it on the wire: the encoded path and query, the header list. */
function wire(req: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string>; body?: unknown }): SignedRequest {
  const query = Object.entries(req.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')
  return {
    method: req.method, rawPath: req.path, rawQuery: query, rawHeaders: Object.entries(req.headers).flat(),
    body: Buffer.from(typeof req.body === 'string' ? req.body : '')
  }
}

async function signed(r: Wire, options: { at?: number; service?: string } = {}): Promise<SignedRequest> {
  const request = { protocol: 'http:', hostname: '127.0.0.1', port: 4750, method: r.method, path: r.path, query: r.query ?? {}, headers: { host: '127.0.0.1:4750', ...r.headers }, body: r.body }
  return wire(await signer(options.service).sign(request, { signingDate: new Date(options.at ?? SIGNED_AT) }) as any)
}

const submit: Wire = { method: 'POST', path: '/v1/submitjob', headers: { 'content-type': 'application/json' }, body: '{"jobName":"a","jobQueue":"q","jobDefinition":"d"}' }

t.test('a request signed by @smithy/signature-v4 verifies; the principal is the key owner', async (t) => {
  const request = await signed(submit)
  const principal = verifierAt(SIGNED_AT).verify(request)
  t.equal(principal.arn, 'arn:aws:iam::000000000000:user/alice')
  t.equal(principal.accessKeyId, KEY)
  t.equal(verifierAt(SIGNED_AT).signingService(request), 'batch')
})

t.test('a path with encoded characters (a Batch ARN in the path) verifies: the SDK double-encodes, so does the canonical path', async (t) => {
  const arn = encodeURIComponent('arn:aws:batch:us-east-1:000000000000:job-queue/q')
  const request = await signed({ method: 'GET', path: `/v1/tags/${arn}`, headers: {} })
  t.ok(verifierAt(SIGNED_AT).verify(request))
  t.ok(verifierAt(SIGNED_AT).verify(await signed({ method: 'GET', path: '/v1/listjobs', query: { jobQueue: 'a b+c', nextToken: 'x/y=' }, headers: {} })))
})

t.test('a tampered body, header, path or query fails the signature', async (t) => {
  const request = await signed({ ...submit, headers: { ...submit.headers, 'x-amz-target': 'Batch.SubmitJob' } })
  const v = verifierAt(SIGNED_AT)
  const mismatch = { code: 'InvalidSignature', kind: 'AccessDenied', message: /does not match the signature you provided/ }
  t.throws(() => v.verify({ ...request, body: Buffer.from(request.body.toString().replace('"a"', '"b"')) }), { code: 'InvalidSignature', kind: 'AccessDenied' }, 'body')
  const headers = [...request.rawHeaders]
  headers[headers.indexOf('x-amz-target') + 1] = 'Batch.CancelJob'
  t.throws(() => v.verify({ ...request, rawHeaders: headers }), mismatch, 'signed header')
  t.throws(() => v.verify({ ...request, rawPath: '/v1/canceljob' }), mismatch, 'path')
  t.throws(() => v.verify({ ...request, rawQuery: 'x=1' }), mismatch, 'query')
  t.throws(() => v.verify({ ...request, method: 'PUT' }), mismatch, 'method')
})

t.test('a body that does not match its x-amz-content-sha256 is refused even when the header was signed', async (t) => {
  const body = '{"jobName":"a"}'
  const request = await signed({ method: 'POST', path: '/', headers: { 'x-amz-content-sha256': (await import('node:crypto')).createHash('sha256').update(body).digest('hex') }, body })
  t.ok(verifierAt(SIGNED_AT).verify(request))
  t.throws(() => verifierAt(SIGNED_AT).verify({ ...request, body: Buffer.from('{"jobName":"b"}') }), { code: 'InvalidSignature', message: /x-amz-content-sha256/ })
})

t.test('the 15-minute skew window, both directions, on the wall clock', async (t) => {
  const request = await signed(submit)
  t.ok(verifierAt(SIGNED_AT + 14 * 60_000).verify(request), '14 minutes later still verifies')
  t.ok(verifierAt(SIGNED_AT - 14 * 60_000).verify(request), 'a client clock 14 minutes ahead still verifies')
  t.throws(() => verifierAt(SIGNED_AT + 30 * 60_000).verify(request), {
    code: 'SignatureExpired', message: 'Signature expired: 20260115T100000Z is now earlier than 20260115T101500Z (20260115T103000Z - 15 min.)'
  })
  t.throws(() => verifierAt(SIGNED_AT - 16 * 60_000).verify(request), {
    code: 'SignatureExpired', message: 'Signature not yet current: 20260115T100000Z is still later than 20260115T095900Z (20260115T094400Z + 15 min.)'
  })
  const real = new SigV4Verifier({ lookup: () => owner })
  t.throws(() => real.verify(request), { code: 'SignatureExpired' }, 'the default clock is the wall clock: a request signed in January 2026 has expired')
})

t.test('presigned query strings verify until X-Amz-Expires', async (t) => {
  const presigned = await signer().presign(
    { protocol: 'http:', hostname: '127.0.0.1', port: 4750, method: 'GET', path: '/v1/describejobs', query: { jobs: 'j-1' }, headers: { host: '127.0.0.1:4750' } },
    { signingDate: new Date(SIGNED_AT), expiresIn: 300 }
  )
  const request = wire(presigned as any)
  t.match(request.rawQuery, /X-Amz-Signature=/)
  t.equal(verifierAt(SIGNED_AT + 299_000).verify(request).userName, 'alice')
  t.throws(() => verifierAt(SIGNED_AT + 301_000).verify(request), { code: 'SignatureExpired', message: /^Request has expired/ })
  t.throws(() => verifierAt(SIGNED_AT).verify({ ...request, rawQuery: request.rawQuery.replace('jobs=j-1', 'jobs=j-2') }), { code: 'InvalidSignature' })
  t.throws(() => verifierAt(SIGNED_AT).verify({ ...request, rawQuery: request.rawQuery.replace('X-Amz-Expires=300', 'X-Amz-Expires=900') }), { code: 'InvalidSignature' }, 'the expiry is signed')
  t.equal(verifierAt(SIGNED_AT).signingService(request), 'batch')
})

/** A presigned GET signed by hand (the SDK's presign always sets X-Amz-Expires), with `params` among the X-Amz-* parameters. */
function presignedByHand(params: Record<string, string>): SignedRequest {
  const date = '20260115T100000Z'
  const scope = '20260115/us-east-1/batch/aws4_request'
  const query = Object.entries({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': `${KEY}/${scope}`, 'X-Amz-Date': date, ...params, 'X-Amz-SignedHeaders': 'host' })
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')
  const rawHeaders = ['host', '127.0.0.1:4750']
  const canonical = canonicalRequest({ method: 'GET', rawPath: '/v1/describejobs', rawQuery: query, headers: headerMap(rawHeaders), signedHeaders: ['host'], payloadHash: EMPTY_SHA256 })
  const sig = signature(signingKey(SECRET, '20260115', 'us-east-1', 'batch'), stringToSign(date, scope, canonical)).toString('hex')
  return { method: 'GET', rawPath: '/v1/describejobs', rawQuery: `${query}&X-Amz-Signature=${sig}`, rawHeaders, body: Buffer.alloc(0) }
}

t.test('a presigned request without X-Amz-Expires never expired: it is refused, as is an X-Amz-Expires outside 1–604800', async (t) => {
  const aYearLater = verifierAt(SIGNED_AT + 365 * 86_400_000)
  t.throws(() => aYearLater.verify(presignedByHand({})), { code: 'IncompleteSignature', message: /must include .*'X-Amz-Expires'/ }, 'no X-Amz-Expires')
  t.throws(() => verifierAt(SIGNED_AT).verify(presignedByHand({})), { code: 'IncompleteSignature' }, 'not even at the time it was signed')
  t.equal(verifierAt(SIGNED_AT + 60_000).verify(presignedByHand({ 'X-Amz-Expires': '60' })).userName, 'alice', 'the same request with X-Amz-Expires verifies')
  t.throws(() => verifierAt(SIGNED_AT + 61_000).verify(presignedByHand({ 'X-Amz-Expires': '60' })), { code: 'SignatureExpired' })
  t.equal(verifierAt(SIGNED_AT + 604_800_000).verify(presignedByHand({ 'X-Amz-Expires': '604800' })).userName, 'alice', 'a week, the longest')
  for (const bad of ['0', '604801', '-5', '1.5', 'soon']) {
    t.throws(() => verifierAt(SIGNED_AT).verify(presignedByHand({ 'X-Amz-Expires': bad })), { code: 'IncompleteSignature', message: /X-Amz-Expires must be an integer from 1 to 604800/ }, `X-Amz-Expires=${bad}`)
  }
})

t.test('unknown key, no signature, a malformed one', async (t) => {
  const other = wire(await new SignatureV4({ credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: SECRET }, region: 'us-east-1', service: 'batch', sha256: Hash.bind(null, 'sha256') })
    .sign({ protocol: 'http:', hostname: '127.0.0.1', method: 'GET', path: '/', query: {}, headers: { host: '127.0.0.1' } }, { signingDate: new Date(SIGNED_AT) }) as any)
  t.throws(() => verifierAt(SIGNED_AT).verify(other), { code: 'UnrecognizedClient', message: 'The security token included in the request is invalid.' })
  t.throws(() => verifierAt(SIGNED_AT).verify({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: ['Host', 'x'], body: Buffer.alloc(0) }), { code: 'MissingAuthenticationToken' })
  t.throws(() => verifierAt(SIGNED_AT).verify({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: ['Host', 'x', 'Authorization', 'AWS4-HMAC-SHA256 Credential=AKIA/20260115/us-east-1/batch/aws4_request'], body: Buffer.alloc(0) }),
    { code: 'IncompleteSignature', message: /requires 'Signature' parameter/ })
  t.throws(() => verifierAt(SIGNED_AT).verify({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: ['Authorization', 'Bearer xyz'], body: Buffer.alloc(0) }), { code: 'IncompleteSignature' })
  t.equal(verifierAt(SIGNED_AT).signingService({ method: 'GET', rawPath: '/', rawQuery: '', rawHeaders: [], body: Buffer.alloc(0) }), undefined)
})

t.test('a session token must be the one the key was issued with', async (t) => {
  const temp: KeyOwner = { ...owner, sessionToken: 'token-1' }
  const v = verifierAt(SIGNED_AT, { ASIATEMP: temp })
  const sign = async (sessionToken?: string) => wire(await signer('sts', { accessKeyId: 'ASIATEMP', secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) })
    .sign({ protocol: 'http:', hostname: '127.0.0.1', method: 'POST', path: '/', query: {}, headers: { host: '127.0.0.1' }, body: '' }, { signingDate: new Date(SIGNED_AT) }) as any)
  t.ok(v.verify(await sign('token-1')))
  const wrongToken = await sign('token-2')
  const noToken = await sign()
  t.throws(() => v.verify(wrongToken), { code: 'UnrecognizedClient' })
  t.throws(() => v.verify(noToken), { code: 'UnrecognizedClient' })
})
