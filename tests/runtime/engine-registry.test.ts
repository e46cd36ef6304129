// The registry as the SDK exposes it from an embedded cloud: repositories in
// ECR's shapes on the engine's endpoint, the Docker-free image builder, tags,
// lifecycle policies on the engine's (manual) clock, authorization tokens.
import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus } from '../../sdk/index.js'

t.test('repositories, images and lifecycle through cloud.registry', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const dir = await mkdtemp(join(tmpdir(), 'stratus-img-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'hello.sh'), '#!/bin/sh\necho hello\n')

  t.equal(cloud.registry.endpoint, cloud.endpoint, 'the registry is served from the engine endpoint')
  const repo = cloud.registry.repository('team/app')
  const created = await repo.create({ tagMutability: 'IMMUTABLE', scanOnPush: true })
  t.equal(created.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/team/app')
  t.equal(created.repositoryUri, `${cloud.endpoint}/team/app`)
  t.same((await repo.describe()).imageScanningConfiguration, { scanOnPush: true })

  const v1 = await cloud.registry.image('team/app:1').fromScratch().addFile(join(dir, 'hello.sh'), '/hello.sh', { mode: 0o755 }).cmd(['/hello.sh']).push()
  t.match(v1.imageDigest, /^sha256:[0-9a-f]{64}$/)
  const again = await cloud.registry.image('team/app:1b').fromScratch().addFile(join(dir, 'hello.sh'), '/hello.sh', { mode: 0o755 }).cmd(['/hello.sh']).push()
  t.equal(again.imageDigest, v1.imageDigest, 'same inputs, same digest')
  await t.rejects(cloud.registry.image('team/app:1').fromScratch().addFile(join(dir, 'hello.sh'), '/other.sh').push(), 'an immutable tag is not pushed over')

  // The manifest is served over the distribution API on the engine's endpoint.
  const res = await fetch(`http://${cloud.endpoint}/v2/team/app/manifests/1`, { headers: { accept: v1.imageManifestMediaType } })
  t.equal(res.status, 200)
  t.equal(res.headers.get('docker-content-digest'), v1.imageDigest)

  t.same(await repo.tags(), ['1', '1b'])
  const images = await repo.images()
  t.equal(images.length, 1, 'one image, two tags')
  t.ok(images[0].imageSizeInBytes > 0)

  // Lifecycle: keep only images pushed in the last day; a second image pushed 3 days later survives.
  await cloud.clock.advance(3 * 24 * 3600 * 1000)
  await cloud.registry.image('team/app:2').fromScratch().addContent('v2', '/version').push()
  const policy = { rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }] }
  t.equal(await repo.getLifecyclePolicy(), undefined, 'no policy yet')
  await repo.lifecyclePolicy(policy)
  t.same(JSON.parse((await repo.getLifecyclePolicy())!), policy, 'the policy reads back')
  const preview = await repo.preview()
  t.equal(preview.summary.expiringImageTotalCount, 1)
  t.equal(preview.previewResults[0].imageDigest, v1.imageDigest)
  await repo.expire()
  t.same(await repo.tags(), ['2'])

  const token = await repo.authorizationToken()
  t.match(Buffer.from(token.authorizationToken, 'base64').toString(), /^AWS:/)
  t.equal(new Date(token.expiresAt).getTime() - cloud.clock.now(), 12 * 3600 * 1000, 'valid 12 hours of clock time')
  await repo.delete({ force: true })
})
