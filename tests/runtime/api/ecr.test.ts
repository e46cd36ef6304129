// Amazon ECR over the wire: the official @aws-sdk/client-ecr against an
// embedded cloud's endpoint. Every operation the Registry has round-trips;
// ECR's errors surface as the SDK's typed exceptions.
import t from 'tap'
import {
  BatchDeleteImageCommand, BatchGetImageCommand, CreateRepositoryCommand, DeleteLifecyclePolicyCommand, DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand, GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand, GetRepositoryPolicyCommand, ImageNotFoundException, InvalidParameterException, LifecyclePolicyNotFoundException,
  ListImagesCommand, PutImageCommand, PutImageScanningConfigurationCommand, PutImageTagMutabilityCommand, PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException, RepositoryNotEmptyException, RepositoryNotFoundException, RepositoryPolicyNotFoundException, SetRepositoryPolicyCommand,
  ImageTagAlreadyExistsException, paginateDescribeRepositories
} from '@aws-sdk/client-ecr'
import { clientConfig, simulatedCloud } from './clients.js'

t.test('repositories, images, policies and tokens: every ECR operation through the SDK', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())

  const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/app', imageScanningConfiguration: { scanOnPush: true } }))
  t.equal(repository?.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/team/app')
  t.equal(repository?.repositoryUri, `${cloud.endpoint}/team/app`, 'repositoryUri is the engine\'s host:port/name')
  t.ok(repository?.createdAt instanceof Date, 'createdAt arrives as a Date (epoch seconds on the wire)')
  t.ok(Math.abs(repository!.createdAt!.getTime() - cloud.clock.now()) < 1000)

  const v1 = await cloud.registry.image('team/app:1').fromScratch().addContent('one', '/version').push()
  await cloud.clock.advance(60_000)
  const v2 = await cloud.registry.image('team/app:2').fromScratch().addContent('two', '/version').push()

  const listed = await ecr.send(new ListImagesCommand({ repositoryName: 'team/app' }))
  t.same(listed.imageIds?.map((i) => i.imageTag).sort(), ['1', '2'])
  const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: '1' }] }))
  t.equal(images.imageDetails?.[0].imageDigest, v1.imageDigest)
  t.ok(images.imageDetails?.[0].imagePushedAt instanceof Date)
  t.ok(images.imageDetails![0].imageSizeInBytes! > 0)

  const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: '2' }, { imageTag: 'nope' }] }))
  t.equal(got.images?.[0].imageId?.imageDigest, v2.imageDigest)
  t.equal(got.failures?.[0].failureCode, 'ImageNotFound')
  const manifest = got.images![0].imageManifest!

  // PutImage: the same manifest under a new tag.
  const put = await ecr.send(new PutImageCommand({ repositoryName: 'team/app', imageManifest: manifest, imageTag: 'latest', imageManifestMediaType: got.images![0].imageManifestMediaType }))
  t.equal(put.image?.imageId?.imageDigest, v2.imageDigest)
  t.same((await ecr.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { tagStatus: 'TAGGED' } }))).imageIds?.map((i) => i.imageTag).sort(), ['1', '2', 'latest'])

  const mut = await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE' }))
  t.equal(mut.imageTagMutability, 'IMMUTABLE')
  const again = await ecr.send(new PutImageCommand({ repositoryName: 'team/app', imageManifest: manifest, imageTag: '1' })).catch((e) => e)
  t.ok(again instanceof ImageTagAlreadyExistsException, 'an immutable tag is not moved')
  await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'team/app', imageTagMutability: 'MUTABLE' }))
  const scan = await ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: 'team/app', imageScanningConfiguration: { scanOnPush: false } }))
  t.same(scan.imageScanningConfiguration, { scanOnPush: false })

  const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] })
  await t.rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' })), LifecyclePolicyNotFoundException)
  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'team/app', lifecyclePolicyText: policy }))
  t.same(JSON.parse((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' }))).lifecyclePolicyText!), JSON.parse(policy))
  const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'team/app' }))
  t.same(preview.previewResults?.map((r) => r.imageDigest), [v1.imageDigest], 'the preview expires the older image')
  t.ok(preview.previewResults?.[0].imagePushedAt instanceof Date)
  await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: 'team/app' }))
  await t.rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' })), LifecyclePolicyNotFoundException)

  const repoPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }] })
  await t.rejects(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'team/app' })), RepositoryPolicyNotFoundException)
  await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'team/app', policyText: repoPolicy }))
  t.equal((await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'team/app' }))).policyText, repoPolicy)
  await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'team/app' }))
  await t.rejects(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'team/app' })), RepositoryPolicyNotFoundException)

  const deleted = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: '1' }, { imageTag: 'ghost' }] }))
  t.same(deleted.imageIds?.map((i) => i.imageTag), ['1'])
  t.equal(deleted.failures?.[0].failureCode, 'ImageNotFound')
  await t.rejects(ecr.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: '1' }] })), ImageNotFoundException)

  const token = await ecr.send(new GetAuthorizationTokenCommand({}))
  const data = token.authorizationData![0]
  t.match(Buffer.from(data.authorizationToken!, 'base64').toString(), /^AWS:/)
  t.equal(data.proxyEndpoint, `http://${cloud.endpoint}`)
  t.equal(data.expiresAt!.getTime() - cloud.clock.now(), 12 * 3600 * 1000, '12 hours of clock time')

  await t.rejects(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'team/app' })), RepositoryNotEmptyException)
  const gone = await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'team/app', force: true }))
  t.equal(gone.repository?.repositoryName, 'team/app')
  await t.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/app'] })), RepositoryNotFoundException)
})

