// An adversarial black-box review of the /v2/ surface, as a demanding client author would
// probe it against the OCI distribution spec v1.1 (and, where the spec is silent, what CNCF
// distribution does): malformed digests, names and tags at and past their limits, Range
// edge cases, upload sessions abused and raced, malformed manifests, pagination limits,
// methods the spec does not define. Every probe must get a spec error body (never a 500,
// never a hang), and after each group a normal push and pull must still work with nothing
// half-stored. Runs against both storage drivers.
import t, { type Test } from 'tap'
import net from 'node:net'
import { randomBytes, randomUUID } from 'node:crypto'
import { request } from 'undici'
import { OCI_ERROR_CODES } from '../../registry/index.js'
import { pushBlob, pushImage, sha256, startRegistry, tempDir, type Reply, type TestRegistry } from './helpers.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const EMPTY_DIGEST = sha256('')
const REQUEST_TIMEOUT_MS = 15_000

/** One request; a registry that does not answer within the timeout fails the probe (a hang). */
async function call (base: string, method: string, path: string, options: {
  headers?: Record<string, string>
  body?: Uint8Array | string | AsyncIterable<Uint8Array>
} = {}): Promise<Reply> {
  const res = await request(base + path, {
    method: method as any,
    headers: options.headers,
    body: options.body as any,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body, json () { return JSON.parse(body.toString('utf8')) } }
}

/** Bytes written on a raw socket (for framing undici refuses to produce); the whole answer. */
async function raw (srv: TestRegistry, data: Buffer | string, { halfClose = false } = {}): Promise<{ status: number, head: string, text: string }> {
  const port = (srv.server.address() as net.AddressInfo).port
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('raw request: no complete answer (hang)')) }, REQUEST_TIMEOUT_MS)
    socket.on('data', (c) => chunks.push(c))
    socket.on('end', () => socket.end())
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      resolve({ status, head: text.slice(0, text.indexOf('\r\n\r\n')), text })
    })
    socket.write(data, () => { if (halfClose) socket.end() })
  })
}

const SPEC_CODES = new Set(Object.keys(OCI_ERROR_CODES))

/** The reply is `status` with a spec error body whose first code is `code` (no body on HEAD). */
function specError (t: Test, reply: Reply, status: number, code: string | readonly string[], what: string, method = 'GET'): void {
  t.equal(reply.status, status, `${what}: status ${status}`)
  if (method === 'HEAD') {
    t.equal(reply.body.length, 0, `${what}: no body on HEAD`)
    return
  }
  t.match(reply.headers['content-type'], /^application\/json/, `${what}: JSON error body`)
  let errors: Array<{ code: string, message: string }> = []
  try { errors = reply.json().errors } catch { t.fail(`${what}: body is not JSON: ${reply.body.toString().slice(0, 200)}`) }
  t.ok(Array.isArray(errors) && errors.length > 0, `${what}: errors[] present`)
  for (const e of errors ?? []) t.ok(SPEC_CODES.has(e.code), `${what}: ${e.code} is a spec error code`)
  const codes = typeof code === 'string' ? [code] : code
  t.ok(codes.includes(errors?.[0]?.code), `${what}: code ${errors?.[0]?.code} is one of ${codes.join(', ')}`)
}

let seedCounter = 0

/** A normal push and pull still work: the registry survived what came before. */
async function healthy (t: Test, u: string, name = 'health/check'): Promise<void> {
  const seed = `health-${++seedCounter}-${randomUUID()}`
  const img = await pushImage(u, name, `h${seedCounter}`, seed)
  const byTag = await call(u, 'GET', `/v2/${name}/manifests/h${seedCounter}`, { headers: { accept: OCI_MANIFEST } })
  t.equal(byTag.status, 200, 'healthy: manifest by tag')
  t.ok(byTag.body.equals(img.manifest), 'healthy: manifest bytes as pushed')
  for (const d of [img.layer, img.config]) {
    const blob = await call(u, 'GET', `/v2/${name}/blobs/${d}`)
    t.equal(blob.status, 200, 'healthy: blob')
    t.equal(sha256(blob.body), d, 'healthy: blob bytes match their digest')
  }
}

/**
 * A PATCH whose body arrives slowly, holding the session's lock so that requests sent
 * meanwhile queue behind it in order; `release` sends the rest and resolves the answer.
 */
function holdSession (srv: TestRegistry, path: string, first: Buffer, length: number): { release (rest: Buffer): Promise<string> } {
  const port = (srv.server.address() as net.AddressInfo).port
  const socket = net.connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (c) => chunks.push(c))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', () => undefined)
  })
  socket.write(`PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`)
  socket.write(first)
  return {
    release (rest) {
      // Not `end`: a half-closed client has its request aborted by node:http.
      socket.write(rest)
      return answer
    }
  }
}

/** Time for a request just sent to reach the registry (orders racing requests; asserts nothing). */
function pause (): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100))
}

/** Upload directories in storage (sessions in progress, and any debris). */
async function uploadDirs (srv: TestRegistry): Promise<string[]> {
  try { return await srv.registry.storage.list('/uploads') } catch { return [] }
}

const BAD_DIGESTS: ReadonlyArray<[string, string]> = [
  ['truncated hex', `sha256:${'a'.repeat(63)}`],
  ['hex one too long', `sha256:${'a'.repeat(65)}`],
  ['uppercase hex', `sha256:${'A'.repeat(64)}`],
  ['uppercase algorithm', `SHA256:${'a'.repeat(64)}`],
  ['unsupported algorithm', `md5:${'a'.repeat(32)}`],
  ['sha512 with a sha256 length', `sha512:${'a'.repeat(64)}`],
  ['non-hex', `sha256:${'g'.repeat(64)}`],
  ['no algorithm', `:${'a'.repeat(64)}`],
  ['no colon', `sha256${'a'.repeat(64)}`],
  ['empty hex', 'sha256:'],
  ['path traversal', 'sha256:../../../etc/passwd'],
  ['NUL byte', `sha256:${'a'.repeat(32)}\u0000${'a'.repeat(31)}`]
]

