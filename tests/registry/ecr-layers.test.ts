// ECR's layer operations over the registry's real upload sessions and blob store:
// InitiateLayerUpload → UploadLayerPart (ranges checked) → CompleteLayerUpload (digest
// checked), BatchCheckLayerAvailability, and GetDownloadUrlForLayer's URL serving the bytes.
import t from 'tap'
import { pushImage, sha256, startRegistry } from './helpers.js'

t.test('a layer uploaded in parts through the ECR API is available and downloadable', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'team/app' })
  const bytes = Buffer.from('a layer, uploaded in two parts\n'.repeat(100))
  const digest = sha256(bytes)
  t.same(await reg.batchCheckLayerAvailability({ repositoryName: 'team/app', layerDigests: [digest, 'nonsense'] }), {
    layers: [{ layerDigest: digest, layerAvailability: 'UNAVAILABLE' }],
    failures: [{ layerDigest: 'nonsense', failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest: nonsense' }]
  })
  const { uploadId, partSize } = await reg.initiateLayerUpload({ repositoryName: 'team/app' })
  t.ok(partSize > 0)
  const half = 1000
  const one = await reg.uploadLayerPart({ repositoryName: 'team/app', uploadId, partFirstByte: 0, partLastByte: half - 1, layerPartBlob: bytes.subarray(0, half) })
  t.equal(one.lastByteReceived, half - 1)
  await t.rejects(reg.uploadLayerPart({ repositoryName: 'team/app', uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: bytes.subarray(0, 10) }),
    { code: 'InvalidLayerPartException', message: /last valid byte received: 999/ }, 'a part must follow the last byte received')
  await t.rejects(reg.uploadLayerPart({ repositoryName: 'team/app', uploadId, partFirstByte: half, partLastByte: half + 5, layerPartBlob: bytes.subarray(half, half + 3) }),
    { code: 'InvalidLayerPartException' }, 'the range must match the part\'s length')
  await reg.uploadLayerPart({ repositoryName: 'team/app', uploadId, partFirstByte: half, partLastByte: bytes.length - 1, layerPartBlob: bytes.subarray(half) })
  t.same(await reg.completeLayerUpload({ repositoryName: 'team/app', uploadId, layerDigests: [digest] }), { registryId: '000000000000', repositoryName: 'team/app', uploadId, layerDigest: digest })
  t.same((await reg.batchCheckLayerAvailability({ repositoryName: 'team/app', layerDigests: [digest] })).layers, [{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: bytes.length }])
  const { downloadUrl } = await reg.getDownloadUrlForLayer({ repositoryName: 'team/app', layerDigest: digest })
  t.equal(downloadUrl, `${srv.url}/v2/team/app/blobs/${digest}`)
  const got = Buffer.from(await (await fetch(downloadUrl)).arrayBuffer())
  t.ok(got.equals(bytes), 'the URL serves the layer')
  await t.rejects(reg.uploadLayerPart({ repositoryName: 'team/app', uploadId, partFirstByte: bytes.length, partLastByte: bytes.length, layerPartBlob: Buffer.from('x') }),
    { code: 'UploadNotFoundException' }, 'a completed upload is gone')
  const again = await reg.initiateLayerUpload({ repositoryName: 'team/app' })
  await reg.uploadLayerPart({ repositoryName: 'team/app', uploadId: again.uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes })
  await t.rejects(reg.completeLayerUpload({ repositoryName: 'team/app', uploadId: again.uploadId, layerDigests: [digest] }), { code: 'LayerAlreadyExistsException' })
})

