// ECR's layer, tagging, registry and lifecycle-preview operations over the
// wire: the official @aws-sdk/client-ecr against an embedded cloud's endpoint
// (the whole engine). A layer pushed in parts through the API becomes an image
// with PutImage, and its download URL serves the bytes.
import t from 'tap'
import { createHash } from 'node:crypto'
import {
  BatchCheckLayerAvailabilityCommand, CompleteLayerUploadCommand, CreateRepositoryCommand, DescribeImagesCommand, DescribeRegistryCommand, ECRClient,
  GetDownloadUrlForLayerCommand, GetLifecyclePolicyPreviewCommand, InitiateLayerUploadCommand, InvalidLayerException, InvalidLayerPartException,
  InvalidTagParameterException, LayerAlreadyExistsException, LayersNotFoundException, LifecyclePolicyNotFoundException, ListImagesCommand,
  ListTagsForResourceCommand, PutImageCommand, RepositoryNotFoundException, StartLifecyclePolicyPreviewCommand, TagResourceCommand,
  TooManyTagsException, UntagResourceCommand, UploadLayerPartCommand, UploadNotFoundException, type ECRClient as Client
} from '@aws-sdk/client-ecr'
import { clientConfig, simulatedCloud } from './clients.js'
import { ECR_MAX_BODY_BYTES } from '../../../runtime/api/tables/ecr.js'

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** Uploads `bytes` as one layer through Initiate → UploadLayerPart (one part) → Complete. */
async function uploadBlob(ecr: Client, repositoryName: string, bytes: Buffer): Promise<string> {
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }))
  await ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes }))
  return (await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }))).layerDigest!
}

function manifestOf(config: Buffer, layer: Buffer): string {
  return JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }]
  })
}

t.test('a layer pushed in parts through the ECR API, made an image with PutImage, downloaded by its URL', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }))

  const layer = Buffer.from('a layer, uploaded in two parts over the wire\n'.repeat(200))
  const digest = sha256(layer)
  const before = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'team/app', layerDigests: [digest, 'nonsense'] }))
  t.same(before.layers, [{ layerDigest: digest, layerAvailability: 'UNAVAILABLE' }])
  t.equal(before.failures?.[0].failureCode, 'InvalidLayerDigest')

  // A digest that is not the bytes': refused, the upload dropped (as the registry's /v2/ does), nothing stored.
  const wrong = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'team/app' }))
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId: wrong.uploadId, partFirstByte: 0, partLastByte: layer.length - 1, layerPartBlob: layer }))
  const wrongDigest = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'team/app', uploadId: wrong.uploadId, layerDigests: [sha256('something else')] })).catch((e) => e)
  t.ok(wrongDigest instanceof InvalidLayerException, 'a digest that is not the bytes\'')
  t.equal(wrongDigest.$metadata.httpStatusCode, 400)
  t.same((await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'team/app', layerDigests: [digest, sha256('something else')] }))).layers?.map((l) => l.layerAvailability),
    ['UNAVAILABLE', 'UNAVAILABLE'], 'neither digest stored')

  const { uploadId, partSize } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'team/app' }))
  t.match(uploadId, /^[0-9a-f-]{36}$/)
  t.ok(partSize! > 0)
  const half = 4000
  const one = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId, partFirstByte: 0, partLastByte: half - 1, layerPartBlob: layer.subarray(0, half) }))
  t.equal(one.lastByteReceived, half - 1, 'the blob crossed the wire whole (base64)')
  const badRange = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: layer.subarray(0, 10) })).catch((e) => e)
  t.ok(badRange instanceof InvalidLayerPartException, 'a part that does not follow the last byte received')
  t.equal(badRange.$metadata.httpStatusCode, 400)
  t.match(badRange, { lastValidByteReceived: half - 1, uploadId, repositoryName: 'team/app', registryId: '000000000000' }, 'the exception says where to resume')
  const two = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId, partFirstByte: half, partLastByte: layer.length - 1, layerPartBlob: layer.subarray(half) }))
  t.equal(two.lastByteReceived, layer.length - 1)

  const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'team/app', uploadId, layerDigests: [digest] }))
  t.equal(done.layerDigest, digest)
  t.equal(done.repositoryName, 'team/app')
  t.equal(done.registryId, '000000000000')
  const gone = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId, partFirstByte: layer.length, partLastByte: layer.length, layerPartBlob: Buffer.from('x') })).catch((e) => e)
  t.ok(gone instanceof UploadNotFoundException, 'a completed upload is gone')
  const twice = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'team/app' })).then(async ({ uploadId: again }) => {
    await ecr.send(new UploadLayerPartCommand({ repositoryName: 'team/app', uploadId: again, partFirstByte: 0, partLastByte: layer.length - 1, layerPartBlob: layer }))
    return ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'team/app', uploadId: again, layerDigests: [digest] }))
  }).catch((e) => e)
  t.ok(twice instanceof LayerAlreadyExistsException)

  const after = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'team/app', layerDigests: [digest] }))
  t.same(after.layers, [{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: layer.length }])

  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest] } }))
  t.equal(await uploadBlob(ecr, 'team/app', config), sha256(config))
  const manifest = manifestOf(config, layer)
  const put = await ecr.send(new PutImageCommand({ repositoryName: 'team/app', imageManifest: manifest, imageTag: 'v1', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }))
  t.equal(put.image?.imageId?.imageDigest, sha256(manifest))
  const [detail] = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: 'v1' }] }))).imageDetails!
  t.equal(detail.imageDigest, sha256(manifest))
  t.ok(detail.imageSizeInBytes! >= layer.length)

  const { downloadUrl, layerDigest } = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'team/app', layerDigest: digest }))
  t.equal(layerDigest, digest)
  t.equal(downloadUrl, `http://${cloud.endpoint}/v2/team/app/blobs/${digest}`)
  const got = Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer())
  t.ok(got.equals(layer), 'the URL serves the layer\'s bytes')

  const unknownLayer = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'team/app', layerDigest: sha256('never') })).catch((e) => e)
  t.ok(unknownLayer instanceof LayersNotFoundException)
  const noRepo = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'absent' })).catch((e) => e)
  t.ok(noRepo instanceof RepositoryNotFoundException)
  t.same((await ecr.send(new ListImagesCommand({ repositoryName: 'team/app' }))).imageIds?.map((i) => i.imageTag), ['v1'], 'one image: the refused calls made none')
})

