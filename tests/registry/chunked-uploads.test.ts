// Chunked and streamed uploads: out-of-order and repeated chunks, digest mismatch, cancel,
// unknown sessions, malformed digests (always 400, never 500).
import t from 'tap'
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { errorCodes, req, sha256, startRegistry } from './helpers.js'

t.test('chunked uploads', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const u = srv.url
  const data = randomBytes(300_000)

  t.test('out-of-order and repeated chunks are 416 with the current Range; the upload goes on', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    const first = await req(u, 'PATCH', loc, { headers: { 'content-range': '0-99999', 'content-length': '100000' }, body: data.subarray(0, 100000) })
    t.equal(first.status, 202)
    t.equal(first.headers.range, '0-99999')
    const skipped = await req(u, 'PATCH', loc, { headers: { 'content-range': '200000-299999', 'content-length': '100000' }, body: data.subarray(200000) })
    t.equal(skipped.status, 416, 'a gap is refused')
    t.equal(skipped.headers.range, '0-99999')
    t.equal(skipped.headers.location, loc)
    t.same(errorCodes(skipped), ['BLOB_UPLOAD_INVALID'])
    const repeated = await req(u, 'PATCH', loc, { headers: { 'content-range': '0-99999', 'content-length': '100000' }, body: data.subarray(0, 100000) })
    t.equal(repeated.status, 416, 'a repeated chunk is refused')
    t.equal(repeated.headers.range, '0-99999')
    const second = await req(u, 'PATCH', loc, { headers: { 'content-range': '100000-199999', 'content-length': '100000' }, body: data.subarray(100000, 200000) })
    t.equal(second.status, 202)
    const last = await req(u, 'PUT', `${loc}?digest=${sha256(data)}`, { headers: { 'content-range': '200000-299999', 'content-length': '100000' }, body: data.subarray(200000) })
    t.equal(last.status, 201, 'the final chunk rides on the PUT')
    const back = await req(u, 'GET', `/v2/chunk/a/blobs/${sha256(data)}`)
    t.ok(back.body.equals(data), 'the stored blob is the chunks in order')
  })

  t.test('streamed PATCH (chunked transfer encoding, no Content-Range)', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    const body = Readable.from((function * () { for (let i = 0; i < data.length; i += 7000) yield data.subarray(i, i + 7000) })())
    const r = await req(u, 'PATCH', loc, { body })
    t.equal(r.status, 202)
    t.equal(r.headers.range, `0-${data.length - 1}`)
    t.equal((await req(u, 'PUT', `${loc}?digest=${sha256(data)}`)).status, 201)
  })

  t.test('a digest mismatch is DIGEST_INVALID and stores nothing', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    await req(u, 'PATCH', loc, { body: 'actual bytes' })
    const wrong = sha256('other bytes')
    const r = await req(u, 'PUT', `${loc}?digest=${wrong}`)
    t.equal(r.status, 400)
    t.same(errorCodes(r), ['DIGEST_INVALID'])
    t.equal((await req(u, 'HEAD', `/v2/chunk/a/blobs/${wrong}`)).status, 404)
    t.equal((await req(u, 'HEAD', `/v2/chunk/a/blobs/${sha256('actual bytes')}`)).status, 404)
    const mono = await req(u, 'POST', `/v2/chunk/a/blobs/uploads/?digest=${wrong}`, { body: 'mismatch' })
    t.equal(mono.status, 400)
    t.same(errorCodes(mono), ['DIGEST_INVALID'])
  })

  t.test('a declared length the body does not match is SIZE_INVALID', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    const r = await req(u, 'PATCH', loc, { headers: { 'content-range': '0-9', 'content-length': '5' }, body: '12345' })
    t.equal(r.status, 400)
    t.same(errorCodes(r), ['SIZE_INVALID'])
  })

  t.test('status, cancel and unknown sessions', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    const status = await req(u, 'GET', loc)
    t.equal(status.status, 204)
    t.equal(status.headers.range, '0-0')
    t.ok(status.headers['docker-upload-uuid'])
    t.equal((await req(u, 'DELETE', loc)).status, 204)
    const gone = await req(u, 'GET', loc)
    t.equal(gone.status, 404)
    t.same(errorCodes(gone), ['BLOB_UPLOAD_UNKNOWN'])
    const bogus = await req(u, 'PATCH', '/v2/chunk/a/blobs/uploads/not-a-uuid', { body: 'x' })
    t.equal(bogus.status, 404)
    t.same(errorCodes(bogus), ['BLOB_UPLOAD_UNKNOWN'])
    const otherRepo = (await req(u, 'POST', '/v2/chunk/b/blobs/uploads/')).headers.location as string
    const cross = await req(u, 'GET', otherRepo.replace('/chunk/b/', '/chunk/a/'))
    t.equal(cross.status, 404, 'a session belongs to its repository')
  })

  t.test('malformed digests are 400 DIGEST_INVALID (404 MANIFEST_UNKNOWN as a manifest reference), never 500', async (t) => {
    const loc = (await req(u, 'POST', '/v2/chunk/a/blobs/uploads/')).headers.location as string
    for (const bad of ['sha256:abc', 'sha256:' + 'G'.repeat(64), 'md5:d41d8cd98f00b204e9800998ecf8427e', 'nocolon', 'sha256:' + 'A'.repeat(64), '%ZZ']) {
      const put = await req(u, 'PUT', `${loc}?digest=${encodeURIComponent(bad)}`)
      t.equal(put.status, 400, `PUT digest ${bad}`)
      t.same(errorCodes(put), ['DIGEST_INVALID'])
      const get = await req(u, 'GET', `/v2/chunk/a/blobs/${encodeURIComponent(bad)}`)
      t.equal(get.status, 400, `GET blob ${bad}`)
      if (bad === 'nocolon') continue // a valid tag as a manifest reference
      // As a manifest reference it names nothing that could exist: 404, as distribution answers.
      const manifest = await req(u, 'GET', `/v2/chunk/a/manifests/${encodeURIComponent(bad)}`)
      t.equal(manifest.status, 404, `GET manifest ${bad}`)
      t.same(errorCodes(manifest), ['MANIFEST_UNKNOWN'])
    }
    const missing = await req(u, 'PUT', loc)
    t.equal(missing.status, 400, 'PUT without digest')
    t.same(errorCodes(missing), ['DIGEST_INVALID'])
    const mount = await req(u, 'POST', '/v2/chunk/a/blobs/uploads/?mount=sha256:zz&from=chunk/b')
    t.equal(mount.status, 400)
  })
})
