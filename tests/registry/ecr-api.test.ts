// ECR's repository model through the Registry API: repositories, images, tags, deletes,
// repository policies and the shapes (field for field) the SDK hands out.
import t from 'tap'
import { ManualClock, errorCodes, pushImage, req, startRegistry } from './helpers.js'

t.test('repositories', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock, accountId: '123456789012', regionName: 'eu-west-1' })
  t.teardown(() => srv.close())
  const reg = srv.registry
  const { repository } = await reg.createRepository({ repositoryName: 'team/app', imageScanningConfiguration: { scanOnPush: true } })
  t.same(repository, {
    repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
    registryId: '123456789012',
    repositoryName: 'team/app',
    repositoryUri: `${srv.host}/team/app`,
    createdAt: new Date(clock.now()),
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfiguration: { encryptionType: 'AES256' }
  })
  await t.rejects(reg.createRepository({ repositoryName: 'team/app' }), { code: 'RepositoryAlreadyExistsException' })
  for (const bad of ['A', 'Team/App', 'team//app', '-team', 'team/', 'x'.repeat(257), '']) {
    await t.rejects(reg.createRepository({ repositoryName: bad }), { code: 'InvalidParameterException', field: 'repositoryName', limit: /2\.\.256/ }, JSON.stringify(bad).slice(0, 20))
  }
  await t.rejects(reg.createRepository({ repositoryName: 'team/x', imageTagMutability: 'NEVER' as never }), { code: 'InvalidParameterException', field: 'imageTagMutability' })
  t.same((await reg.describeRepositories()).repositories.map((r) => r.repositoryName), ['team/app'], 'bad input created nothing')

  for (const name of ['b/one', 'b/two', 'b/three']) await reg.createRepository({ repositoryName: name })
  const page1 = await reg.describeRepositories({ maxResults: 2 })
  t.same(page1.repositories.map((r) => r.repositoryName), ['b/one', 'b/three'])
  const page2 = await reg.describeRepositories({ maxResults: 2, nextToken: page1.nextToken })
  t.same(page2.repositories.map((r) => r.repositoryName), ['b/two', 'team/app'])
  t.equal(page2.nextToken, undefined)
  await t.rejects(reg.describeRepositories({ repositoryNames: ['nope/nope'] }), { code: 'RepositoryNotFoundException', kind: 'NotFound' })

  await pushImage(srv.url, 'team/app', 'v1')
  await t.rejects(reg.deleteRepository({ repositoryName: 'team/app' }), { code: 'RepositoryNotEmptyException' })
  const deleted = await reg.deleteRepository({ repositoryName: 'team/app', force: true })
  t.equal(deleted.repository.repositoryName, 'team/app')
  t.equal((await req(srv.url, 'GET', '/v2/team/app/manifests/v1')).status, 404)
  t.notOk((await req(srv.url, 'GET', '/v2/_catalog')).json().repositories.includes('team/app'))
  await t.rejects(reg.deleteRepository({ repositoryName: 'team/app' }), { code: 'RepositoryNotFoundException' })

  const scan = await reg.putImageScanningConfiguration({ repositoryName: 'b/one', imageScanningConfiguration: { scanOnPush: true } })
  t.same(scan.imageScanningConfiguration, { scanOnPush: true })
  t.equal((await reg.describeRepositories({ repositoryNames: ['b/one'] })).repositories[0].imageScanningConfiguration.scanOnPush, true)
})

