// Several Docker engines behind one docker runner: a second dockerd on this
// machine (tests/fixtures/second-dockerd.ts), the test image loaded into it,
// and sandboxes placed on each by SandboxSpec.host — each engine runs its
// own, publishes its ports on the sandbox's 127.x address, and is left with
// nothing once the runner closes.
import t from 'tap'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { startSecondDockerd } from '../../fixtures/second-dockerd.js'
import { observer } from './conformance-kit.js'
import { container, dockerPs, dockerReady, dockerRunner, eventually, httpGet, sandbox, tempDir } from './docker-kit.js'

await dockerReady()
const second = await startSecondDockerd()
t.teardown(() => second.stop())
await loadBusyboxIntoDocker(second.host)

t.test('a runner with two engines starts sandboxes on each, with ports published on each', async (t) => {
  const dir = await tempDir(t)
  const { runner, engineId } = await dockerRunner(t, 'engines', {
    hosts: [{ name: 'local', socketPath: '/var/run/docker.sock' }, { name: 'second', socketPath: second.socketPath }]
  })
  t.same(runner.capabilities.hosts, ['local', 'second'])
  t.throws(() => runner.start(sandbox([container(dir, 'main')], { host: 'third' }), observer().listener), { code: 'RunnerInvalidSpec', field: 'host' })

  const serve = (name: string) => container(dir, 'web', {
    script: `echo ${name} > /tmp/index.html; exec httpd -f -p 8080 -h /tmp`, portMappings: [{ containerPort: 8080 }]
  })
  const onLocal = sandbox([serve('local')], { address: '127.0.0.41' })
  const onSecond = sandbox([serve('second')], { address: '127.0.0.42', host: 'second' })
  const byDefault = sandbox([container(dir, 'main', { script: 'exec sleep 30' })])
  const seen = [onLocal, onSecond, byDefault].map((s) => {
    const o = observer()
    runner.start(s, o.listener)
    return o
  })
  const [local, remote, fallback] = await Promise.all(seen.map((o) => o.running))

  const localIds = await dockerPs(`stratus.engine=${engineId}`)
  const secondIds = await dockerPs(`stratus.engine=${engineId}`, second.host)
  const id = (info: typeof local) => info.containers[0].runtimeId!.slice(0, 12)
  t.same(secondIds, [id(remote)], 'the second engine has the sandbox placed on it, and only that one')
  t.same(localIds.sort(), [id(local), id(fallback)].sort(), 'the first engine is the default host')

  for (const [info, address, name] of [[local, '127.0.0.41', 'local'], [remote, '127.0.0.42', 'second']] as const) {
    const binding = info.containers[0].networkBindings![0]
    t.match(binding, { bindIP: address, containerPort: 8080, protocol: 'tcp' })
    t.equal(await eventually(() => httpGet(address, binding.hostPort, '/index.html')), `${name}\n`, `reachable on ${address} (engine ${name})`)
  }

  await runner.close()
  await Promise.all(seen.map((o) => o.done))
  t.same(await dockerPs(`stratus.engine=${engineId}`), [], 'nothing left on the first engine')
  t.same(await dockerPs(`stratus.engine=${engineId}`, second.host), [], 'nothing left on the second engine')
})
