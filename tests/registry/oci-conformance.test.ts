// The OCI distribution-spec v1.1 conformance workflows (pull, push, content discovery,
// content management), written from the spec text, against a real server.
import t from 'tap'
import { createHash } from 'node:crypto'
import { errorCodes, pushBlob, pushImage, req, sha256, startRegistry } from './helpers.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

t.test('OCI conformance', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const u = srv.url

  t.test('base: GET /v2/ is 200 with the API version header', async (t) => {
    const r = await req(u, 'GET', '/v2/')
    t.equal(r.status, 200)
    t.equal(r.headers['docker-distribution-api-version'], 'registry/2.0')
  })

  t.test('pull workflow', async (t) => {
    const img = await pushImage(u, 'conf/pull', 'v1', 'pull')
    for (const ref of ['v1', img.digest]) {
      const get = await req(u, 'GET', `/v2/conf/pull/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } })
      t.equal(get.status, 200, `GET manifest ${ref}`)
      t.equal(get.headers['docker-content-digest'], img.digest)
      t.equal(get.headers['content-type'], OCI_MANIFEST)
      t.same(get.body, img.manifest)
      const head = await req(u, 'HEAD', `/v2/conf/pull/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } })
      t.equal(head.status, 200)
      t.equal(head.headers['docker-content-digest'], img.digest)
      t.equal(Number(head.headers['content-length']), img.manifest.length)
      t.equal(head.body.length, 0)
    }
    const missing = await req(u, 'GET', '/v2/conf/pull/manifests/nope')
    t.equal(missing.status, 404)
    t.same(errorCodes(missing), ['MANIFEST_UNKNOWN'])
    // The conformance suite (v1.1.1) asks for a manifest that cannot exist: neither a tag nor
    // a digest. Regression: it was 400 MANIFEST_INVALID.
    const impossible = await req(u, 'GET', '/v2/conf/pull/manifests/.INVALID_MANIFEST_NAME')
    t.equal(impossible.status, 404, 'GET of a reference that is neither a tag nor a digest: 404')
    t.same(errorCodes(impossible), ['MANIFEST_UNKNOWN'])
    const impossibleHead = await req(u, 'HEAD', '/v2/conf/pull/manifests/.INVALID_MANIFEST_NAME')
    t.equal(impossibleHead.status, 404, 'HEAD of it: 404')
    t.equal(impossibleHead.body.length, 0)
    // Storing under such a reference stays refused (the suite accepts 400 or 404 there).
    const storeImpossible = await req(u, 'PUT', '/v2/conf/pull/manifests/.INVALID_MANIFEST_NAME', {
      headers: { 'content-type': OCI_MANIFEST }, body: img.manifest
    })
    t.equal(storeImpossible.status, 400)
    t.same(errorCodes(storeImpossible), ['MANIFEST_INVALID'])
    const totallyWrong = await req(u, 'PUT', '/v2/conf/pull/manifests/sha256:totallywrong', {
      headers: { 'content-type': OCI_MANIFEST }, body: img.manifest
    })
    t.equal(totallyWrong.status, 400)
    t.same(errorCodes(totallyWrong), ['DIGEST_INVALID'])
    const blob = await req(u, 'GET', `/v2/conf/pull/blobs/${img.layer}`)
    t.equal(blob.status, 200)
    t.equal(blob.body.toString(), 'layer-pull')
    t.equal(blob.headers['docker-content-digest'], img.layer)
    const headBlob = await req(u, 'HEAD', `/v2/conf/pull/blobs/${img.layer}`)
    t.equal(headBlob.status, 200)
    t.equal(Number(headBlob.headers['content-length']), 'layer-pull'.length)
    const range = await req(u, 'GET', `/v2/conf/pull/blobs/${img.layer}`, { headers: { range: 'bytes=2-5' } })
    t.equal(range.status, 206)
    t.equal(range.body.toString(), 'yer-')
    t.equal(range.headers['content-range'], `bytes 2-5/${'layer-pull'.length}`)
    const suffix = await req(u, 'GET', `/v2/conf/pull/blobs/${img.layer}`, { headers: { range: 'bytes=-4' } })
    t.equal(suffix.body.toString(), 'pull')
    const unsatisfiable = await req(u, 'GET', `/v2/conf/pull/blobs/${img.layer}`, { headers: { range: 'bytes=100-' } })
    t.equal(unsatisfiable.status, 416)
    const unknownBlob = await req(u, 'GET', `/v2/conf/pull/blobs/${sha256('never pushed')}`)
    t.equal(unknownBlob.status, 404)
    t.same(errorCodes(unknownBlob), ['BLOB_UNKNOWN'])
    const unknownRepo = await req(u, 'GET', '/v2/conf/none/manifests/v1')
    t.equal(unknownRepo.status, 404)
    t.same(errorCodes(unknownRepo), ['NAME_UNKNOWN'])
    const badName = await req(u, 'GET', '/v2/Conf/UPPER/manifests/v1')
    t.equal(badName.status, 400)
    t.same(errorCodes(badName), ['NAME_INVALID'])
  })

  t.test('push workflow', async (t) => {
    // POST then PUT (monolithic in two steps)
    const content = Buffer.from('two step upload')
    const post = await req(u, 'POST', '/v2/conf/push/blobs/uploads/')
    t.equal(post.status, 202)
    const location = post.headers.location as string
    t.match(location, /^\/v2\/conf\/push\/blobs\/uploads\/[0-9a-f-]+$/)
    const put = await req(u, 'PUT', `${location}?digest=${sha256(content)}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.length) }, body: content
    })
    t.equal(put.status, 201)
    t.equal(put.headers.location, `/v2/conf/push/blobs/${sha256(content)}`)
    t.equal(put.headers['docker-content-digest'], sha256(content))

    // POST with ?digest= (single request)
    const single = Buffer.from('single post')
    const one = await req(u, 'POST', `/v2/conf/push/blobs/uploads/?digest=${sha256(single)}`, {
      headers: { 'content-type': 'application/octet-stream' }, body: single
    })
    t.equal(one.status, 201)
    t.equal(one.headers['docker-content-digest'], sha256(single))

    // chunked: PATCH with Content-Range, status GET, final PUT
    const whole = Buffer.from('0123456789abcdefghij')
    const start = await req(u, 'POST', '/v2/conf/push/blobs/uploads/')
    const loc = start.headers.location as string
    const c1 = await req(u, 'PATCH', loc, { headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9', 'content-length': '10' }, body: whole.subarray(0, 10) })
    t.equal(c1.status, 202)
    t.equal(c1.headers.range, '0-9')
    const status = await req(u, 'GET', loc)
    t.equal(status.status, 204)
    t.equal(status.headers.range, '0-9')
    t.equal(status.headers.location, loc)
    const c2 = await req(u, 'PATCH', c1.headers.location as string, { headers: { 'content-type': 'application/octet-stream', 'content-range': '10-19', 'content-length': '10' }, body: whole.subarray(10) })
    t.equal(c2.status, 202)
    t.equal(c2.headers.range, '0-19')
    const fin = await req(u, 'PUT', `${loc}?digest=${sha256(whole)}`)
    t.equal(fin.status, 201)
    t.equal((await req(u, 'GET', `/v2/conf/push/blobs/${sha256(whole)}`)).body.toString(), whole.toString())

    // empty blob
    const empty = await req(u, 'POST', `/v2/conf/push/blobs/uploads/?digest=${sha256('')}`, { body: '' })
    t.equal(empty.status, 201)
    t.equal((await req(u, 'HEAD', `/v2/conf/push/blobs/${sha256('')}`)).status, 200)

    // cross-repository mount, and the 202 fallback when the source lacks the blob
    const mounted = await req(u, 'POST', `/v2/conf/other/blobs/uploads/?mount=${sha256(single)}&from=conf/push`)
    t.equal(mounted.status, 201)
    t.equal(mounted.headers.location, `/v2/conf/other/blobs/${sha256(single)}`)
    t.equal((await req(u, 'GET', `/v2/conf/other/blobs/${sha256(single)}`)).body.toString(), 'single post')
    const fallback = await req(u, 'POST', `/v2/conf/other/blobs/uploads/?mount=${sha256('absent')}&from=conf/push`)
    t.equal(fallback.status, 202)
    t.match(fallback.headers.location, /\/blobs\/uploads\//)

    // manifest by tag and by digest
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(content), size: content.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(whole), size: whole.length }]
    }))
    const byTag = await req(u, 'PUT', '/v2/conf/push/manifests/latest', { headers: { 'content-type': OCI_MANIFEST }, body: manifest })
    t.equal(byTag.status, 201)
    t.equal(byTag.headers['docker-content-digest'], sha256(manifest))
    t.equal(byTag.headers.location, `/v2/conf/push/manifests/${sha256(manifest)}`)
    const byDigest = await req(u, 'PUT', `/v2/conf/push/manifests/${sha256(manifest)}`, { headers: { 'content-type': OCI_MANIFEST }, body: manifest })
    t.equal(byDigest.status, 201)
    const wrongDigest = await req(u, 'PUT', `/v2/conf/push/manifests/${sha256('other')}`, { headers: { 'content-type': OCI_MANIFEST }, body: manifest })
    t.equal(wrongDigest.status, 400)
    t.same(errorCodes(wrongDigest), ['DIGEST_INVALID'])

    // a manifest naming missing blobs: one MANIFEST_BLOB_UNKNOWN per blob, nothing stored
    const dangling = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('nope-1'), size: 6 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256('nope-2'), size: 6 }]
    }))
    const rejected = await req(u, 'PUT', '/v2/conf/push/manifests/dangling', { headers: { 'content-type': OCI_MANIFEST }, body: dangling })
    t.equal(rejected.status, 400)
    t.same(errorCodes(rejected), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN'])
    t.same(rejected.json().errors.map((e: { detail: { digest: string } }) => e.detail.digest), [sha256('nope-1'), sha256('nope-2')])
    t.equal((await req(u, 'GET', '/v2/conf/push/manifests/dangling')).status, 404)

    const garbage = await req(u, 'PUT', '/v2/conf/push/manifests/bad', { headers: { 'content-type': OCI_MANIFEST }, body: '{not json' })
    t.equal(garbage.status, 400)
    t.same(errorCodes(garbage), ['MANIFEST_INVALID'])
  })

  t.test('sha512 digests for blobs and manifests', async (t) => {
    const content = Buffer.from('sha512 content')
    const d512 = `sha512:${createHash('sha512').update(content).digest('hex')}`
    const r = await req(u, 'POST', `/v2/conf/s512/blobs/uploads/?digest=${d512}`, { body: content })
    t.equal(r.status, 201)
    const get = await req(u, 'GET', `/v2/conf/s512/blobs/${d512}`)
    t.equal(get.status, 200)
    t.equal(get.headers['docker-content-digest'], d512)
    t.equal(get.body.toString(), 'sha512 content')
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d512, size: content.length }, layers: []
    }))
    const m512 = `sha512:${createHash('sha512').update(manifest).digest('hex')}`
    const put = await req(u, 'PUT', `/v2/conf/s512/manifests/${m512}`, { headers: { 'content-type': OCI_MANIFEST }, body: manifest })
    t.equal(put.status, 201)
    t.equal(put.headers['docker-content-digest'], m512)
    t.equal((await req(u, 'GET', `/v2/conf/s512/manifests/${m512}`)).headers['docker-content-digest'], m512)
  })

  t.test('content discovery: tags, catalog, referrers', async (t) => {
    const img = await pushImage(u, 'conf/disc', 'a', 'disc')
    for (const tag of ['b', 'c', 'd', 'e']) {
      t.equal((await req(u, 'PUT', `/v2/conf/disc/manifests/${tag}`, { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })).status, 201)
    }
    const all = await req(u, 'GET', '/v2/conf/disc/tags/list')
    t.same(all.json(), { name: 'conf/disc', tags: ['a', 'b', 'c', 'd', 'e'] })
    const page1 = await req(u, 'GET', '/v2/conf/disc/tags/list?n=2')
    t.same(page1.json().tags, ['a', 'b'])
    t.equal(page1.headers.link, '</v2/conf/disc/tags/list?n=2&last=b>; rel="next"')
    const page2 = await req(u, 'GET', '/v2/conf/disc/tags/list?n=2&last=b')
    t.same(page2.json().tags, ['c', 'd'])
    const page3 = await req(u, 'GET', '/v2/conf/disc/tags/list?n=2&last=d')
    t.same(page3.json().tags, ['e'])
    t.equal(page3.headers.link, undefined)
    t.same((await req(u, 'GET', '/v2/conf/disc/tags/list?n=0')).json().tags, [])

    const catalog = await req(u, 'GET', '/v2/_catalog')
    t.ok(catalog.json().repositories.includes('conf/disc'))
    const cat1 = await req(u, 'GET', '/v2/_catalog?n=1')
    t.equal(cat1.json().repositories.length, 1)
    t.match(cat1.headers.link, /^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/)

    // referrers: two artifacts pointing at the image through `subject`
    const emptyConfig = await pushBlob(u, 'conf/disc', '{}')
    const subject = { mediaType: OCI_MANIFEST, digest: img.digest, size: img.manifest.length }
    const artifacts: Record<string, string> = {}
    for (const type of ['application/vnd.example.sbom', 'application/vnd.example.signature']) {
      const body = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: type,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyConfig, size: 2 },
        layers: [], subject, annotations: { 'org.example.kind': type }
      }))
      const r = await req(u, 'PUT', `/v2/conf/disc/manifests/${sha256(body)}`, { headers: { 'content-type': OCI_MANIFEST }, body })
      t.equal(r.status, 201)
      t.equal(r.headers['oci-subject'], img.digest, 'OCI-Subject names the subject')
      artifacts[type] = sha256(body)
    }
    const refs = await req(u, 'GET', `/v2/conf/disc/referrers/${img.digest}`)
    t.equal(refs.status, 200)
    t.equal(refs.headers['content-type'], OCI_INDEX)
    const index = refs.json()
    t.equal(index.mediaType, OCI_INDEX)
    t.same(index.manifests.map((m: { artifactType: string }) => m.artifactType).sort(), ['application/vnd.example.sbom', 'application/vnd.example.signature'])
    t.same(index.manifests.find((m: { digest: string }) => m.digest === artifacts['application/vnd.example.sbom']).annotations, { 'org.example.kind': 'application/vnd.example.sbom' })
    const filtered = await req(u, 'GET', `/v2/conf/disc/referrers/${img.digest}?artifactType=application/vnd.example.sbom`)
    t.equal(filtered.headers['oci-filters-applied'], 'artifactType')
    t.same(filtered.json().manifests.map((m: { digest: string }) => m.digest), [artifacts['application/vnd.example.sbom']])
    const none = await req(u, 'GET', `/v2/conf/disc/referrers/${sha256('no referrers')}`)
    t.equal(none.status, 200)
    t.same(none.json().manifests, [])
    const malformed = await req(u, 'GET', '/v2/conf/disc/referrers/sha256:xyz')
    t.equal(malformed.status, 400)
    t.same(errorCodes(malformed), ['DIGEST_INVALID'])
  })

  t.test('content management: delete tag, manifest, blob', async (t) => {
    const img = await pushImage(u, 'conf/mgmt', 'keep', 'mgmt')
    await req(u, 'PUT', '/v2/conf/mgmt/manifests/drop', { headers: { 'content-type': OCI_MANIFEST }, body: img.manifest })
    const delTag = await req(u, 'DELETE', '/v2/conf/mgmt/manifests/drop')
    t.equal(delTag.status, 202)
    t.equal((await req(u, 'GET', '/v2/conf/mgmt/manifests/drop')).status, 404)
    t.equal((await req(u, 'GET', `/v2/conf/mgmt/manifests/${img.digest}`)).status, 200, 'the manifest stays')
    const delManifest = await req(u, 'DELETE', `/v2/conf/mgmt/manifests/${img.digest}`)
    t.equal(delManifest.status, 202)
    t.equal((await req(u, 'GET', `/v2/conf/mgmt/manifests/${img.digest}`)).status, 404)
    t.equal((await req(u, 'GET', '/v2/conf/mgmt/manifests/keep')).status, 404, 'its tags went with it')
    t.same((await req(u, 'GET', '/v2/conf/mgmt/tags/list')).json().tags, [])
    const delBlob = await req(u, 'DELETE', `/v2/conf/mgmt/blobs/${img.layer}`)
    t.equal(delBlob.status, 202)
    t.equal((await req(u, 'GET', `/v2/conf/mgmt/blobs/${img.layer}`)).status, 404)
    const again = await req(u, 'DELETE', `/v2/conf/mgmt/blobs/${img.layer}`)
    t.equal(again.status, 404)
    t.same(errorCodes(again), ['BLOB_UNKNOWN'])
    t.equal((await req(u, 'DELETE', `/v2/conf/mgmt/manifests/${img.digest}`)).status, 404)
  })

  t.test('Docker schema 2 manifest list and content negotiation', async (t) => {
    const amd = await pushImage(u, 'conf/multi', 'amd64', 'amd')
    const arm = await pushImage(u, 'conf/multi', 'arm64', 'arm')
    // re-push the children as Docker schema 2 manifests
    const docker = (m: Buffer): Buffer => Buffer.from(JSON.stringify({ ...JSON.parse(m.toString()), mediaType: DOCKER_MANIFEST }))
    const amdD = docker(amd.manifest)
    const armD = docker(arm.manifest)
    for (const m of [amdD, armD]) {
      t.equal((await req(u, 'PUT', `/v2/conf/multi/manifests/${sha256(m)}`, { headers: { 'content-type': DOCKER_MANIFEST }, body: m })).status, 201)
    }
    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_LIST,
      manifests: [
        { mediaType: DOCKER_MANIFEST, digest: sha256(armD), size: armD.length, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: DOCKER_MANIFEST, digest: sha256(amdD), size: amdD.length, platform: { os: 'linux', architecture: 'amd64' } }
      ]
    }))
    t.equal((await req(u, 'PUT', '/v2/conf/multi/manifests/multi', { headers: { 'content-type': DOCKER_LIST }, body: list })).status, 201)
    const asList = await req(u, 'GET', '/v2/conf/multi/manifests/multi', { headers: { accept: `${DOCKER_LIST}, ${DOCKER_MANIFEST}` } })
    t.equal(asList.headers['content-type'], DOCKER_LIST)
    t.equal(asList.headers['docker-content-digest'], sha256(list))
    const asChild = await req(u, 'GET', '/v2/conf/multi/manifests/multi', { headers: { accept: DOCKER_MANIFEST } })
    t.equal(asChild.headers['content-type'], DOCKER_MANIFEST)
    t.equal(asChild.headers['docker-content-digest'], sha256(amdD), 'a client without list support gets linux/amd64')
    const refused = await req(u, 'GET', `/v2/conf/multi/manifests/${sha256(amdD)}`, { headers: { accept: OCI_MANIFEST } })
    t.equal(refused.status, 404)
    t.same(errorCodes(refused), ['MANIFEST_UNKNOWN'])
    const anyType = await req(u, 'GET', `/v2/conf/multi/manifests/${sha256(amdD)}`, { headers: { accept: '*/*' } })
    t.equal(anyType.status, 200)
    const missingChild = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('absent manifest'), size: 10 }]
    }))
    const bad = await req(u, 'PUT', '/v2/conf/multi/manifests/broken', { headers: { 'content-type': OCI_INDEX }, body: missingChild })
    t.equal(bad.status, 400)
    t.same(errorCodes(bad), ['MANIFEST_BLOB_UNKNOWN'])
  })
})