t.test('images, tags and deletes', async (t) => {
  const clock = new ManualClock()
  const srv = await startRegistry({ clock })
  t.teardown(() => srv.close())
  const reg = srv.registry
  const u = srv.url
  const a = await pushImage(u, 'img/app', 'a1', 'a')
  await req(u, 'PUT', '/v2/img/app/manifests/a2', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: a.manifest })
  clock.advance(1000)
  const b = await pushImage(u, 'img/app', 'b1', 'b')
  clock.advance(1000)
  const c = await pushImage(u, 'img/app', c_tag(), 'c')
  await req(u, 'DELETE', `/v2/img/app/manifests/${c_tag()}`)

  const all = await reg.describeImages({ repositoryName: 'img/app' })
  t.same(all.imageDetails.map((d) => d.imageDigest), [c.digest, b.digest, a.digest], 'newest first')
  const detailA = all.imageDetails[2]
  t.same(detailA, {
    registryId: '000000000000',
    repositoryName: 'img/app',
    imageDigest: a.digest,
    imageTags: ['a1', 'a2'],
    imageSizeInBytes: 'layer-a'.length,
    imagePushedAt: new Date(clock.now() - 2000),
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactMediaType: 'application/vnd.oci.image.config.v1+json'
  })
  t.equal(all.imageDetails[0].imageTags, undefined, 'untagged images have no imageTags')
  t.same((await reg.describeImages({ repositoryName: 'img/app', filter: { tagStatus: 'UNTAGGED' } })).imageDetails.map((d) => d.imageDigest), [c.digest])
  t.same((await reg.describeImages({ repositoryName: 'img/app', filter: { tagStatus: 'TAGGED' } })).imageDetails.length, 2)
  t.same((await reg.describeImages({ repositoryName: 'img/app', imageIds: [{ imageTag: 'b1' }] })).imageDetails.map((d) => d.imageDigest), [b.digest])
  await t.rejects(reg.describeImages({ repositoryName: 'img/app', imageIds: [{ imageTag: 'zz' }] }), { code: 'ImageNotFoundException' })
  const page = await reg.describeImages({ repositoryName: 'img/app', maxResults: 2 })
  t.equal(page.imageDetails.length, 2)
  t.equal((await reg.describeImages({ repositoryName: 'img/app', maxResults: 2, nextToken: page.nextToken })).imageDetails.length, 1)

  t.same((await reg.listImages({ repositoryName: 'img/app' })).imageIds, [
    { imageDigest: c.digest }, { imageDigest: b.digest, imageTag: 'b1' }, { imageDigest: a.digest, imageTag: 'a1' }, { imageDigest: a.digest, imageTag: 'a2' }
  ])
  t.same(await reg.listTags({ repositoryName: 'img/app' }), ['a1', 'a2', 'b1'])

  const got = await reg.batchGetImage({ repositoryName: 'img/app', imageIds: [{ imageTag: 'a1' }, { imageTag: 'missing' }, { imageDigest: 'sha256:bad' }] })
  t.equal(got.images.length, 1)
  t.equal(got.images[0].imageManifest, a.manifest.toString())
  t.same(got.failures.map((f) => f.failureCode), ['ImageNotFound', 'InvalidImageDigest'])

  // ECR semantics: removing an image's last tag deletes the image.
  const del1 = await reg.batchDeleteImage({ repositoryName: 'img/app', imageIds: [{ imageTag: 'a1' }] })
  t.same(del1.imageIds, [{ imageDigest: a.digest, imageTag: 'a1' }])
  t.equal((await req(u, 'GET', `/v2/img/app/manifests/${a.digest}`)).status, 200, 'a2 still holds the image')
  await reg.batchDeleteImage({ repositoryName: 'img/app', imageIds: [{ imageTag: 'a2' }] })
  t.equal((await req(u, 'GET', `/v2/img/app/manifests/${a.digest}`)).status, 404, 'its last tag gone, the image is deleted')
  const del2 = await reg.batchDeleteImage({ repositoryName: 'img/app', imageIds: [{ imageDigest: b.digest }, { imageDigest: a.digest }, { imageTag: 'b1', imageDigest: c.digest }] })
  t.same(del2.imageIds, [{ imageDigest: b.digest, imageTag: 'b1' }])
  t.same(del2.failures.map((f) => f.failureCode), ['ImageNotFound', 'ImageTagDoesNotMatchDigest'])

  // PutImage tags an existing manifest (its blobs are in the repository).
  const put = await reg.putImage({ repositoryName: 'img/app', imageManifest: c.manifest.toString(), imageTag: 'retagged' })
  t.equal(put.image.imageId.imageDigest, c.digest)
  t.same(await reg.listTags({ repositoryName: 'img/app' }), ['retagged'])
  await t.rejects(reg.putImage({ repositoryName: 'img/app', imageManifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}' }), { code: 'MANIFEST_BLOB_UNKNOWN' })
  await t.rejects(reg.describeImages({ repositoryName: 'img/none' }), { code: 'RepositoryNotFoundException' })
})

function c_tag (): string { return 'temporary' }

t.test('repository policies are stored and returned', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'pol/app' })
  await t.rejects(reg.getRepositoryPolicy({ repositoryName: 'pol/app' }), { code: 'RepositoryPolicyNotFoundException' })
  await t.rejects(reg.setRepositoryPolicy({ repositoryName: 'pol/app', policyText: 'nope' }), { code: 'InvalidParameterException', field: 'policyText' })
  const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }] })
  t.same(await reg.setRepositoryPolicy({ repositoryName: 'pol/app', policyText: text }), { registryId: '000000000000', repositoryName: 'pol/app', policyText: text })
  t.equal((await reg.getRepositoryPolicy({ repositoryName: 'pol/app' })).policyText, text)
  t.equal((await reg.deleteRepositoryPolicy({ repositoryName: 'pol/app' })).policyText, text)
  await t.rejects(reg.getRepositoryPolicy({ repositoryName: 'pol/app' }), { code: 'RepositoryPolicyNotFoundException' })
})

