// Garbage collection: mark from every manifest and tag, sweep unreferenced blobs past the
// grace period; never an upload in progress or a blob shared with a live image; a blob
// pushed again after GC is really stored again; GC racing pushes never breaks them.
import t from 'tap'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { ManualClock, pushBlob, pushImage, req, sha256, startRegistry, tempDir } from './helpers.js'

const HOUR = 3600_000

function blobPath (dir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length)
  return join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data')
}
const exists = (p: string) => access(p).then(() => true, () => false)

t.test('garbage collection', async (t) => {
  const dir = await tempDir(t)
  const clock = new ManualClock()
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir }, clock, gcGracePeriodMs: HOUR })
  t.teardown(() => srv.close())
  const u = srv.url
  const reg = srv.registry

  t.test('sweeps what no manifest references, keeps shared and live blobs', async (t) => {
    const shared = await pushBlob(u, 'gc/a', 'shared layer')
    await pushBlob(u, 'gc/b', 'shared layer')
    const mk = async (repo: string, tag: string, own: string) => {
      const config = await pushBlob(u, repo, `{"own":"${own}"}`)
      const layer = await pushBlob(u, repo, own)
      const body = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: `{"own":"${own}"}`.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: shared, size: 12 }, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: own.length }]
      }))
      const r = await req(u, 'PUT', `/v2/${repo}/manifests/${tag}`, { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body })
      t.equal(r.status, 201)
      return { digest: sha256(body), config, layer }
    }
    const a = await mk('gc/a', 'v1', 'only in a')
    const b = await mk('gc/b', 'v1', 'only in b')
    t.equal((await req(u, 'DELETE', `/v2/gc/a/manifests/${a.digest}`)).status, 202)

    const early = await reg.garbageCollect()
    t.same(early.blobsDeleted, [], 'nothing is swept inside the grace period')
    t.ok(early.blobsInGracePeriod >= 3)

    clock.advance(2 * HOUR)
    const report = await reg.garbageCollect()
    t.same([...report.blobsDeleted].sort(), [a.config, a.layer, a.digest].sort(), 'exactly image a’s own blobs and manifest')
    t.ok(report.bytesFreed > 0)
    for (const d of [a.config, a.layer]) t.notOk(await exists(blobPath(dir, d)), `${d} is gone from disk`)
    t.ok(await exists(blobPath(dir, shared)), 'the shared layer stays')
    t.equal((await req(u, 'HEAD', `/v2/gc/a/blobs/${a.layer}`)).status, 404)
    for (const d of [shared, b.config, b.layer]) t.equal((await req(u, 'GET', `/v2/gc/b/blobs/${d}`)).status, 200)
    t.equal((await req(u, 'GET', '/v2/gc/b/manifests/v1')).status, 200)
  })

  t.test('a blob pushed again after GC is really stored again', async (t) => {
    const digest = await pushBlob(u, 'gc/again', 'come back')
    clock.advance(2 * HOUR)
    t.ok((await reg.garbageCollect()).blobsDeleted.includes(digest))
    t.notOk(await exists(blobPath(dir, digest)))
    t.equal((await req(u, 'HEAD', `/v2/gc/again/blobs/${digest}`)).status, 404, 'HEAD tells the client to push it')
    const mount = await req(u, 'POST', `/v2/gc/other/blobs/uploads/?mount=${digest}&from=gc/again`)
    t.equal(mount.status, 202, 'a mount of the swept blob falls back to an upload')
    await pushBlob(u, 'gc/again', 'come back')
    t.ok(await exists(blobPath(dir, digest)), 'the bytes are on disk again')
    t.equal((await req(u, 'GET', `/v2/gc/again/blobs/${digest}`)).body.toString(), 'come back')
  })

  t.test('an upload in progress is never touched', async (t) => {
    const loc = (await req(u, 'POST', '/v2/gc/upload/blobs/uploads/')).headers.location as string
    await req(u, 'PATCH', loc, { body: 'part one, ' })
    clock.advance(2 * HOUR)
    await reg.garbageCollect({ gracePeriodMs: 0 })
    await req(u, 'PATCH', loc, { body: 'part two' })
    const done = await req(u, 'PUT', `${loc}?digest=${sha256('part one, part two')}`)
    t.equal(done.status, 201)
  })

  t.test('GC racing pushes: every push completes and every pushed image is whole', async (t) => {
    const pushes = []
    const gcs = []
    for (let i = 0; i < 12; i++) {
      pushes.push(pushImage(u, 'gc/race', `t${i}`, `race-${i}`))
      gcs.push(reg.garbageCollect())
    }
    const images = await Promise.all(pushes)
    await Promise.all(gcs)
    clock.advance(2 * HOUR)
    await reg.garbageCollect()
    for (const [i, img] of images.entries()) {
      t.equal((await req(u, 'GET', `/v2/gc/race/manifests/t${i}`)).headers['docker-content-digest'], img.digest)
      t.equal((await req(u, 'GET', `/v2/gc/race/blobs/${img.layer}`)).body.toString(), `layer-race-${i}`)
      t.equal((await req(u, 'HEAD', `/v2/gc/race/blobs/${img.config}`)).status, 200)
    }
  })

  t.test('blobs uploaded for a manifest not yet pushed survive a GC inside the grace period', async (t) => {
    const config = await pushBlob(u, 'gc/pending', '{"pending":true}')
    const layer = await pushBlob(u, 'gc/pending', 'pending layer')
    clock.advance(HOUR / 2)
    await reg.garbageCollect()
    const body = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 16 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 13 }]
    }))
    const r = await req(u, 'PUT', '/v2/gc/pending/manifests/v1', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body })
    t.equal(r.status, 201)
  })

  t.test('dry run reports without deleting', async (t) => {
    const digest = await pushBlob(u, 'gc/dry', 'dry run')
    clock.advance(2 * HOUR)
    const report = await reg.garbageCollect({ dryRun: true })
    t.ok(report.blobsDeleted.includes(digest))
    t.ok(await exists(blobPath(dir, digest)))
  })
})

t.test('periodic garbage collection on the registry clock', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, gcIntervalMs: HOUR / 2, gcGracePeriodMs: HOUR, lifecycleIntervalMs: 0, uploadPurgeIntervalMs: 0 })
  t.teardown(() => srv.close())
  const digest = await pushBlob(srv.url, 'gc/periodic', 'unreferenced')
  clock.advance(HOUR / 2)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await req(srv.url, 'HEAD', `/v2/gc/periodic/blobs/${digest}`)).status, 200, 'the first run is inside the grace period')
  clock.advance(HOUR)
  let status = 0
  for (let i = 0; i < 500 && status !== 404; i++) {
    status = (await req(srv.url, 'HEAD', `/v2/gc/periodic/blobs/${digest}`)).status
    if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.equal(status, 404, 'a later run sweeps it')
})