t.test('an UploadLayerPart of the advertised part size (20 MiB) fits through the SDK: no 413 from the body limit', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'big' }))
  const { uploadId, partSize } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'big' }))
  t.equal(partSize, 20 * 1024 * 1024, 'the part size ECR advertises')
  const part = Buffer.alloc(partSize!)
  for (let i = 0; i < part.length; i += 4096) part.writeUInt32BE(i, i)
  const tail = Buffer.from('and a small last part\n')
  const one = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'big', uploadId, partFirstByte: 0, partLastByte: part.length - 1, layerPartBlob: part }))
  t.equal(one.lastByteReceived, part.length - 1, 'a whole 20 MiB part (27 MiB of base64) arrived')
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'big', uploadId, partFirstByte: part.length, partLastByte: part.length + tail.length - 1, layerPartBlob: tail }))
  const layer = Buffer.concat([part, tail])
  const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'big', uploadId, layerDigests: [sha256(layer)] }))
  t.equal(done.layerDigest, sha256(layer), 'the bytes are the layer\'s')
  const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'big', layerDigests: [sha256(layer)] }))
  t.same(check.layers, [{ layerDigest: sha256(layer), layerAvailability: 'AVAILABLE', layerSize: layer.length }])

  // One byte over the part size reaches the service, which names the member and its limit.
  const next = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'big' }))
  const over = Buffer.alloc(partSize! + 1)
  const refused = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'big', uploadId: next.uploadId, partFirstByte: 0, partLastByte: over.length - 1, layerPartBlob: over })).catch((e) => e)
  t.equal(refused.name, 'InvalidParameterException')
  t.match(refused.message, /layerPartBlob.*at most 20971520 bytes/)

  // ECR's body limit is its own, still a limit: past it, 413 naming it, before the call.
  const huge = await fetch(`http://${cloud.endpoint}/`, {
    method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.UploadLayerPart' },
    body: JSON.stringify({ repositoryName: 'big', layerPartBlob: 'A'.repeat(ECR_MAX_BODY_BYTES) })
  })
  t.equal(huge.status, 413)
  t.match(await huge.json(), { __type: 'RequestEntityTooLargeException', message: new RegExp(`${ECR_MAX_BODY_BYTES} bytes`) })
})

t.test('ECR tags, DescribeRegistry, lifecycle policy previews', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'tagged', tags: [{ Key: 'team', Value: 'a' }] }))
  const arn = repository!.repositoryArn!
  t.same((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: 'team', Value: 'a' }], 'the tags it was made with')
  await ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'b' }] }))
  t.same((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags?.sort((a, b) => a.Key!.localeCompare(b.Key!)), [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'b' }], 'a new key added, an old one moved')
  await ecr.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['env'] }))
  t.same((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: 'team', Value: 'b' }])
  t.ok(await ecr.send(new TagResourceCommand({ resourceArn: arn, tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: '' })) })).catch((e) => e) instanceof TooManyTagsException)
  t.ok(await ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'aws:x', Value: '' }] })).catch((e) => e) instanceof InvalidTagParameterException)
  t.ok(await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn.replace('tagged', 'absent') })).catch((e) => e) instanceof RepositoryNotFoundException)
  t.same((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: 'team', Value: 'b' }], 'refused calls changed nothing')

  t.match(await ecr.send(new DescribeRegistryCommand({})), { registryId: '000000000000', replicationConfiguration: { rules: [] } })

  await cloud.registry.image('tagged:old').fromScratch().addContent('a', '/v').push()
  await cloud.clock.advance(60_000)
  await cloud.registry.image('tagged:new').fromScratch().addContent('b', '/v').push()
  t.ok(await ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'tagged' })).catch((e) => e) instanceof LifecyclePolicyNotFoundException, 'no policy given nor stored')
  const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] })
  const started = await ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'tagged', lifecyclePolicyText: policy }))
  t.match(started, { repositoryName: 'tagged', lifecyclePolicyText: policy, status: 'IN_PROGRESS' })
  const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'tagged' }))
  t.equal(preview.status, 'COMPLETE')
  t.equal(preview.summary?.expiringImageTotalCount, 1)
  t.same(preview.previewResults?.map((r) => r.imageTags), [['old']], 'the older image would expire')
  t.ok(preview.previewResults?.[0].imagePushedAt instanceof Date)
  t.equal((await ecr.send(new ListImagesCommand({ repositoryName: 'tagged' }))).imageIds?.length, 2, 'a preview expires nothing')
})