function probes (driver: 'inmemory' | 'filesystem'): void {
  t.test(`adversarial HTTP probes (${driver} storage)`, async (t) => {
    const internalErrors: unknown[] = []
    const storage = driver === 'filesystem'
      ? { driver: 'filesystem' as const, rootDirectory: await tempDir(t) }
      : { driver: 'inmemory' as const }
    const srv = await startRegistry({ storage, onError: (err) => { internalErrors.push(err) } })
    t.teardown(() => srv.close())
    const u = srv.url
    const img = await pushImage(u, 'adv/base', 'v1', 'base')

    t.test('malformed digests are 400 DIGEST_INVALID wherever a digest appears', async (t) => {
      const loc = (await call(u, 'POST', '/v2/adv/base/blobs/uploads/')).headers.location as string
      await call(u, 'PATCH', loc, { body: 'pending bytes' })
      const uploadsBefore = (await uploadDirs(srv)).length
      for (const [what, digest] of BAD_DIGESTS) {
        const d = encodeURIComponent(digest)
        for (const method of ['GET', 'HEAD', 'DELETE']) {
          specError(t, await call(u, method, `/v2/adv/base/blobs/${d}`), 400, 'DIGEST_INVALID', `${method} blob, ${what}`, method)
        }
        specError(t, await call(u, 'POST', `/v2/adv/base/blobs/uploads/?digest=${d}`, { body: 'x' }), 400, 'DIGEST_INVALID', `monolithic POST, ${what}`)
        specError(t, await call(u, 'POST', `/v2/adv/base/blobs/uploads/?mount=${d}&from=adv/base`), 400, 'DIGEST_INVALID', `mount, ${what}`)
        specError(t, await call(u, 'PUT', `${loc}?digest=${d}`), 400, 'DIGEST_INVALID', `PUT upload, ${what}`)
        specError(t, await call(u, 'GET', `/v2/adv/base/referrers/${d}`), 400, 'DIGEST_INVALID', `referrers, ${what}`)
        if (digest.includes(':')) {
          // With a colon the reference is a digest (tags cannot contain one). A malformed one
          // names no manifest that could exist: reading or deleting it is 404, as distribution
          // answers (it looks the reference up as a tag); storing under it is refused.
          for (const method of ['GET', 'HEAD', 'DELETE']) {
            specError(t, await call(u, method, `/v2/adv/base/manifests/${d}`, { headers: { accept: OCI_MANIFEST } }), 404, 'MANIFEST_UNKNOWN', `${method} manifest, ${what}`, method)
          }
          specError(t, await call(u, 'PUT', `/v2/adv/base/manifests/${d}`, { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest }), 400, 'DIGEST_INVALID', `PUT manifest, ${what}`)
        }
      }
      const status = await call(u, 'GET', loc)
      t.equal(status.status, 204, 'an upload completed with a malformed digest is still open (the client retries)')
      t.equal(status.headers.range, `0-${'pending bytes'.length - 1}`)
      t.equal((await uploadDirs(srv)).length, uploadsBefore, 'refused monolithic uploads leave no session behind')
      t.equal((await call(u, 'PUT', `${loc}?digest=${sha256('pending bytes')}`)).status, 201)
      t.equal((await call(u, 'GET', '/v2/adv/base/manifests/v1', { headers: { accept: OCI_MANIFEST } })).status, 200, 'the image is untouched')
      await healthy(t, u)
    })

    t.test('repository names at and past the limits', async (t) => {
      // 256 characters is ECR's limit: accepted, in several components.
      const long = `${'a'.repeat(100)}/${'b'.repeat(100)}/${'c'.repeat(54)}`
      t.equal(long.length, 256)
      await healthy(t, u, long)
      specError(t, await call(u, 'GET', `/v2/${long}x/tags/list`), 400, 'NAME_INVALID', '257 characters')
      specError(t, await call(u, 'POST', `/v2/${long}x/blobs/uploads/`), 400, 'NAME_INVALID', 'push to 257 characters')
      const invalid = [
        ['uppercase', 'Adv/Upper'], ['one character', 'a'], ['double slash', 'adv//x'], ['leading slash', '/adv/x'],
        ['trailing slash', 'adv/x/'], ['dot-dot component', 'adv/../x'], ['dot component', 'adv/./x'],
        ['leading separator', '-adv/x'], ['trailing separator', 'adv/x-'], ['triple underscore', 'adv/a___b'],
        ['mixed separators', 'adv/a.-b'], ['underscore component', 'adv/_manifests'], ['encoded slash', 'adv%2Fx'],
        ['space', 'adv/a%20b'], ['unicode', 'adv/caf%C3%A9']
      ]
      for (const [what, name] of invalid) {
        for (const [method, path] of [['GET', `/v2/${name}/tags/list`], ['POST', `/v2/${name}/blobs/uploads/`], ['PUT', `/v2/${name}/manifests/v1`]]) {
          const r = await raw(srv, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
          t.equal(r.status, 400, `${what} (${method}): 400`)
          t.match(r.text, /"code":"NAME_INVALID"/, `${what} (${method}): NAME_INVALID`)
        }
      }
      t.notOk((await call(u, 'GET', '/v2/_catalog')).json().repositories.some((n: string) => n.startsWith('adv/a') || n === 'a'), 'no repository was created by a refused name')
      await healthy(t, u)
    })

    t.test('a repository name of one 256-character component (regression: 500 on the filesystem driver)', async (t) => {
      // A component is a directory name in storage: 255 characters is the most any driver
      // takes, so both refuse 256 alike, with the limit named.
      await healthy(t, u, 'a'.repeat(255))
      const name = 'a'.repeat(256)
      for (const [method, path] of [['POST', `/v2/${name}/blobs/uploads/?digest=${sha256('one component')}`], ['PUT', `/v2/${name}/manifests/v1`], ['GET', `/v2/${name}/tags/list`]]) {
        const r = await call(u, method, path, { headers: { 'content-type': OCI_MANIFEST }, body: method === 'GET' ? undefined : 'one component' })
        specError(t, r, 400, 'NAME_INVALID', `${method}: a component longer than a file name`)
        t.match(r.json().errors[0].message, /at most 255 characters/, 'the error names the component limit')
      }
      t.notOk((await call(u, 'GET', '/v2/_catalog')).json().repositories.includes(name))
      await healthy(t, u)
    })

    t.test('tags at and past their limits', async (t) => {
      const tag128 = `T${'a'.repeat(127)}`
      const put = await call(u, 'PUT', `/v2/adv/base/manifests/${tag128}`, { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })
      t.equal(put.status, 201, '128 characters is a valid tag')
      t.equal((await call(u, 'GET', `/v2/adv/base/manifests/${tag128}`, { headers: { accept: OCI_MANIFEST } })).status, 200)
      const invalid = [`T${'a'.repeat(128)}`, '.hidden', '-dash', 'a%2Fb', 'a!b', 'caf%C3%A9', '%20lead', 'a%00b']
      for (const tag of invalid) {
        const put = await call(u, 'PUT', `/v2/adv/base/manifests/${tag}`, { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })
        specError(t, put, 400, 'MANIFEST_INVALID', `PUT tag ${tag.slice(0, 20)}: refused`)
        // No manifest can be named by an invalid tag: 404, as the OCI conformance suite expects.
        for (const method of ['GET', 'HEAD', 'DELETE']) {
          const r = await call(u, method, `/v2/adv/base/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } })
          specError(t, r, 404, 'MANIFEST_UNKNOWN', `${method} tag ${tag.slice(0, 20)}`, method)
        }
      }
      t.notOk((await call(u, 'GET', '/v2/adv/base/tags/list')).json().tags.some((x: string) => x.length > 128), 'no over-long tag stored')
      await healthy(t, u)
    })

    t.test('Range requests on blobs (regression: HEAD with Range was 206 with the range as Content-Length)', async (t) => {
      const content = Buffer.from('0123456789')
      const d = await pushBlob(u, 'adv/range', content)
      const get = (range: string, method = 'GET'): Promise<Reply> => call(u, method, `/v2/adv/range/blobs/${d}`, { headers: { range } })
      const r1 = await get('bytes=2-5')
      t.equal(r1.status, 206)
      t.equal(r1.body.toString(), '2345')
      const multi = await get('bytes=0-1,4-5')
      t.equal(multi.status, 200, 'several ranges: ignored (RFC 9110 allows), the whole blob')
      t.ok(multi.body.equals(content))
      const reversed = await get('bytes=5-2')
      t.equal(reversed.status, 416, 'a reversed range is refused')
      t.equal(reversed.headers['content-range'], 'bytes */10')
      const clamped = await get('bytes=7-1000')
      t.equal(clamped.status, 206, 'an end past the blob is clamped')
      t.equal(clamped.headers['content-range'], 'bytes 7-9/10')
      t.equal(clamped.body.toString(), '789')
      const past = await get('bytes=10-')
      t.equal(past.status, 416, 'a start at the end is unsatisfiable')
      t.equal(past.headers['content-range'], 'bytes */10')
      t.equal((await get('bytes=-0')).status, 416, 'bytes=-0 is unsatisfiable')
      const suffix = await get('bytes=-1000')
      t.equal(suffix.status, 206, 'a suffix longer than the blob is the whole blob')
      t.equal(suffix.headers['content-range'], 'bytes 0-9/10')
      t.ok(suffix.body.equals(content))
      const units = await get('items=0-1')
      t.equal(units.status, 200, 'another unit is ignored')
      t.ok(units.body.equals(content))
      const huge = await get('bytes=0-99999999999999999999999')
      t.equal(huge.status, 206)
      t.equal(huge.body.toString(), '0123456789')
      for (const junk of ['bytes=', 'bytes=-', 'bytes=a-b', 'bytes=1-2-3', 'bytes 1-2']) {
        const r = await get(junk)
        t.ok(r.status === 200 || r.status === 416, `malformed ${junk}: ignored or refused, got ${r.status}`)
      }
      // RFC 9110 §14.2: range handling is defined for GET only; HEAD describes the whole blob.
      const head = await get('bytes=2-5', 'HEAD')
      t.equal(head.status, 200, 'HEAD ignores Range (regression: was 206 with the range length)')
      t.equal(head.headers['content-length'], '10', 'HEAD reports the whole size')
      t.equal(head.body.length, 0)
      await healthy(t, u)
    })

    t.test('zero-length blobs, monolithic and POST+PUT, with and without Range (regression: bytes=-5 was 206 "bytes 0--1/0")', async (t) => {
      const mono = await call(u, 'POST', `/v2/adv/empty/blobs/uploads/?digest=${EMPTY_DIGEST}`, { headers: { 'content-length': '0' }, body: '' })
      t.equal(mono.status, 201, 'monolithic empty blob')
      const loc = (await call(u, 'POST', '/v2/adv/empty2/blobs/uploads/')).headers.location as string
      const put = await call(u, 'PUT', `${loc}?digest=${EMPTY_DIGEST}`)
      t.equal(put.status, 201, 'POST then PUT empty blob')
      for (const repo of ['adv/empty', 'adv/empty2']) {
        const get = await call(u, 'GET', `/v2/${repo}/blobs/${EMPTY_DIGEST}`)
        t.equal(get.status, 200)
        t.equal(get.headers['content-length'], '0')
        t.equal(get.body.length, 0)
        const head = await call(u, 'HEAD', `/v2/${repo}/blobs/${EMPTY_DIGEST}`)
        t.equal(head.status, 200)
        t.equal(head.headers['content-length'], '0')
      }
      // No Content-Range can describe a part of nothing: the whole (empty) blob or 416.
      for (const range of ['bytes=-5', 'bytes=0-', 'bytes=0-0']) {
        const r = await call(u, 'GET', `/v2/adv/empty/blobs/${EMPTY_DIGEST}`, { headers: { range } })
        t.ok(r.status === 200 || r.status === 416, `${range} on an empty blob: 200 or 416 (regression: 206 "bytes 0--1/0"), got ${r.status}`)
        if (r.status === 416) t.equal(r.headers['content-range'], 'bytes */0')
        t.equal(r.body.length, 0)
      }
      await healthy(t, u)
    })

    t.test('uploads: chunks out of order, lengths that disagree, sessions that are not there', async (t) => {
      const data = randomBytes(4096)
      const loc = (await call(u, 'POST', '/v2/adv/up/blobs/uploads/')).headers.location as string
      t.equal((await call(u, 'PATCH', loc, { headers: { 'content-range': '0-1023', 'content-length': '1024' }, body: data.subarray(0, 1024) })).status, 202)
      for (const range of ['0-1023', '512-1535', '1025-2048', '2048-3071']) {
        const r = await call(u, 'PATCH', loc, { headers: { 'content-range': range, 'content-length': '1024' }, body: data.subarray(0, 1024) })
        specError(t, r, 416, 'BLOB_UPLOAD_INVALID', `chunk ${range} not at offset 1024`)
        t.equal(r.headers.range, '0-1023', `chunk ${range}: the current Range`)
        t.equal(r.headers.location, loc)
      }
      const mismatch = await call(u, 'PATCH', loc, { headers: { 'content-range': '1024-2047', 'content-length': '10' }, body: data.subarray(1024, 1034) })
      specError(t, mismatch, 400, 'SIZE_INVALID', 'Content-Length disagrees with Content-Range')
      for (const junk of ['abc', '5-2', 'bytes=1024-', '-1024']) {
        const r = await call(u, 'PATCH', loc, { headers: { 'content-range': junk, 'content-length': '4' }, body: 'abcd' })
        t.ok(r.status === 400 || r.status === 416, `Content-Range ${junk}: 400 or 416, got ${r.status}`)
        t.ok(SPEC_CODES.has(r.json().errors[0].code))
      }
      t.equal((await call(u, 'GET', loc)).headers.range, '0-1023', 'refused chunks applied nothing')

      // Content-Length shorter than what is sent: the chunk is the declared bytes; what
      // follows is the next request on the connection.
      const path = new URL(loc, u).pathname
      const over = await raw(srv, Buffer.concat([
        Buffer.from(`PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n`),
        data.subarray(1024, 2048), Buffer.from('GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      ]))
      t.equal(over.status, 202, 'the declared bytes are the chunk')
      t.match(over.text, /\r\nRange: 0-2047\r\n/)
      t.match(over.text.slice(over.head.length), /HTTP\/1\.1 200 OK/, 'what followed was served as the next request')
      // Content-Length longer than the body, then the client hangs up: the bytes that
      // arrived stay (resumable), the registry stays up and reports the real Range.
      await raw(srv, Buffer.concat([
        Buffer.from(`PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`), data.subarray(2048, 3072)
      ]), { halfClose: true })
      const status = await call(u, 'GET', loc)
      t.equal(status.status, 204)
      const end = Number(String(status.headers.range).split('-')[1])
      t.ok(end >= 2047 && end <= 3071, `Range after a short body is between 0-2047 and 0-3071, got ${status.headers.range}`)
      const rest = data.subarray(end + 1)
      const done = await call(u, 'PUT', `${loc}?digest=${sha256(data)}`, { headers: { 'content-range': `${end + 1}-4095`, 'content-length': String(rest.length) }, body: rest })
      t.equal(done.status, 201, 'the upload completes from the Range it reported')
      const again = await call(u, 'PUT', `${loc}?digest=${sha256(data)}`)
      specError(t, again, 404, 'BLOB_UPLOAD_UNKNOWN', 'completing an upload twice')
      t.ok((await call(u, 'GET', `/v2/adv/up/blobs/${sha256(data)}`)).body.equals(data), 'stored once, intact')

      // Cancelled, unknown, other repository's, and not-a-UUID sessions.
      const cancelled = (await call(u, 'POST', '/v2/adv/up/blobs/uploads/')).headers.location as string
      t.equal((await call(u, 'DELETE', cancelled)).status, 204)
      const theirs = (await call(u, 'POST', '/v2/adv/other/blobs/uploads/')).headers.location as string
      const theirsUuid = theirs.slice(theirs.lastIndexOf('/') + 1)
      const sessions: Array<[string, string]> = [
        ['cancelled', cancelled],
        ['unknown', `/v2/adv/up/blobs/uploads/${randomUUID()}`],
        ["another repository's", `/v2/adv/up/blobs/uploads/${theirsUuid}`],
        ['uppercase UUID', `/v2/adv/up/blobs/uploads/${theirsUuid.toUpperCase()}`],
        ['not a UUID', '/v2/adv/up/blobs/uploads/not-a-uuid'],
        ['encoded traversal', `/v2/adv/up/blobs/uploads/..%2F..%2Fblobs%2F${theirsUuid}`],
        ['very long', `/v2/adv/up/blobs/uploads/${'a'.repeat(4000)}`]
      ]
      for (const [what, where] of sessions) {
        specError(t, await call(u, 'PUT', `${where}?digest=${EMPTY_DIGEST}`), 404, 'BLOB_UPLOAD_UNKNOWN', `PUT on a ${what} upload`)
        specError(t, await call(u, 'PATCH', where, { body: 'x' }), 404, 'BLOB_UPLOAD_UNKNOWN', `PATCH on a ${what} upload`)
        specError(t, await call(u, 'GET', where), 404, 'BLOB_UPLOAD_UNKNOWN', `GET on a ${what} upload`)
        specError(t, await call(u, 'DELETE', where), 404, 'BLOB_UPLOAD_UNKNOWN', `DELETE on a ${what} upload`)
      }
      // (Raw: a URL parser would resolve the dot segments before sending.)
      for (const uuid of ['%2E%2E', '..', '%2E%2E%2F%2E%2E%2Fuploads']) {
        const r = await raw(srv, `GET /v2/adv/up/blobs/uploads/${uuid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
        t.equal(r.status, 404, `upload ${uuid}: 404`)
        t.match(r.text, /"code":"BLOB_UPLOAD_UNKNOWN"/)
      }
      const stillTheirs = await call(u, 'GET', theirs)
      t.equal(stillTheirs.status, 204, 'probing from another repository left the session alone')
      t.equal(stillTheirs.headers.range, '0-0')
      t.equal((await call(u, 'PUT', `${theirs}?digest=${EMPTY_DIGEST}`)).status, 201)
      await healthy(t, u)
    })

    t.test('racing PATCHes on one upload end with a consistent Range and blob', async (t) => {
      const chunk = randomBytes(1024)
      const loc = (await call(u, 'POST', '/v2/adv/race/blobs/uploads/')).headers.location as string
      // Streams without Content-Range: each lands whole, one after another.
      const streamed = await Promise.all(Array.from({ length: 48 }, () => call(u, 'PATCH', loc, { body: chunk })))
      t.same(streamed.map((r) => r.status), streamed.map(() => 202), 'every streamed chunk accepted')
      t.equal((await call(u, 'GET', loc)).headers.range, `0-${48 * 1024 - 1}`)
      // Chunks all claiming the same offset: exactly one wins, the others are 416.
      const claims = await Promise.all(Array.from({ length: 32 }, () => call(u, 'PATCH', loc, {
        headers: { 'content-range': `${48 * 1024}-${49 * 1024 - 1}`, 'content-length': '1024' }, body: chunk
      })))
      t.equal(claims.filter((r) => r.status === 202).length, 1, 'one chunk at that offset')
      t.equal(claims.filter((r) => r.status === 416).length, 31, 'the rest are out of order')
      t.equal((await call(u, 'GET', loc)).headers.range, `0-${49 * 1024 - 1}`)
      const whole = Buffer.concat(Array.from({ length: 49 }, () => chunk))
      const puts = await Promise.all(Array.from({ length: 8 }, () => call(u, 'PUT', `${loc}?digest=${sha256(whole)}`)))
      t.equal(puts.filter((r) => r.status === 201).length >= 1, true, 'the upload completes')
      for (const r of puts) t.ok(r.status === 201 || r.status === 404, `a racing completion is 201 or 404, got ${r.status}`)
      t.equal(sha256((await call(u, 'GET', `/v2/adv/race/blobs/${sha256(whole)}`)).body), sha256(whole))
      await healthy(t, u)
    })

    t.test('a completion racing a failed completion never stores bytes that do not match the digest (regression)', async (t) => {
      // Was: the second PUT, queued behind the first, committed the session the first had
      // cancelled: 201, and a blob whose stored bytes were empty under the verified digest.
      const body = Buffer.from('bytes that were sent')
      const loc = (await call(u, 'POST', '/v2/adv/race2/blobs/uploads/')).headers.location as string
      const path = new URL(loc, u).pathname
      const held = holdSession(srv, path, body.subarray(0, 5), body.length)
      await pause()
      const wrong = call(u, 'PUT', `${loc}?digest=${sha256('something else')}`)
      await pause()
      const right = call(u, 'PUT', `${loc}?digest=${sha256(body)}`)
      await pause()
      t.match(await held.release(body.subarray(5)), /^HTTP\/1\.1 202/, 'the held chunk lands')
      const [w, r] = await Promise.all([wrong, right])
      if (w.status === 400) {
        // The wrong digest came first and cancelled the upload: nothing left to complete.
        specError(t, w, 400, 'DIGEST_INVALID', 'the wrong digest')
        specError(t, r, 404, 'BLOB_UPLOAD_UNKNOWN', 'completing a session cancelled while waiting')
        specError(t, await call(u, 'HEAD', `/v2/adv/race2/blobs/${sha256(body)}`), 404, 'BLOB_UNKNOWN', 'nothing stored', 'HEAD')
      } else {
        // (The requests were handled in the other order.)
        t.equal(r.status, 201, 'the right digest completes')
        specError(t, w, 404, 'BLOB_UPLOAD_UNKNOWN', 'completing a session already completed')
        t.equal(sha256((await call(u, 'GET', `/v2/adv/race2/blobs/${sha256(body)}`)).body), sha256(body), 'the stored blob matches its digest')
      }
      t.notOk((await uploadDirs(srv)).some((p) => p.endsWith(path.slice(path.lastIndexOf('/') + 1))), 'no debris of the session in storage')
      await healthy(t, u)
    })

    t.test('a chunk racing a cancel does not resurrect the session (regression)', async (t) => {
      // Was: the chunk queued behind the cancel recreated the session's data file (202, a
      // Location that then 404s, and debris in storage until the stale-upload purge).
      const loc = (await call(u, 'POST', '/v2/adv/race3/blobs/uploads/')).headers.location as string
      const path = new URL(loc, u).pathname
      const uuid = path.slice(path.lastIndexOf('/') + 1)
      const held = holdSession(srv, path, Buffer.from('01234'), 10)
      await pause()
      const cancel = call(u, 'DELETE', loc)
      await pause()
      const late = call(u, 'PATCH', loc, { body: 'late chunk' })
      await pause()
      await held.release(Buffer.from('56789'))
      t.equal((await cancel).status, 204)
      const lateReply = await late
      if (lateReply.status !== 202) specError(t, lateReply, 404, 'BLOB_UPLOAD_UNKNOWN', 'a chunk for a session cancelled while it waited')
      specError(t, await call(u, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'the session stays cancelled')
      t.notOk((await uploadDirs(srv)).some((p) => p.endsWith(uuid)), 'no debris of the session in storage')
      await healthy(t, u)
    })

    t.test('malformed manifests are 400 MANIFEST_INVALID and store nothing (regression: non-string annotations stored, deeply nested ones a 500)', async (t) => {
      const cfg = await pushBlob(u, 'adv/man', '{"architecture":"amd64","os":"linux"}')
      const config = { mediaType: OCI_CONFIG, digest: cfg, size: 37 }
      const good = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }
      const cases: Array<[string, string | Buffer, string?]> = [
        ['invalid JSON', '{"schemaVersion": 2,'],
        ['empty body', ''],
        ['a JSON array', '[]'],
        ['a JSON string', '"manifest"'],
        ['JSON null', 'null'],
        ['a JSON number', '2'],
        ['a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(good))])],
        ['schemaVersion 1', JSON.stringify({ ...good, schemaVersion: 1 })],
        ['schemaVersion 3', JSON.stringify({ ...good, schemaVersion: 3 })],
        ['schemaVersion "2"', JSON.stringify({ ...good, schemaVersion: '2' })],
        ['no schemaVersion', JSON.stringify({ mediaType: OCI_MANIFEST, config, layers: [] })],
        ['body index, header manifest', JSON.stringify({ ...good, mediaType: OCI_INDEX })],
        ['body manifest, header index', JSON.stringify(good), OCI_INDEX],
        ['mediaType not a string', JSON.stringify({ ...good, mediaType: 7 })],
        ['unknown media type', JSON.stringify({ ...good, mediaType: 'application/vnd.example+json' }), 'application/vnd.example+json'],
        ['docker schema 1', JSON.stringify({ schemaVersion: 1, name: 'adv/man', tag: 'x', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
        ['no config', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] })],
        ['layers not an array', JSON.stringify({ ...good, layers: {} })],
        ['a layer that is not an object', JSON.stringify({ ...good, layers: ['sha256:x'] })],
        ['negative size', JSON.stringify({ ...good, config: { ...config, size: -1 } })],
        ['fractional size', JSON.stringify({ ...good, config: { ...config, size: 1.5 } })],
        ['size past 2^53', JSON.stringify({ ...good, config: { ...config, size: 2 ** 60 } })],
        ['size as a string', JSON.stringify({ ...good, config: { ...config, size: '37' } })],
        ['descriptor digest malformed', JSON.stringify({ ...good, config: { ...config, digest: 'sha256:XYZ' } })],
        ['index manifests not an array', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: 'none' }), OCI_INDEX],
        ['annotations an array', JSON.stringify({ ...good, annotations: ['a'] })],
        ['annotation value a number', JSON.stringify({ ...good, annotations: { 'org.example.n': 1 } })],
        ['annotation value an object', JSON.stringify({ ...good, annotations: { 'org.example.o': { nested: 'x' } } })],
        ['descriptor annotation value not a string', JSON.stringify({ ...good, config: { ...config, annotations: { a: true } } })],
        ['deeply nested annotation', `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"annotations":{"deep":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`],
        ['deeply nested annotations object', `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"annotations":${'{"a":'.repeat(100_000)}"x"${'}'.repeat(100_000)}}`],
        ['artifactType not a string', JSON.stringify({ ...good, artifactType: 3 })],
        ['subject not a descriptor', JSON.stringify({ ...good, subject: 'sha256:abc' })]
      ]
      for (const [what, body, contentType] of cases) {
        const r = await call(u, 'PUT', '/v2/adv/man/manifests/bad', { headers: { 'content-type': contentType ?? OCI_MANIFEST }, body })
        specError(t, r, 400, 'MANIFEST_INVALID', what)
      }
      specError(t, await call(u, 'GET', '/v2/adv/man/manifests/bad', { headers: { accept: OCI_MANIFEST } }), 404, 'MANIFEST_UNKNOWN', 'nothing was tagged')
      // Deep nesting where the registry keeps nothing of it: stored as pushed, or refused; never a 500.
      const deepUnknown = `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${JSON.stringify(config)},"layers":[],"x-extra":${'['.repeat(200_000)}${']'.repeat(200_000)}}`
      const deep = await call(u, 'PUT', '/v2/adv/man/manifests/deep', { headers: { 'content-type': OCI_MANIFEST }, body: deepUnknown })
      t.ok(deep.status === 201 || deep.status === 400, `deep nesting in an unknown field: 201 or 400, got ${deep.status}`)
      if (deep.status === 201) t.equal(sha256((await call(u, 'GET', '/v2/adv/man/manifests/deep', { headers: { accept: OCI_MANIFEST } })).body), sha256(deepUnknown), 'byte for byte')
      const ok = await call(u, 'PUT', '/v2/adv/man/manifests/good', { headers: { 'content-type': `${OCI_MANIFEST}; charset=utf-8` }, body: JSON.stringify(good) })
      t.equal(ok.status, 201, 'Content-Type parameters are ignored')
      await healthy(t, u)
    })

    t.test('a refused push to a new repository does not create it (regression: half-applied push)', async (t) => {
      const refused: Array<[string, () => Promise<Reply>]> = [
        ['invalid manifest', () => call(u, 'PUT', '/v2/adv/ghost1/manifests/v1', { headers: { 'content-type': OCI_MANIFEST }, body: '{' })],
        ['manifest with unknown blobs', () => call(u, 'PUT', '/v2/adv/ghost2/manifests/v1', { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })],
        ['invalid tag', () => call(u, 'PUT', '/v2/adv/ghost3/manifests/.bad', { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })],
        ['monolithic blob with the wrong digest', () => call(u, 'POST', `/v2/adv/ghost4/blobs/uploads/?digest=${sha256('other')}`, { body: 'this' })],
        ['monolithic blob with a malformed digest', () => call(u, 'POST', '/v2/adv/ghost5/blobs/uploads/?digest=sha256:nope', { body: 'this' })],
        ['mount with a malformed digest', () => call(u, 'POST', '/v2/adv/ghost6/blobs/uploads/?mount=sha256:nope&from=adv/base')]
      ]
      for (const [what, send] of refused) {
        const r = await send()
        t.equal(r.status, 400, `${what}: 400`)
      }
      const names: string[] = (await call(u, 'GET', '/v2/_catalog')).json().repositories
      t.same(names.filter((n) => n.startsWith('adv/ghost')), [], 'the catalog lists none of them')
      specError(t, await call(u, 'GET', '/v2/adv/ghost1/tags/list'), 404, 'NAME_UNKNOWN', 'tags of a repository never created')

      // A mount that cannot be done is not refused: the spec says start an upload (202).
      for (const from of ['adv/nothere', '..%2F..%2Fetc', 'ADV/BASE', 'a']) {
        const r = await call(u, 'POST', `/v2/adv/mounted/blobs/uploads/?mount=${img.layer}&from=${from}`)
        t.equal(r.status, 202, `mount from ${from}: an upload starts instead`)
        t.match(r.headers.location, /^\/v2\/adv\/mounted\/blobs\/uploads\/[0-9a-f-]{36}$/)
      }
      const unknownBlob = await call(u, 'POST', `/v2/adv/mounted/blobs/uploads/?mount=${sha256('nowhere')}&from=adv/base`)
      t.equal(unknownBlob.status, 202, 'mount of a blob the source does not hold: an upload starts instead')
      const mounted = await call(u, 'POST', `/v2/adv/mounted/blobs/uploads/?mount=${img.layer}&from=adv/base`)
      t.equal(mounted.status, 201, 'a possible mount is done')
      t.equal(mounted.headers.location, `/v2/adv/mounted/blobs/${img.layer}`)
      t.equal((await call(u, 'HEAD', `/v2/adv/mounted/blobs/${img.layer}`)).status, 200)
      await healthy(t, u)
    })

    t.test('manifest size limit: 4 MiB is accepted, one byte more is 413', async (t) => {
      const cfg = await pushBlob(u, 'adv/big', '{}')
      const make = (size: number): Buffer => {
        const base = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: cfg, size: 2 }, layers: [], annotations: { pad: '' } }
        const overhead = Buffer.byteLength(JSON.stringify(base))
        base.annotations.pad = 'p'.repeat(size - overhead)
        const body = Buffer.from(JSON.stringify(base))
        t.equal(body.length, size)
        return body
      }
      const limit = make(4 * 1024 * 1024)
      const put = await call(u, 'PUT', '/v2/adv/big/manifests/limit', { headers: { 'content-type': OCI_MANIFEST }, body: limit })
      t.equal(put.status, 201, 'a 4 MiB manifest is accepted (the spec says registries should)')
      t.ok((await call(u, 'GET', '/v2/adv/big/manifests/limit', { headers: { accept: OCI_MANIFEST } })).body.equals(limit))
      const over = make(4 * 1024 * 1024 + 1)
      specError(t, await call(u, 'PUT', '/v2/adv/big/manifests/over', { headers: { 'content-type': OCI_MANIFEST }, body: over }), 413, 'SIZE_INVALID', 'over the limit, declared')
      const streamed = (async function * () { for (let i = 0; i < over.length; i += 65536) yield over.subarray(i, i + 65536) })()
      specError(t, await call(u, 'PUT', '/v2/adv/big/manifests/over', { headers: { 'content-type': OCI_MANIFEST }, body: streamed }), 413, 'SIZE_INVALID', 'over the limit, chunked')
      specError(t, await call(u, 'GET', '/v2/adv/big/manifests/over', { headers: { accept: OCI_MANIFEST } }), 404, 'MANIFEST_UNKNOWN', 'nothing stored')
      await healthy(t, u)
    })

    t.test('manifest references, deletes and content negotiation (regression: an index fetched by digest was answered with its child)', async (t) => {
      const child = await pushImage(u, 'adv/idx', 'child', 'child')
      const missing = sha256('never pushed manifest')
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, digest: missing, size: 10, platform: { os: 'linux', architecture: 'arm64' } }
        ]
      }))
      const r = await call(u, 'PUT', '/v2/adv/idx/manifests/multi', { headers: { 'content-type': OCI_INDEX }, body: index })
      specError(t, r, 400, 'MANIFEST_BLOB_UNKNOWN', 'an index with a missing child')
      t.same(r.json().errors.map((e: { detail: { digest: string } }) => e.detail.digest), [missing], 'the missing child is named')
      specError(t, await call(u, 'GET', '/v2/adv/idx/manifests/multi'), 404, 'MANIFEST_UNKNOWN', 'the index was not stored')
      specError(t, await call(u, 'GET', `/v2/adv/idx/manifests/${sha256(index)}`), 404, 'MANIFEST_UNKNOWN', 'not by digest either')

      // A subject that does not exist (yet) must be accepted (spec: push order is free).
      const cfg = await pushBlob(u, 'adv/idx', '{}')
      const referrer = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: cfg, size: 2 }, layers: [],
        subject: { mediaType: OCI_MANIFEST, digest: missing, size: 10 }
      }))
      t.equal((await call(u, 'PUT', `/v2/adv/idx/manifests/${sha256(referrer)}`, { headers: { 'content-type': OCI_MANIFEST }, body: referrer })).status, 201)
      t.same((await call(u, 'GET', `/v2/adv/idx/referrers/${missing}`)).json().manifests.map((m: { digest: string }) => m.digest), [sha256(referrer)])

      // A valid index, fetched by digest by a client that does not accept indexes, must not
      // be answered with another manifest: the bytes would not match the digest asked for.
      const good = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length, platform: { os: 'linux', architecture: 'amd64' } }]
      }))
      t.equal((await call(u, 'PUT', '/v2/adv/idx/manifests/multi', { headers: { 'content-type': OCI_INDEX }, body: good })).status, 201)
      const byTag = await call(u, 'GET', '/v2/adv/idx/manifests/multi', { headers: { accept: OCI_MANIFEST } })
      t.equal(byTag.status, 200, 'by tag, the platform child is served to a client that cannot read indexes')
      t.equal(byTag.headers['docker-content-digest'], child.digest)
      for (const method of ['GET', 'HEAD']) {
        const byDigest = await call(u, method, `/v2/adv/idx/manifests/${sha256(good)}`, { headers: { accept: OCI_MANIFEST } })
        if (byDigest.status === 200) {
          t.equal(byDigest.headers['docker-content-digest'], sha256(good), `${method} by digest: the manifest asked for, never another (regression)`)
          if (method === 'GET') t.equal(sha256(byDigest.body), sha256(good))
        } else {
          specError(t, byDigest, 404, 'MANIFEST_UNKNOWN', `${method} by digest with an Accept that excludes it (regression: served the child)`, method)
        }
      }
      for (const accept of ['text/html', 'application/json', 'application/vnd.oci.image.layer.v1.tar']) {
        specError(t, await call(u, 'GET', '/v2/adv/idx/manifests/child', { headers: { accept } }), 404, 'MANIFEST_UNKNOWN', `Accept: ${accept} only`)
      }
      t.equal((await call(u, 'GET', '/v2/adv/idx/manifests/child', { headers: { accept: 'text/html, */*;q=0.1' } })).status, 200, 'a wildcard accepts anything')

      // Deletes: by tag removes the tag (the spec allows it), by digest the manifest.
      t.equal((await call(u, 'PUT', '/v2/adv/idx/manifests/extra', { headers: { 'content-type': OCI_MANIFEST }, body: child.manifest })).status, 201)
      t.equal((await call(u, 'DELETE', '/v2/adv/idx/manifests/extra')).status, 202, 'DELETE by tag')
      specError(t, await call(u, 'GET', '/v2/adv/idx/manifests/extra'), 404, 'MANIFEST_UNKNOWN', 'the deleted tag')
      t.equal((await call(u, 'GET', `/v2/adv/idx/manifests/${child.digest}`)).status, 200, 'the manifest outlives its tag')
      specError(t, await call(u, 'DELETE', '/v2/adv/idx/manifests/extra'), 404, 'MANIFEST_UNKNOWN', 'deleting a tag twice')
      specError(t, await call(u, 'DELETE', `/v2/adv/idx/manifests/${sha256('unknown')}`), 404, 'MANIFEST_UNKNOWN', 'deleting an unknown digest')
      specError(t, await call(u, 'DELETE', `/v2/adv/idx/blobs/${sha256('unknown')}`), 404, 'BLOB_UNKNOWN', 'deleting an unknown blob')
      specError(t, await call(u, 'DELETE', '/v2/adv/nothere/manifests/v1'), 404, 'NAME_UNKNOWN', 'deleting in an unknown repository')
      await healthy(t, u)
    })

    t.test('tags list and catalog pagination at the edges', async (t) => {
      await pushBlob(u, 'adv/page', 'layer-base')
      await pushBlob(u, 'adv/page', JSON.stringify({ architecture: 'amd64', os: 'linux', seed: 'base', rootfs: { type: 'layers', diff_ids: [] } }))
      for (const tag of ['a', 'b', 'c', 'd']) {
        t.equal((await call(u, 'PUT', `/v2/adv/page/manifests/${tag}`, { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })).status, 201)
      }
      for (const path of ['/v2/adv/page/tags/list', '/v2/_catalog']) {
        const key = path.endsWith('list') ? 'tags' : 'repositories'
        const all: string[] = (await call(u, 'GET', path)).json()[key]
        const zero = await call(u, 'GET', `${path}?n=0`)
        t.equal(zero.status, 200)
        t.same(zero.json()[key], [], `${path} n=0: an empty list`)
        t.equal(zero.headers.link, undefined, `${path} n=0: no Link`)
        for (const n of ['-1', 'abc', '1.5', '99999999999999999999', '1e400', 'NaN', '-0x1']) {
          const r = await call(u, 'GET', `${path}?n=${encodeURIComponent(n)}`)
          specError(t, r, 400, ['UNSUPPORTED', 'SIZE_INVALID'], `${path} n=${n}`)
        }
        const big = await call(u, 'GET', `${path}?n=1000000000`)
        t.equal(big.status, 200)
        t.same(big.json()[key], all, `${path} huge n: everything`)
        t.equal(big.headers.link, undefined)
        const after = await call(u, 'GET', `${path}?last=${encodeURIComponent(`${all[0]}0`)}&n=1`)
        t.same(after.json()[key], all.length > 1 ? [all[1]] : [], `${path} last that does not exist: the next entry after it`)
        const beyond = await call(u, 'GET', `${path}?last=${encodeURIComponent('~~~~')}`)
        t.same(beyond.json()[key], [], `${path} last after everything: empty`)
        t.equal(beyond.headers.link, undefined)
        // Following Link headers visits everything exactly once.
        const seen: string[] = []
        let next: string | undefined = `${path}?n=1`
        for (let i = 0; next !== undefined && i < 1000; i++) {
          const page: Reply = await call(u, 'GET', next)
          seen.push(...page.json()[key])
          next = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ''))?.[1]
        }
        t.same(seen, all, `${path}: Link pages cover the list once`)
      }
      specError(t, await call(u, 'GET', '/v2/adv/nothere/tags/list'), 404, 'NAME_UNKNOWN', 'tags of an unknown repository')
      await healthy(t, u)
    })

    t.test('methods the spec does not define are 405, never 500 (regression: 405 without the Allow header)', async (t) => {
      const cases: Array<[string, string]> = [
        ['POST', '/v2/adv/base/manifests/v1'],
        ['PATCH', '/v2/adv/base/manifests/v1'],
        ['PUT', `/v2/adv/base/blobs/${img.layer}`],
        ['POST', `/v2/adv/base/blobs/${img.layer}`],
        ['PATCH', `/v2/adv/base/blobs/${img.layer}`],
        ['GET', '/v2/adv/base/blobs/uploads/'],
        ['PUT', '/v2/adv/base/blobs/uploads/'],
        ['POST', `/v2/adv/base/blobs/uploads/${randomUUID()}`],
        ['HEAD', `/v2/adv/base/blobs/uploads/${randomUUID()}`],
        ['POST', '/v2/adv/base/tags/list'],
        ['DELETE', '/v2/adv/base/tags/list'],
        ['DELETE', `/v2/adv/base/referrers/${img.digest}`],
        ['POST', '/v2/_catalog'],
        ['DELETE', '/v2/'],
        ['OPTIONS', '/v2/adv/base/manifests/v1'],
        ['PROPFIND', '/v2/adv/base/manifests/v1']
      ]
      for (const [method, path] of cases) {
        const r = await call(u, method, path)
        specError(t, r, 405, 'UNSUPPORTED', `${method} ${path.replace(/sha256:[0-9a-f]+/, 'sha256:…')}`, method)
        t.ok(typeof r.headers.allow === 'string' && r.headers.allow.length > 0, `${method} ${path.slice(0, 40)}: Allow header (RFC 9110 requires one on 405)`)
        t.notOk(String(r.headers.allow).split(/,\s*/).includes(method), 'Allow does not list the refused method')
      }
      const unknown = await call(u, 'GET', '/v2/adv/base/nonsense')
      t.equal(unknown.status, 404, 'an unknown endpoint is 404')
      t.equal((await call(u, 'GET', `/v2/adv/base/manifests/v1`, { headers: { accept: OCI_MANIFEST } })).status, 200, 'nothing changed')
      await healthy(t, u)
    })

    t.test('no request was a 500 (internal error)', async (t) => {
      t.same(internalErrors.map((e) => String((e as Error)?.stack ?? e)), [], 'the registry reported no internal error')
      const names: string[] = (await call(u, 'GET', '/v2/_catalog')).json().repositories
      t.ok(names.includes('adv/base') && names.includes('health/check'))
    })
  })
}

probes('inmemory')
probes('filesystem')
