// Network modes of the OCI runner: awsvpc (its own namespace, loopback only:
// oci-ports.test.ts), none (its own namespace, nothing published), host (the
// host's network: no namespace of its own).
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SandboxSpec } from '../../../runtime/runners/index.js'
import { instrument } from '../../../runtime/runners/index.js'
import { logLines, observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())
const runner = instrument(made.runner)

function interfaces(id: string, networkMode: SandboxSpec['networkMode'], extra: Partial<SandboxSpec['containers'][number]> = {}): SandboxSpec {
  return {
    id, labels: {}, networkMode, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'ls /sys/class/net'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(made.dir, `${id}.log`), workDir: join(made.dir, 'work', id), ...extra
    }]
  }
}

t.test('says which modes it has', async (t) => {
  t.same(runner.capabilities.networkModes, ['awsvpc', 'host', 'none'])
  t.throws(() => runner.start(interfaces('bridge', 'bridge'), observer().listener), { code: 'RunnerUnsupported', field: 'networkMode' })
})

t.test('none: a namespace of its own with loopback only, and no ports', async (t) => {
  const spec = interfaces('none', 'none')
  const seen = observer()
  runner.start(spec, seen.listener)
  await seen.done
  t.same(await logLines(spec.containers[0].logPath), ['lo'])
  const ported = observer()
  runner.start(interfaces('none-ports', 'none', { portMappings: [{ containerPort: 80 }] }), ported.listener)
  await t.rejects(ported.done, { code: 'RunnerInvalidSpec', field: 'containers[0].portMappings' })
})

t.test("host: the host's network", async (t) => {
  // The machine is shared: other engineers' containers come and go (their veths), so compare with what stayed.
  const before = await readdir('/sys/class/net')
  const spec = interfaces('host', 'host')
  const seen = observer()
  runner.start(spec, seen.listener)
  await seen.done
  const after = await readdir('/sys/class/net')
  const seenInside = await logLines(spec.containers[0].logPath)
  for (const name of before.filter((n) => after.includes(n))) t.ok(seenInside.includes(name), `${name} is visible`)
  t.ok(seenInside.every((n) => before.includes(n) || after.includes(n)), 'nothing but the host\'s interfaces')
  t.ok(seenInside.length > 1, 'more than a loopback')
})
