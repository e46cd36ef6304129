// Hostile manifests: the digests a manifest or an index names become paths (the
// layer cache is <cache>/<hex>), so each is checked before it is used. A manifest
// is read from the registry's storage, which something other than the registry
// may have written: these are planted there directly, past the registry's own
// checks. A bad digest fails the pull with CannotPullContainerError naming it,
// and nothing runs; a layer digest of `sha256:../../../planted` once made the
// runner take a directory outside its cache for a cached layer.
import t, { type Test } from 'tap'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { digestOf, MediaType, Registry } from '../../../registry/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'
import { observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const registry = await Registry.open({ storage: { driver: 'inmemory' } })
t.teardown(() => registry.close())
const busybox = await pushBusybox(registry, 'hostile/base:1')
const made = await ociTestRunner({}, registry)
t.teardown(() => made.close())

/** Stores `body` as manifest `hostile/image:<tag>`, as a storage someone else wrote would hold it. */
async function plant(tag: string, body: unknown, mediaType: string): Promise<string> {
  const d = registry.distribution
  const state = await d.repositoryForPush('hostile/image')
  const bytes = Buffer.from(JSON.stringify(body))
  const digest = digestOf(bytes)
  await d.blobs.putContent(digest, bytes)
  await state.putManifest({ digest, mediaType, size: bytes.length, pushedAt: Date.now(), blobs: [], children: [], layersSize: 0 })
  await state.putTag(tag, digest)
  return digest
}

const manifestOf = (config: string, layers: string[]) => ({
  schemaVersion: 2, mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, digest: config, size: 2 },
  layers: layers.map((digest) => ({ mediaType: MediaType.OciLayerGzip, digest, size: 1 }))
})

async function refused(t: Test, image: string, digest: string) {
  const seen = observer()
  const id = `hostile-${image.replace(/\W/g, '-')}`
  made.runner.start({
    id, labels: {}, containers: [{
      name: 'main', image, command: ['sh', '-c', 'cat /planted-marker'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(made.dir, `${id}.log`), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  const error = await seen.done.then(() => undefined, (e: Error) => e)
  t.match(error, { code: 'CannotPullContainerError', field: 'image' }, `${image} fails the pull`)
  t.ok(error?.message.includes(image) && error.message.includes(JSON.stringify(digest)), `naming the image and the digest: ${error?.message}`)
  t.same(seen.calls, ['failed'], 'nothing ran')
  t.equal(made.runner.inspect(id), undefined)
}

const config = busybox.configDigest
const base = busybox.layers.map((l) => l.digest)

t.test('a layer digest that climbs out of the cache is refused before it is used as a path', async (t) => {
  // What the climbing digest points at: a directory that looks like a cached layer.
  const cache = join(made.stateDir, 'layers', made.runner.rootfsMode)
  const planted = join(cache, '..', '..', '..', 'planted')
  await mkdir(join(planted, 'root'), { recursive: true })
  await writeFile(join(planted, 'root', 'planted-marker'), 'from outside the cache\n')
  await writeFile(join(planted, 'layer.json'), JSON.stringify({ whiteouts: [], opaque: [], skipped: [], entries: 1, bytes: 1 }))
  const climbing = 'sha256:../../../planted'
  await plant('climb', manifestOf(config, [...base, climbing]), MediaType.OciManifest)
  await refused(t, 'hostile/image:climb', climbing)
})

t.test('a malformed config digest, layer digest or index entry is refused', async (t) => {
  const cases: Array<[string, unknown, string, string]> = [
    ['config', manifestOf('sha256:/etc/passwd', base), MediaType.OciManifest, 'sha256:/etc/passwd'],
    ['short', manifestOf(config, [...base, 'sha256:abc']), MediaType.OciManifest, 'sha256:abc'],
    ['upper', manifestOf(config, [`sha256:${'A'.repeat(64)}`]), MediaType.OciManifest, `sha256:${'A'.repeat(64)}`],
    ['algorithm', manifestOf(config, [`md5:${'a'.repeat(32)}`]), MediaType.OciManifest, `md5:${'a'.repeat(32)}`],
    ['index', {
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: 'sha256:../../x', size: 1, platform: { os: 'linux', architecture: 'amd64' } }]
    }, MediaType.OciIndex, 'sha256:../../x']
  ]
  for (const [tag, body, mediaType, digest] of cases) {
    await plant(tag, body, mediaType)
    await refused(t, `hostile/image:${tag}`, digest)
  }
})

t.test('the well-formed image beside them still runs', async (t) => {
  await plant('fine', manifestOf(config, base), MediaType.OciManifest)
  const seen = observer()
  made.runner.start({
    id: 'fine', labels: {}, containers: [{
      name: 'main', image: 'hostile/image:fine', command: ['true'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(made.dir, 'fine.log'), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  t.match(await seen.done, { exitCode: 0 })
})
