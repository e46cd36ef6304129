// The real docker CLI against the registry: push a FROM-scratch busybox image, pull it back
// and run it; a second repository gets the layer by cross-repository mount.
import t from 'tap'
import { join } from 'node:path'
import { requireTool, run, startRegistry, tempDir } from './helpers.js'

t.test('docker push / pull / run', async (t) => {
  await requireTool('docker', 'busybox')
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const ctx = await tempDir(t, 'stratus-docker-ctx-')
  await run('cp', ['/bin/busybox', join(ctx, 'busybox')])
  await run('sh', ['-c', `printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nENV GREETING=hello-from-stratus\\nCMD ["/bin/busybox","sh","-c","echo $GREETING"]\\n' > ${join(ctx, 'Dockerfile')}`])
  const image = `${srv.host}/team/busybox:1`
  const copy = `${srv.host}/team/copy:1`
  t.teardown(() => run('docker', ['rmi', '-f', image, copy]).catch(() => undefined))
  await run('docker', ['build', '-q', '-t', image, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } })
  const push = await run('docker', ['push', image])
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1]
  t.ok(digest, 'docker reports the manifest digest')

  const { imageDetails } = await srv.registry.describeImages({ repositoryName: 'team/busybox' })
  t.equal(imageDetails.length, 1)
  t.equal(imageDetails[0].imageDigest, digest)
  t.same(imageDetails[0].imageTags, ['1'])
  t.equal(imageDetails[0].imageManifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json')
  t.equal(imageDetails[0].artifactMediaType, 'application/vnd.docker.container.image.v1+json')
  t.ok(imageDetails[0].imageSizeInBytes > 500_000, 'the busybox layer is counted')

  await run('docker', ['rmi', '-f', image])
  const pull = await run('docker', ['pull', image])
  t.match(pull.stdout, new RegExp(`Digest: ${digest}`))
  const out = await run('docker', ['run', '--rm', '--network', 'none', image])
  t.equal(out.stdout.trim(), 'hello-from-stratus')

  await run('docker', ['tag', image, copy])
  const pushCopy = await run('docker', ['push', copy])
  t.match(pushCopy.stdout, /Mounted from team\/busybox|Layer already exists/, 'the layer is mounted, not uploaded again')
  t.same(await srv.registry.listTags({ repositoryName: 'team/copy' }), ['1'])

  // An immutable repository: docker's own message for the refused overwrite, as on ECR.
  await srv.registry.createRepository({ repositoryName: 'team/locked', imageTagMutability: 'IMMUTABLE' })
  const locked = `${srv.host}/team/locked:1`
  t.teardown(() => run('docker', ['rmi', '-f', locked]).catch(() => undefined))
  await run('docker', ['tag', image, locked])
  await run('docker', ['push', locked])
  // The rebuild below takes the tag from this image: removed by id, so no dangling image stays behind.
  const first = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', locked])).stdout.trim()
  t.teardown(() => run('docker', ['rmi', '-f', first]).catch(() => undefined))
  await run('sh', ['-c', `printf 'FROM scratch\nCOPY busybox /bin/busybox\nENV GREETING=changed\n' > ${join(ctx, 'Dockerfile')}`])
  await run('docker', ['build', '-q', '-t', locked, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } })
  const refused = await run('docker', ['push', locked]).then(() => undefined, (err: { stderr?: string }) => err)
  t.ok(refused, 'docker push over an immutable tag fails')
  t.match(refused?.stderr ?? '', /tag invalid: The image tag '1' already exists in the 'team\/locked' repository and cannot be overwritten because the tag is immutable/)
  const tags = await srv.registry.describeImages({ repositoryName: 'team/locked' })
  t.same(tags.imageDetails.map((d) => d.imageDigest), [digest], 'the tag still names the first image')
})