t.test('each way an upload can be wrong has ECR\'s exception', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const reg = srv.registry
  await reg.createRepository({ repositoryName: 'rr' })
  const empty = await reg.initiateLayerUpload({ repositoryName: 'rr' })
  await t.rejects(reg.completeLayerUpload({ repositoryName: 'rr', uploadId: empty.uploadId, layerDigests: [sha256('x')] }), { code: 'EmptyUploadException' })
  const wrong = await reg.initiateLayerUpload({ repositoryName: 'rr' })
  await reg.uploadLayerPart({ repositoryName: 'rr', uploadId: wrong.uploadId, partFirstByte: 0, partLastByte: 2, layerPartBlob: Buffer.from('abc') })
  await t.rejects(reg.completeLayerUpload({ repositoryName: 'rr', uploadId: wrong.uploadId, layerDigests: [sha256('abd')] }), { code: 'InvalidLayerException' })
  await t.rejects(reg.completeLayerUpload({ repositoryName: 'rr', uploadId: wrong.uploadId, layerDigests: ['sha256:zz'] }), { code: 'InvalidLayerException' })
  await t.rejects(reg.uploadLayerPart({ repositoryName: 'rr', uploadId: '00000000-0000-4000-8000-000000000000', partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.from('a') }), { code: 'UploadNotFoundException', field: 'uploadId' })
  await t.rejects(reg.initiateLayerUpload({ repositoryName: 'absent' }), { code: 'RepositoryNotFoundException' })
  await t.rejects(reg.getDownloadUrlForLayer({ repositoryName: 'rr', layerDigest: sha256('never') }), { code: 'LayersNotFoundException' })
  await t.rejects(reg.getDownloadUrlForLayer({ repositoryName: 'rr', layerDigest: 'bad' }), { code: 'InvalidParameterException', field: 'layerDigest' })
  await t.rejects(reg.batchCheckLayerAvailability({ repositoryName: 'rr', layerDigests: [] }), { code: 'InvalidParameterException', field: 'layerDigests' })
  // A layer pushed over /v2/ is the same layer for the ECR API.
  const { layer } = await pushImage(srv.url, 'rr', 'v1')
  t.equal((await reg.batchCheckLayerAvailability({ repositoryName: 'rr', layerDigests: [layer] })).layers[0].layerAvailability, 'AVAILABLE')
})

t.test('tags, DescribeRegistry and lifecycle policy previews', async (t) => {
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const reg = srv.registry
  const { repository } = await reg.createRepository({ repositoryName: 'tagged', tags: [{ Key: 'team', Value: 'a' }] })
  const arn = repository.repositoryArn
  t.same(await reg.listTagsForResource({ resourceArn: arn }), { tags: [{ Key: 'team', Value: 'a' }] }, 'tags given at create are kept')
  await reg.tagResource({ resourceArn: arn, tags: [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'b' }] })
  await reg.untagResource({ resourceArn: arn, tagKeys: ['env'] })
  t.same(await reg.listTagsForResource({ resourceArn: arn }), { tags: [{ Key: 'team', Value: 'b' }] })
  t.same(reg.resourceTags(arn), { team: 'b' })
  await t.rejects(reg.tagResource({ resourceArn: arn, tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: '' })) }), { code: 'TooManyTagsException', limit: '50' })
  await t.rejects(reg.tagResource({ resourceArn: arn, tags: [{ Key: 'aws:x', Value: '' }] }), { code: 'InvalidTagParameterException' })
  await t.rejects(reg.tagResource({ resourceArn: arn, tags: [{ Key: 'k'.repeat(129), Value: '' }] }), { code: 'InvalidTagParameterException', limit: '1..128 characters' })
  await t.rejects(reg.tagResource({ resourceArn: arn, tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }), { code: 'InvalidTagParameterException' })
  await t.rejects(reg.listTagsForResource({ resourceArn: arn.replace('tagged', 'absent') }), { code: 'RepositoryNotFoundException' })
  await t.rejects(reg.listTagsForResource({ resourceArn: 'arn:aws:ecr:eu-west-1:000000000000:repository/tagged' }), { code: 'InvalidParameterException', field: 'resourceArn' })
  t.same(await reg.listTagsForResource({ resourceArn: arn }), { tags: [{ Key: 'team', Value: 'b' }] }, 'refused calls changed nothing')
  await t.rejects(reg.createRepository({ repositoryName: 'bad', tags: [{ Key: 'aws:no', Value: '' }] }), { code: 'InvalidTagParameterException' })
  t.same(reg.describeRegistry(), { registryId: '000000000000', replicationConfiguration: { rules: [] } })

  await pushImage(srv.url, 'tagged', 'old', 'a')
  await pushImage(srv.url, 'tagged', 'new', 'b')
  await t.rejects(reg.startLifecyclePolicyPreview({ repositoryName: 'tagged' }), { code: 'LifecyclePolicyNotFoundException' })
  await t.rejects(reg.startLifecyclePolicyPreview({ repositoryName: 'tagged', lifecyclePolicyText: '{"rules": 3}' }), { code: 'InvalidParameterException' })
  const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] })
  t.match(await reg.startLifecyclePolicyPreview({ repositoryName: 'tagged', lifecyclePolicyText: policy }), { repositoryName: 'tagged', lifecyclePolicyText: policy, status: 'IN_PROGRESS' })
  const preview = await reg.getLifecyclePolicyPreview({ repositoryName: 'tagged' })
  t.equal(preview.status, 'COMPLETE')
  t.equal(preview.summary.expiringImageTotalCount, 1, 'the previewed policy, not a stored one (there is none)')
  t.equal((await reg.listImages({ repositoryName: 'tagged' })).imageIds.length, 2, 'a preview expires nothing')
})
