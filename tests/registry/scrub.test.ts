// The scrub: every stored blob read and checked against its digest, on demand (Registry API,
// SDK) and periodically on the registry clock; corrupted blobs are quarantined (no longer
// served), the quarantine survives a restart, a push repairs, GC drops what nothing needs.
import t from 'tap'
import { access, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Registry } from '../../registry/index.js'
import { Stratus } from '../../sdk/index.js'
import {
  blobDataPath, errorCodes, eventually, flipBytes, ManualClock, pushBlob, pushImage, recordChannel, req, startRegistry, tempDir
} from './helpers.js'

const HOUR = 3600_000
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false)

async function storedBlobs (root: string): Promise<number> {
  let n = 0
  for (const prefix of await readdir(join(root, 'blobs', 'sha256'))) n += (await readdir(join(root, 'blobs', 'sha256', prefix))).length
  return n
}

t.test('scrub on demand finds exactly the corrupted blob; a push repairs it', async (t) => {
  const root = await tempDir(t)
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0 })
  t.teardown(() => srv.close())
  const u = srv.url
  const corrupt = recordChannel(t, 'stratus:registry:blob-corrupt')
  await pushImage(u, 'scrub/a', 'v1', 'a')
  const b = await pushImage(u, 'scrub/b', 'v1', 'b')
  const big = randomBytes(2 * 1024 * 1024 + 3)
  const bigDigest = await pushBlob(u, 'scrub/b', big)

  const clean = await srv.registry.scrub()
  t.equal(clean.blobsChecked, await storedBlobs(root), 'every stored blob is read')
  t.same(clean.blobsCorrupted, [])
  t.same(clean.blobsQuarantined, [])

  await flipBytes(root, bigDigest, 1024 * 1024 + 7)
  const found = await srv.registry.scrub()
  t.same(found.blobsCorrupted, [bigDigest], 'exactly the corrupted digest')
  t.same(found.blobsQuarantined, [bigDigest])
  t.equal(found.blobsChecked, clean.blobsChecked)
  t.equal(found.bytesChecked, clean.bytesChecked)
  t.match(corrupt, [{ digest: bigDigest, detectedBy: 'scrub', reason: 'digest-mismatch', repositories: ['scrub/b'] }])
  const gone = await req(u, 'GET', `/v2/scrub/b/blobs/${bigDigest}`)
  t.equal(gone.status, 404, 'not served once quarantined')
  t.same(errorCodes(gone), ['BLOB_UNKNOWN'])
  t.equal((await req(u, 'GET', `/v2/scrub/b/blobs/${b.layer}`)).status, 200, 'the other blobs are untouched')
  t.notOk(await exists(blobDataPath(root, bigDigest)), 'moved out of blobs/')

  const again = await srv.registry.scrub()
  t.same(again.blobsCorrupted, [], 'a quarantined blob is not found twice')
  t.same(again.blobsQuarantined, [bigDigest], 'but stays reported until repaired')
  t.equal(again.blobsChecked, clean.blobsChecked - 1)

  await pushBlob(u, 'scrub/b', big)
  const served = await req(u, 'GET', `/v2/scrub/b/blobs/${bigDigest}`)
  t.equal(served.status, 200)
  t.ok(served.body.equals(big), 'repaired')
  const after = await srv.registry.scrub()
  t.same(after.blobsQuarantined, [])
  t.equal(after.blobsChecked, clean.blobsChecked)
})

t.test('the quarantine survives a restart; GC deletes quarantined bytes nothing references', async (t) => {
  const root = await tempDir(t)
  let srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0, gcGracePeriodMs: 0 })
  const img = await pushImage(srv.url, 'scrub/gc', 'v1', 'gc')
  await flipBytes(root, img.layer, 1, 2)
  t.same((await srv.registry.scrub()).blobsCorrupted, [img.layer])
  await srv.close()

  srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0, gcGracePeriodMs: 0 })
  t.teardown(() => srv.close())
  t.match(srv.registry.quarantinedBlobs(), [{ digest: img.layer, detectedBy: 'scrub' }], 'still reported after a restart')
  t.equal((await req(srv.url, 'GET', `/v2/scrub/gc/blobs/${img.layer}`)).status, 404, 'still not served')
  t.same((await srv.registry.garbageCollect()).quarantinedDeleted, [], 'a manifest still references it: kept for the repair')

  await srv.registry.batchDeleteImage({ repositoryName: 'scrub/gc', imageIds: [{ imageDigest: img.digest }] })
  const gc = await srv.registry.garbageCollect()
  t.same(gc.quarantinedDeleted, [img.layer])
  t.same(srv.registry.quarantinedBlobs(), [])
  t.notOk(await exists(join(root, 'quarantine', 'sha256', img.layer.slice(7, 9), img.layer.slice(7))), 'its bytes are deleted')
})

