// The Docker-free image builder: immutable fluent builders, deterministic layers (same
// inputs, same digests, across registries), layering on a base image, and the result
// running under the real docker CLI.
import t from 'tap'
import { mkdir, writeFile, chmod, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { req, requireTool, run, startRegistry, tempDir } from './helpers.js'

t.test('image builder', async (t) => {
  await requireTool('busybox')
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const reg = srv.registry
  const src = await tempDir(t, 'stratus-build-src-')
  await mkdir(join(src, 'site', 'css'), { recursive: true })
  await writeFile(join(src, 'site', 'index.html'), '<h1>hello</h1>\n')
  await writeFile(join(src, 'site', 'css', 'main.css'), 'h1{color:red}\n')
  await symlink('index.html', join(src, 'site', 'home.html'))
  await writeFile(join(src, 'run.sh'), '#!/bin/busybox sh\necho "$GREETING from $(/bin/busybox cat /srv/site/index.html)"\n')
  await chmod(join(src, 'run.sh'), 0o755)

  const base = reg.image('build/app:1')
    .fromScratch()
    .addFile('/bin/busybox', '/bin/busybox')
    .addDirectory(join(src, 'site'), '/srv/site')
    .addFile(join(src, 'run.sh'), '/usr/local/bin/run.sh')
    .env({ GREETING: 'hi', PATH: '/bin:/usr/local/bin' })
    .exposedPort(80)
  const app = base.entrypoint(['/usr/local/bin/run.sh'])

  t.test('builders are frozen and each call forks', async (t) => {
    t.ok(Object.isFrozen(app))
    t.ok(Object.isFrozen(app.spec))
    t.equal(base.spec.entrypoint, undefined, 'the earlier builder is unchanged')
    t.same(app.spec.entrypoint, ['/usr/local/bin/run.sh'])
    t.throws(() => app.exposedPort(70000), { code: 'InvalidParameterException', field: 'exposedPort' })
    t.throws(() => app.addFile('/bin/busybox', '../../etc/passwd'), { code: 'InvalidParameterException', field: 'dest' })
    await t.rejects(reg.image('build/nobase:1').addFile('/bin/busybox', '/x').push(), { code: 'InvalidParameterException', field: 'base' })
  })

  t.test('same inputs give the same digests, in another registry too', async (t) => {
    const one = await app.push()
    const two = await app.push()
    t.equal(one.imageDigest, two.imageDigest)
    t.equal(one.imageUri, `${srv.host}/build/app:1`)
    t.equal(one.layers.length, 3)
    const other = await startRegistry()
    t.teardown(() => other.close())
    const three = await other.registry.image('build/app:1').fromScratch()
      .addFile('/bin/busybox', '/bin/busybox').addDirectory(join(src, 'site'), '/srv/site').addFile(join(src, 'run.sh'), '/usr/local/bin/run.sh')
      .env({ GREETING: 'hi', PATH: '/bin:/usr/local/bin' }).exposedPort(80).entrypoint(['/usr/local/bin/run.sh']).push()
    t.equal(three.imageDigest, one.imageDigest, 'a fresh registry builds the same digest')
    t.same(three.layers.map((l) => l.digest), one.layers.map((l) => l.digest))

    const layer = await req(srv.url, 'GET', `/v2/build/app/blobs/${one.layers[1].digest}`)
    t.equal(layer.body[3] & 0x08, 0, 'no file name in the gzip header')
    t.equal(layer.body.readUInt32LE(4), 0, 'no timestamp in the gzip header')
    const tar = gunzipSync(layer.body)
    const names: string[] = []
    for (let off = 0; off + 512 <= tar.length; ) {
      const name = tar.subarray(off, off + 100).toString().replace(/\0.*$/s, '')
      if (name === '') break
      const size = parseInt(tar.subarray(off + 124, off + 136).toString().replace(/\0.*$/s, '').trim() || '0', 8)
      const mtime = parseInt(tar.subarray(off + 136, off + 148).toString().replace(/\0.*$/s, '').trim() || '0', 8)
      t.equal(mtime, 0, `${name} has mtime 0`)
      names.push(name)
      off += 512 + Math.ceil(size / 512) * 512
    }
    t.same(names, ['srv/', 'srv/site/', 'srv/site/css/', 'srv/site/css/main.css', 'srv/site/home.html', 'srv/site/index.html'], 'parents first, then sorted')

    const config = (await req(srv.url, 'GET', `/v2/build/app/blobs/${one.configDigest}`)).json()
    t.same(config.config.Entrypoint, ['/usr/local/bin/run.sh'])
    t.same(config.config.Env, ['GREETING=hi', 'PATH=/bin:/usr/local/bin'])
    t.same(config.config.ExposedPorts, { '80/tcp': {} })
    t.equal(config.rootfs.diff_ids.length, 3)
    t.equal(config.created, '1970-01-01T00:00:00Z')
  })

  t.test('from(base) layers on an image already in the registry', async (t) => {
    const child = await reg.image('build/child:1')
      .from('build/app:1')
      .addContent('child layer\n', '/srv/site/child.txt')
      .env({ GREETING: 'hey' })
      .cmd(['--verbose'])
      .push()
    const parent = (await reg.describeImages({ repositoryName: 'build/app' })).imageDetails[0]
    t.equal(child.layers.length, 4)
    const manifest = (await req(srv.url, 'GET', '/v2/build/child/manifests/1')).json()
    t.same(manifest.layers.slice(0, 3).map((l: { digest: string }) => l.digest),
      JSON.parse((await req(srv.url, 'GET', `/v2/build/app/manifests/${parent.imageDigest}`)).body.toString()).layers.map((l: { digest: string }) => l.digest))
    t.equal((await req(srv.url, 'HEAD', `/v2/build/child/blobs/${manifest.layers[0].digest}`)).status, 200, 'base layers are linked into the new repository')
    const config = (await req(srv.url, 'GET', `/v2/build/child/blobs/${child.configDigest}`)).json()
    t.same(config.config.Env, ['GREETING=hey', 'PATH=/bin:/usr/local/bin'], 'env merges over the base')
    t.same(config.config.Entrypoint, ['/usr/local/bin/run.sh'], 'the entrypoint is inherited')
    t.same(config.config.Cmd, ['--verbose'])
    await t.rejects(reg.image('build/orphan:1').from('build/missing:1').push(), { code: 'NAME_UNKNOWN' })
  })

  t.test('the built images run under docker', async (t) => {
    await requireTool('docker')
    for (const [ref, expected] of [['build/app:1', 'hi from <h1>hello</h1>'], ['build/child:1', 'hey from <h1>hello</h1>']]) {
      const image = `${srv.host}/${ref}`
      t.teardown(() => run('docker', ['rmi', '-f', image]).catch(() => undefined))
      await run('docker', ['pull', '-q', image])
      const out = await run('docker', ['run', '--rm', '--network', 'none', image])
      t.equal(out.stdout.trim(), expected, ref)
    }
  })
})
