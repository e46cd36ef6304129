// Upload sessions older than the configured age are purged on the registry clock.
import t from 'tap'
import { ManualClock, errorCodes, eventually, req, startRegistry } from './helpers.js'

const HOUR = 3600_000

t.test('stale uploads are purged after the configured age', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, uploadMaxAgeMs: 2 * HOUR, uploadPurgeIntervalMs: HOUR, lifecycleIntervalMs: 0 })
  t.teardown(() => srv.close())
  const u = srv.url
  const old = (await req(u, 'POST', '/v2/stale/app/blobs/uploads/')).headers.location as string
  await req(u, 'PATCH', old, { body: 'abandoned' })
  clock.advance(HOUR + 1)
  const fresh = (await req(u, 'POST', '/v2/stale/app/blobs/uploads/')).headers.location as string
  t.equal((await req(u, 'GET', old)).status, 204, 'not stale yet after one hour')
  clock.advance(HOUR + 1)
  await eventually(async () => (await req(u, 'GET', old)).status === 404, 'the stale session is purged by the periodic run')
  t.same(errorCodes(await req(u, 'GET', old)), ['BLOB_UPLOAD_UNKNOWN'])
  t.equal((await req(u, 'GET', fresh)).status, 204, 'a younger session stays')
  clock.advance(3 * HOUR)
  t.equal(await srv.registry.purgeStaleUploads(), 1, 'on demand too')
  t.equal((await req(u, 'GET', fresh)).status, 404)
})

t.test('an upload still receiving bytes is not stale', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, uploadMaxAgeMs: 2 * HOUR, uploadPurgeIntervalMs: 0, lifecycleIntervalMs: 0 })
  t.teardown(() => srv.close())
  const loc = (await req(srv.url, 'POST', '/v2/stale/slow/blobs/uploads/')).headers.location as string
  for (let i = 0; i < 3; i++) {
    clock.advance(HOUR + 1)
    await req(srv.url, 'PATCH', loc, { body: `part ${i};` })
    t.equal(await srv.registry.purgeStaleUploads(), 0, `still active after ${i + 1} hours`)
  }
  clock.advance(2 * HOUR + 1)
  t.equal(await srv.registry.purgeStaleUploads(), 1, 'idle for longer than the age: purged')
})

t.test('too many sessions at once is TOOMANYREQUESTS', async (t) => {
  const srv = await startRegistry({ maxUploadSessions: 2 })
  t.teardown(() => srv.close())
  t.equal((await req(srv.url, 'POST', '/v2/limit/app/blobs/uploads/')).status, 202)
  const second = await req(srv.url, 'POST', '/v2/limit/app/blobs/uploads/')
  t.equal(second.status, 202)
  const third = await req(srv.url, 'POST', '/v2/limit/app/blobs/uploads/')
  t.equal(third.status, 429)
  t.same(errorCodes(third), ['TOOMANYREQUESTS'])
  await req(srv.url, 'DELETE', second.headers.location as string)
  t.equal((await req(srv.url, 'POST', '/v2/limit/app/blobs/uploads/')).status, 202, 'a cancelled session frees its place')
})

t.test('regression: a failed upload frees its place exactly once', async (t) => {
  const srv = await startRegistry({ maxUploadSessions: 2 })
  t.teardown(() => srv.close())
  const u = srv.url
  const a = (await req(u, 'POST', '/v2/limit/once/blobs/uploads/')).headers.location as string
  await req(u, 'POST', '/v2/limit/once/blobs/uploads/')
  await req(u, 'PATCH', a, { body: 'bytes' })
  const mismatch = await req(u, 'PUT', `${a}?digest=sha256:${'0'.repeat(64)}`)
  t.equal(mismatch.status, 400, 'the digest mismatch ends session a')
  t.equal((await req(u, 'DELETE', a)).status, 404, 'cancelling it again finds nothing')
  t.equal((await req(u, 'POST', '/v2/limit/once/blobs/uploads/')).status, 202, 'its place is free')
  t.equal((await req(u, 'POST', '/v2/limit/once/blobs/uploads/')).status, 429, 'and only its place')
})