t.test('a registry that refuses to create repositories on push', async (t) => {
  const srv = await startRegistry({ createRepositoryOnPush: false })
  t.teardown(() => srv.close())
  const r = await req(srv.url, 'POST', '/v2/strict/app/blobs/uploads/')
  t.equal(r.status, 404)
  t.same(errorCodes(r), ['NAME_UNKNOWN'])
  await srv.registry.createRepository({ repositoryName: 'strict/app' })
  t.equal((await req(srv.url, 'POST', '/v2/strict/app/blobs/uploads/')).status, 202)
  await t.rejects(srv.registry.image('strict/other:1').fromScratch().addContent('x', '/x').push(), { code: 'NAME_UNKNOWN' })
})

t.test('options are validated', async (t) => {
  const { Registry } = await import('../../registry/index.js')
  await t.rejects(Registry.open({ accountId: '12' }), { code: 'InvalidParameterException', field: 'accountId' })
  await t.rejects(Registry.open({ storage: { driver: 'floppy' } as never }), { code: 'InvalidParameterException', field: 'storage.driver' })
  await t.rejects(Registry.open({ auth: { users: { AWS: 'x' } } }), { code: 'InvalidParameterException', field: 'auth.users' })
})

t.test('pushes and lifecycle expiries are published on diagnostics channels', async (t) => {
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel')
  const pushes: Array<Record<string, unknown>> = []
  const expiries: Array<{ repositoryName: string, previewResults: unknown[] }> = []
  const onPush = (m: unknown): void => { pushes.push(m as Record<string, unknown>) }
  const onExpire = (m: unknown): void => { expiries.push(m as { repositoryName: string, previewResults: unknown[] }) }
  subscribe('stratus:registry:push', onPush)
  subscribe('stratus:registry:lifecycle', onExpire)
  t.teardown(() => { unsubscribe('stratus:registry:push', onPush); unsubscribe('stratus:registry:lifecycle', onExpire) })
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const a = await pushImage(srv.url, 'diag/app', 'v1', 'a')
  await pushImage(srv.url, 'diag/app', 'v2', 'b')
  t.same(pushes.filter((p) => p.repositoryName === 'diag/app')[0], { repositoryName: 'diag/app', imageDigest: a.digest, imageTag: 'v1', mediaType: 'application/vnd.oci.image.manifest.v1+json' })
  await srv.registry.putLifecyclePolicy({ repositoryName: 'diag/app', lifecyclePolicyText: JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] }) })
  await srv.registry.applyLifecyclePolicy({ repositoryName: 'diag/app' })
  t.equal(expiries.length, 1)
  t.equal(expiries[0].repositoryName, 'diag/app')
  t.equal(expiries[0].previewResults.length, 1)
})
