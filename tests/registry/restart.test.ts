// Durability across an engine restart (filesystem driver): an upload in progress resumes
// from its Range, including after a client dropped mid-chunk; repositories, settings,
// policies, tags and push times survive.
import t from 'tap'
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Registry } from '../../registry/index.js'
import { ManualClock, errorCodes, eventually, pushImage, req, sha256, startRegistry, tempDir } from './helpers.js'

t.test('an upload in progress survives a restart and resumes from its Range', async (t) => {
  const dir = await tempDir(t)
  const data = randomBytes(1024 * 1024 + 123)
  const half = 600_000
  let srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir } })
  const loc = (await req(srv.url, 'POST', '/v2/restart/app/blobs/uploads/')).headers.location as string
  const first = await req(srv.url, 'PATCH', loc, { headers: { 'content-range': `0-${half - 1}`, 'content-length': String(half) }, body: data.subarray(0, half) })
  t.equal(first.status, 202)
  await srv.close()

  srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir } })
  t.teardown(() => srv.close())
  const status = await req(srv.url, 'GET', loc)
  t.equal(status.status, 204, 'the session is found after the restart')
  t.equal(status.headers.range, `0-${half - 1}`)
  const wrong = await req(srv.url, 'PATCH', loc, { headers: { 'content-range': '0-9', 'content-length': '10' }, body: data.subarray(0, 10) })
  t.equal(wrong.status, 416)
  t.equal(wrong.headers.range, `0-${half - 1}`)
  const rest = await req(srv.url, 'PATCH', loc, { headers: { 'content-range': `${half}-${data.length - 1}`, 'content-length': String(data.length - half) }, body: data.subarray(half) })
  t.equal(rest.status, 202)
  const done = await req(srv.url, 'PUT', `${loc}?digest=${sha256(data)}`)
  t.equal(done.status, 201, 'the digest over both halves verifies')
  t.ok((await req(srv.url, 'GET', `/v2/restart/app/blobs/${sha256(data)}`)).body.equals(data))
})

t.test('a client dropped mid-chunk resumes from the Range the registry reports', async (t) => {
  const dir = await tempDir(t)
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir } })
  t.teardown(() => srv.close())
  const data = randomBytes(2 * 1024 * 1024)
  const loc = (await req(srv.url, 'POST', '/v2/restart/drop/blobs/uploads/')).headers.location as string
  const sent = 700_000
  await new Promise<void>((resolve) => {
    const r = http.request(`${srv.url}${loc}`, { method: 'PATCH', headers: { 'transfer-encoding': 'chunked' } })
    r.on('error', () => resolve())
    r.write(data.subarray(0, sent), () => {
      // Give the registry time to receive the bytes, then drop the connection.
      setTimeout(() => { r.destroy(); resolve() }, 200)
    })
  })
  let range = ''
  await eventually(async () => {
    range = (await req(srv.url, 'GET', loc)).headers.range as string
    return range === `0-${sent - 1}`
  }, 'the registry keeps the bytes it received')
  const have = Number(range.split('-')[1]) + 1
  const resumed = await req(srv.url, 'PUT', `${loc}?digest=${sha256(data)}`, {
    headers: { 'content-range': `${have}-${data.length - 1}`, 'content-length': String(data.length - have) }, body: data.subarray(have)
  })
  t.equal(resumed.status, 201)
  t.ok((await req(srv.url, 'GET', `/v2/restart/drop/blobs/${sha256(data)}`)).body.equals(data))
})

t.test('repositories, settings, policies, tags and push times are durable', async (t) => {
  const dir = await tempDir(t)
  const clock = new ManualClock()
  const storage = { driver: 'filesystem' as const, rootDirectory: dir }
  let srv = await startRegistry({ storage, clock })
  await srv.registry.createRepository({ repositoryName: 'durable/app', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } })
  const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 }, action: { type: 'expire' } }] })
  await srv.registry.putLifecyclePolicy({ repositoryName: 'durable/app', lifecyclePolicyText: policy })
  await srv.registry.setRepositoryPolicy({ repositoryName: 'durable/app', policyText: '{"Version":"2012-10-17","Statement":[]}' })
  const img = await pushImage(srv.url, 'durable/app', 'v1', 'durable')
  const before = await srv.registry.describeRepositories({ repositoryNames: ['durable/app'] })
  const imagesBefore = await srv.registry.describeImages({ repositoryName: 'durable/app' })
  await srv.close()
  clock.advance(60_000)

  srv = await startRegistry({ storage, clock })
  t.teardown(() => srv.close())
  const after = await srv.registry.describeRepositories({ repositoryNames: ['durable/app'] })
  t.same(after.repositories[0].createdAt, before.repositories[0].createdAt)
  t.equal(after.repositories[0].imageTagMutability, 'IMMUTABLE')
  t.equal(after.repositories[0].imageScanningConfiguration.scanOnPush, true)
  t.equal((await srv.registry.getLifecyclePolicy({ repositoryName: 'durable/app' })).lifecyclePolicyText, policy)
  t.equal((await srv.registry.getRepositoryPolicy({ repositoryName: 'durable/app' })).policyText, '{"Version":"2012-10-17","Statement":[]}')
  t.same((await srv.registry.describeImages({ repositoryName: 'durable/app' })).imageDetails, imagesBefore.imageDetails)
  const get = await req(srv.url, 'GET', '/v2/durable/app/manifests/v1')
  t.equal(get.headers['docker-content-digest'], img.digest)
  t.same((await req(srv.url, 'GET', '/v2/_catalog')).json().repositories, ['durable/app'])
  const other = await pushImage(srv.url, 'durable/app', 'tmp', 'other').catch((e) => e)
  t.notOk(other instanceof Error, 'a new tag can be pushed')
  const overwrite = await req(srv.url, 'PUT', '/v2/durable/app/manifests/v1', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: other.manifest })
  t.equal(overwrite.status, 400, 'immutability survived the restart (TAG_INVALID, as ECR)')
})

t.test('a registry opened over an empty directory is empty', async (t) => {
  const dir = await tempDir(t)
  const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: dir } })
  t.same((await registry.describeRepositories()).repositories, [])
  await registry.close()
})

t.test('regression: a blob link whose bytes vanished neither hangs a manifest push nor blocks a re-push', async (t) => {
  const dir = await tempDir(t)
  const storage = { driver: 'filesystem' as const, rootDirectory: dir }
  let srv = await startRegistry({ storage })
  const img = await pushImage(srv.url, 'lost/app', 'v1', 'lost')
  await srv.close()
  const hex = img.layer.slice('sha256:'.length)
  await rm(join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex), { recursive: true })
  srv = await startRegistry({ storage })
  t.teardown(() => srv.close())
  const again = await req(srv.url, 'PUT', '/v2/lost/app/manifests/v2', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: img.manifest })
  t.equal(again.status, 400)
  t.same(errorCodes(again), ['MANIFEST_BLOB_UNKNOWN'])
  t.equal((await req(srv.url, 'HEAD', `/v2/lost/app/blobs/${img.layer}`)).status, 404)
  t.equal((await req(srv.url, 'POST', `/v2/lost/app/blobs/uploads/?digest=${img.layer}`, { body: 'layer-lost' })).status, 201)
  t.equal((await req(srv.url, 'PUT', '/v2/lost/app/manifests/v2', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: img.manifest })).status, 201)
})
