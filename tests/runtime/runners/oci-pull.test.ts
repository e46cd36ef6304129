// Images for the OCI runner come from the built-in registry's store, named by the
// endpoint form, the ECR form of the repository URI, or a plain name in the same
// registry; a missing one fails the task with CannotPullContainerError naming it.
import t from 'tap'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Registry } from '../../../registry/index.js'
import type { SandboxSpec } from '../../../runtime/runners/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'
import { logLines, observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const registry = await Registry.open({ storage: { driver: 'inmemory' }, endpoint: '127.0.0.1:4750' })
t.teardown(() => registry.close())
const pushed = await pushBusybox(registry, 'team/busybox:1.36')
const made = await ociTestRunner({}, registry)
t.teardown(() => made.close())

let n = 0
function spec(image: string): SandboxSpec {
  const id = `pull-${++n}`
  return {
    id, labels: {}, containers: [{
      name: 'main', image, command: ['echo', 'ran'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(made.dir, `${id}.log`), workDir: join(made.dir, 'work', id)
    }]
  }
}

t.test('the endpoint form, the ECR form and a plain name all name the registry image', async (t) => {
  for (const image of ['127.0.0.1:4750/team/busybox:1.36', '000000000000.dkr.ecr.us-east-1.amazonaws.com/team/busybox:1.36', 'team/busybox:1.36', `team/busybox@${pushed.imageDigest}`]) {
    const s = spec(image)
    const seen = observer()
    made.runner.start(s, seen.listener)
    const info = await seen.running
    t.match(info, { pullStartedAt: Number, pullStoppedAt: Number, containers: [{ imageDigest: pushed.imageDigest }] }, image)
    t.ok(info.pullStoppedAt! >= info.pullStartedAt!)
    t.match(await seen.done, { exitCode: 0 })
    t.same(await logLines(s.containers[0].logPath), ['ran'])
  }
})

t.test('an image index: the linux/amd64 manifest is run', async (t) => {
  const d = registry.distribution
  const state = await d.repository('team/busybox')
  const manifest = await d.getManifest(state, '1.36')
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: manifest.record.mediaType, digest: manifest.record.digest, size: manifest.record.size, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: manifest.record.mediaType, digest: manifest.record.digest, size: manifest.record.size, platform: { os: 'linux', architecture: 'amd64' } }
    ]
  }))
  await d.putManifest(state, 'multi', index, 'application/vnd.oci.image.index.v1+json')
  const s = spec('team/busybox:multi')
  const seen = observer()
  made.runner.start(s, seen.listener)
  t.match(await seen.running, { containers: [{ imageDigest: manifest.record.digest }] }, "the platform manifest's digest")
  t.match(await seen.done, { exitCode: 0 })
  const only = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: manifest.record.mediaType, digest: manifest.record.digest, size: manifest.record.size, platform: { os: 'linux', architecture: 's390x' } }]
  }))
  await d.putManifest(state, 's390x', only, 'application/vnd.oci.image.index.v1+json')
  const other = observer()
  made.runner.start(spec('team/busybox:s390x'), other.listener)
  await t.rejects(other.done, { code: 'CannotPullContainerError', message: /team\/busybox:s390x.*no linux\/amd64 manifest/ })
})

t.test('each layer is unpacked once, whatever the number of containers', async (t) => {
  const cache = join(made.stateDir, 'layers', made.runner.rootfsMode)
  const before = await readdir(cache)
  t.equal(before.length, pushed.layers.length, 'one directory per layer digest')
  const inodes = await Promise.all(before.map(async (name) => (await stat(join(cache, name))).ino))
  const runs = Array.from({ length: 4 }, () => {
    const seen = observer()
    made.runner.start(spec('team/busybox:1.36'), seen.listener)
    return seen.done
  })
  await Promise.all(runs)
  t.same(await readdir(cache), before)
  t.same(await Promise.all(before.map(async (name) => (await stat(join(cache, name))).ino)), inodes, 'not unpacked again')
})

t.test('a missing image fails with CannotPullContainerError naming it, and nothing runs', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['team/busybox:nope', /team\/busybox:nope.*manifest nope is not in repository team\/busybox/],
    ['nosuch/repo:1', /nosuch\/repo:1.*repository nosuch\/repo is not known/],
    ['ghcr.io/someone/app:1', /ghcr\.io\/someone\/app:1.*registry ghcr\.io cannot be reached/],
    ['127.0.0.1:4750/team/missing:2', /127\.0\.0\.1:4750\/team\/missing:2.*not known/]
  ]
  for (const [image, message] of cases) {
    const s = spec(image)
    const seen = observer()
    made.runner.start(s, seen.listener)
    await t.rejects(seen.done, { code: 'CannotPullContainerError', kind: 'InvalidArgument', message }, image)
    t.same(seen.calls, ['failed'])
    t.equal(made.runner.inspect(s.id), undefined)
  }
  const none = spec('unused')
  const seen = observer()
  made.runner.start({ ...none, containers: [{ ...none.containers[0], image: undefined }] }, seen.listener)
  await t.rejects(seen.done, { code: 'RunnerInvalidSpec', field: 'containers[0].image' }, 'a container without an image')
})