t.test('periodic scrub on the registry clock: daily by default, off with 0', async (t) => {
  const root = await tempDir(t)
  const clock = new ManualClock()
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, clock, lifecycleIntervalMs: 0, uploadPurgeIntervalMs: 0 })
  t.teardown(() => srv.close())
  const img = await pushImage(srv.url, 'scrub/daily', 'v1', 'daily')
  await flipBytes(root, img.layer, 0)
  clock.advance(24 * HOUR - 1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(srv.registry.quarantinedBlobs(), [], 'not before a day of clock time')
  clock.advance(1)
  await eventually(() => srv.registry.quarantinedBlobs().length === 1, 'the daily scrub quarantines the corrupted layer')
  t.equal(srv.registry.quarantinedBlobs()[0].digest, img.layer)

  const offRoot = await tempDir(t)
  const offClock = new ManualClock()
  const off = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: offRoot }, clock: offClock, scrubIntervalMs: 0 })
  t.teardown(() => off.close())
  const offImg = await pushImage(off.url, 'scrub/off', 'v1', 'off')
  await flipBytes(offRoot, offImg.layer, 0)
  offClock.advance(30 * 24 * HOUR)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(off.registry.quarantinedBlobs(), [], 'scrubIntervalMs 0: only on demand')
  t.same((await off.registry.scrub()).blobsCorrupted, [offImg.layer])

  await t.rejects(Registry.open({ scrubIntervalMs: -1 }), { code: 'InvalidParameterException', field: 'scrubIntervalMs' })
})

t.test('in-memory storage scrubs too', async (t) => {
  const srv = await startRegistry({ storage: { driver: 'inmemory' }, scrubIntervalMs: 0 })
  t.teardown(() => srv.close())
  await pushImage(srv.url, 'scrub/mem', 'v1', 'mem')
  const report = await srv.registry.scrub()
  t.equal(report.blobsChecked, 3, 'config, layer, manifest')
  t.same(report.blobsCorrupted, [])
})

t.test('SDK: cloud.registry.scrub(), and the engine passes the scrub interval to its registry clock', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-scrub-engine-'))
  const cloud = await Stratus.embedded({ dataDir, clock: 'manual', runner: 'simulated', registry: { scrubIntervalMs: HOUR } })
  t.teardown(async () => { await cloud.close(); await rm(dataDir, { recursive: true, force: true }) })
  const root = join(dataDir, 'registry')
  const payload = randomBytes(100_000)
  const first = await cloud.registry.image('sdk/app:1').fromScratch().addContent(payload, '/data/one').push()
  const second = await cloud.registry.image('sdk/other:1').fromScratch().addContent('two\n', '/data/two').push()
  const layer = first.layers[0].digest
  await flipBytes(root, layer, 500)
  const report = await cloud.registry.scrub()
  t.same(report.blobsCorrupted, [layer], 'exactly the corrupted layer')
  t.match(await cloud.registry.quarantinedBlobs(), [{ digest: layer, repositories: ['sdk/app'] }])
  const base = `http://${cloud.endpoint}`
  t.equal((await req(base, 'GET', `/v2/sdk/app/blobs/${layer}`)).status, 404, 'not served')
  t.equal((await req(base, 'GET', `/v2/sdk/other/blobs/${second.layers[0].digest}`)).status, 200)

  // Pushing the same image again (the builder's layers are deterministic) repairs it.
  const again = await cloud.registry.image('sdk/app:1').fromScratch().addContent(payload, '/data/one').push()
  t.equal(again.layers[0].digest, layer)
  t.same(await cloud.registry.quarantinedBlobs(), [])
  t.equal((await req(base, 'GET', `/v2/sdk/app/blobs/${layer}`)).status, 200, 'served again')

  // Periodic, on the engine's manual clock.
  await flipBytes(root, second.layers[0].digest, 10)
  await cloud.clock.advance(HOUR)
  await eventually(async () => (await cloud.registry.quarantinedBlobs()).some((q) => q.digest === second.layers[0].digest), 'the hourly scrub finds the second layer')
})
