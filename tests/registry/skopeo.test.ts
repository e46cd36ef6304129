// skopeo both ways: registry → OCI layout and OCI layout → registry, digests preserved.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { req, requireTool, run, startRegistry, tempDir } from './helpers.js'

t.test('skopeo copies to and from an OCI layout', async (t) => {
  await requireTool('skopeo', 'busybox')
  const srv = await startRegistry()
  t.teardown(() => srv.close())
  const pushed = await srv.registry.image('skopeo/src:1').fromScratch()
    .addFile('/bin/busybox', '/bin/busybox').addContent('hello\n', '/etc/motd').cmd(['/bin/busybox', 'cat', '/etc/motd']).push()
  const layout = join(await tempDir(t, 'stratus-oci-layout-'), 'layout')

  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${srv.host}/skopeo/src:1`, `oci:${layout}:v1`])
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'))
  t.equal(index.manifests[0].digest, pushed.imageDigest, 'the layout holds the pushed manifest unchanged')
  for (const layer of pushed.layers) {
    const blob = await readFile(join(layout, 'blobs', 'sha256', layer.digest.slice(7)))
    t.equal(blob.length, layer.size, `layer ${layer.digest} copied whole`)
  }

  await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${srv.host}/skopeo/dest:copied`])
  const head = await req(srv.url, 'HEAD', '/v2/skopeo/dest/manifests/copied', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
  t.equal(head.headers['docker-content-digest'], pushed.imageDigest, 'the round trip keeps the digest')

  const inspect = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${srv.host}/skopeo/dest:copied`])).stdout)
  t.equal(inspect.Digest, pushed.imageDigest)
  t.same(inspect.RepoTags, ['copied'])
  t.equal(inspect.Layers.length, 2)

  const tags = JSON.parse((await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${srv.host}/skopeo/dest`])).stdout)
  t.same(tags.Tags, ['copied'])
  await run('skopeo', ['delete', '--tls-verify=false', `docker://${srv.host}/skopeo/dest@${pushed.imageDigest}`])
  t.equal((await req(srv.url, 'GET', '/v2/skopeo/dest/manifests/copied')).status, 404, 'skopeo delete removes the manifest')
})
