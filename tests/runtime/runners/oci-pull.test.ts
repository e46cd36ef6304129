// Images for the OCI runner come from the built-in registry's store, named by the
// endpoint form, the ECR form of the repository URI, or a plain name in the same
// registry; a missing one fails the task with CannotPullContainerError naming it.
import t from 'tap'
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
})