t.test('DescribeRepositories pages across pages', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  for (let i = 0; i < 5; i++) await ecr.send(new CreateRepositoryCommand({ repositoryName: `r${i}` }))
  const names: string[] = []
  let pages = 0
  for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 2 }, {})) {
    pages++
    names.push(...page.repositories!.map((r) => r.repositoryName!))
  }
  t.equal(pages, 3)
  t.same(names.sort(), ['r0', 'r1', 'r2', 'r3', 'r4'])
})

t.test('ECR errors are the SDK\'s typed exceptions, with their statuses', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  const missing = await ecr.send(new DescribeImagesCommand({ repositoryName: 'nowhere' })).catch((e) => e)
  t.ok(missing instanceof RepositoryNotFoundException)
  t.equal(missing.$metadata.httpStatusCode, 400)
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'one' }))
  await t.rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'one' })), RepositoryAlreadyExistsException)
  const bad = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'Bad_Name!' })).catch((e) => e)
  t.ok(bad instanceof InvalidParameterException, 'an invalid name is InvalidParameterException')
  const badMutability = await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'one', imageTagMutability: 'SOMETIMES' as never })).catch((e) => e)
  t.ok(badMutability instanceof InvalidParameterException)
  t.match(badMutability.message, /imageTagMutability/)
  t.same((await ecr.send(new DescribeRepositoriesCommand({}))).repositories?.map((r) => r.repositoryName), ['one'], 'nothing changed')
})

t.test('ListImages refuses a malformed filter (it listed every image): InvalidParameterException naming the member', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecr = new ECRClient(clientConfig(cloud))
  t.teardown(() => ecr.destroy())
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }))
  const tagged = await cloud.registry.image('app:v1').fromScratch().addContent('one', '/version').push()
  const listImages = async (filter: unknown) => {
    const res = await fetch(`http://${cloud.endpoint}/`, {
      method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.ListImages' },
      body: JSON.stringify({ repositoryName: 'app', filter })
    })
    return { status: res.status, body: await res.json() as { __type?: string; message?: string; imageIds?: unknown[] } }
  }
  for (const [filter, named] of [['TAGGED', /^filter: must be an object/], [['TAGGED'], /^filter: /], [{ tagstatus: 'TAGGED' }, /^filter\.tagstatus: is not a member/],
    [{ tagStatus: 'tagged' }, /^filter\.tagStatus: invalid value "tagged"/], [{ tagStatus: 1 }, /^filter\.tagStatus: /], [{ imageStatus: 'GONE' }, /^filter\.imageStatus: /]] as const) {
    const res = await listImages(filter)
    t.equal(res.status, 400, `${JSON.stringify(filter)} is refused`)
    t.equal(res.body.__type, 'InvalidParameterException')
    t.match(res.body.message, named, 'naming the member')
  }
  t.same((await ecr.send(new ListImagesCommand({ repositoryName: 'app', filter: { tagStatus: 'TAGGED', imageStatus: 'ACTIVE' } }))).imageIds,
    [{ imageDigest: tagged.imageDigest, imageTag: 'v1' }], 'the model\'s filter still works')
  t.same((await ecr.send(new ListImagesCommand({ repositoryName: 'app', filter: { imageStatus: 'ARCHIVED' } }))).imageIds, [], 'nothing is archived here')
  t.equal((await listImages(null)).body.imageIds?.length, 1, 'a null filter is no filter')
})
