// Several Docker engines behind one docker runner: two more dockerd on this
// machine (tests/fixtures/second-dockerd.ts) — one reached as a remote engine
// is, over tcp:// with TLS and a client certificate; one in a network
// namespace of its own started with --bridge=none, on which the runner makes
// its own bridge network — the test image loaded into each, and sandboxes
// placed on each by SandboxSpec.host: each engine runs its own, publishes its
// ports on the sandbox's 127.x address, and is left with nothing once the
// runner closes.
import t from 'tap'
import { DockerRunner, RUNNER_NETWORK } from '../../../runtime/runners/docker/index.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { startSecondDockerd } from '../../fixtures/second-dockerd.js'
import { observer } from './conformance-kit.js'
import { container, dockerPs, dockerReady, dockerRunner, engineId as newEngineId, eventually, httpGet, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()
const remote = await startSecondDockerd({ tls: true })
t.teardown(() => remote.stop())
const isolated = await startSecondDockerd({ network: 'private' }).catch(async (error) => {
  await remote.stop()
  throw error
})
t.teardown(() => isolated.stop())
await Promise.all([loadBusyboxIntoDocker(remote.host), isolated.copyImage('busybox:1.36')]).catch(async (error) => {
  await Promise.all([remote.stop(), isolated.stop()])
  throw error
})
const tls = remote.tls!

t.test('an engine over tcp:// with TLS: a client certificate is required', async (t) => {
  await t.rejects(DockerRunner.create({ engineId: newEngineId('no-cert'), hosts: [{ name: 'remote', url: tls.url, tls: { ca: tls.ca } }] }),
    /the Docker engine remote \(tcp:\/\/127\.0\.0\.1:\d+\) does not answer/)
  await t.rejects(DockerRunner.create({ engineId: newEngineId('no-ca'), hosts: [{ name: 'remote', url: tls.url, tls: { cert: tls.cert, key: tls.key } }] }),
    /does not answer/, 'nor does it trust an engine whose certificate it cannot verify')
})

t.test('a runner with three engines starts sandboxes on each, with ports published on each', async (t) => {
  const dir = await tempDir(t)
  const { runner, engineId } = await dockerRunner(t, 'engines', {
    hosts: [
      { name: 'local', socketPath: '/var/run/docker.sock' },
      { name: 'remote', url: tls.url, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } },
      { name: 'isolated', socketPath: isolated.socketPath }
    ]
  })
  t.same(runner.capabilities.hosts, ['local', 'remote', 'isolated'])
  t.throws(() => runner.start(sandbox([container(dir, 'main')], { host: 'fourth' }), observer().listener), { code: 'RunnerInvalidSpec', field: 'host' })
  const { stdout: networks } = await run('docker', ['-H', isolated.host, 'network', 'ls', '--format', '{{.Name}}'])
  t.ok(networks.split('\n').includes(RUNNER_NETWORK), 'an engine without a default bridge gets the runner\'s own network')

  const serve = (name: string) => container(dir, 'web', {
    script: `echo ${name} > /tmp/index.html; exec httpd -f -p 8080 -h /tmp`, portMappings: [{ containerPort: 8080 }]
  })
  const specs = {
    local: sandbox([serve('local')], { address: '127.0.0.41' }),
    remote: sandbox([serve('remote')], { address: '127.0.0.42', host: 'remote' }),
    isolated: sandbox([serve('isolated'), container(dir, 'side', { essential: false, script: 'exec sleep 30' })], { address: '127.0.0.43', host: 'isolated' }),
    byDefault: sandbox([container(dir, 'main', { script: 'exec sleep 30' })])
  }
  const seen = Object.values(specs).map((s) => {
    const o = observer()
    runner.start(s, o.listener)
    return o
  })
  const [local, onRemote, onIsolated, fallback] = await Promise.all(seen.map((o) => o.running))

  const id = (info: typeof local) => info.containers[0].runtimeId!.slice(0, 12)
  t.same((await dockerPs(`stratus.engine=${engineId}`)).sort(), [id(local), id(fallback)].sort(), 'the first engine is the default host')
  t.same(await dockerPs(`stratus.engine=${engineId}`, remote.host), [id(onRemote)], 'the remote engine has the sandbox placed on it')
  t.equal((await dockerPs(`stratus.engine=${engineId}`, isolated.host)).length, 3, 'the isolated engine: two containers and their holder')

  for (const [info, address, name] of [[local, '127.0.0.41', 'local'], [onRemote, '127.0.0.42', 'remote']] as const) {
    const binding = info.containers[0].networkBindings![0]
    t.match(binding, { bindIP: address, containerPort: 8080, protocol: 'tcp' })
    t.equal(await eventually(() => httpGet(address, binding.hostPort, '/index.html')), `${name}\n`, `reachable on ${address} (engine ${name})`)
  }
  const inside = onIsolated.containers[0].networkBindings![0]
  t.match(inside, { bindIP: '127.0.0.43', containerPort: 8080 })
  t.equal(await eventually(() => isolated.inNamespace(['busybox', 'wget', '-qO-', `http://127.0.0.43:${inside.hostPort}/index.html`])), 'isolated\n',
    'published on the runner\'s network, reached in the engine\'s own namespace')

  await runner.close()
  await Promise.all(seen.map((o) => o.done))
  for (const host of [undefined, remote.host, isolated.host]) t.same(await dockerPs(`stratus.engine=${engineId}`, host), [], `nothing left on ${host ?? 'the local engine'}`)
  t.notOk((await isolatedNetworks()).includes(RUNNER_NETWORK), 'the network it made is removed by close() (regression: it stayed)')
})

async function isolatedNetworks(): Promise<string[]> {
  const { stdout } = await run('docker', ['-H', isolated.host, 'network', 'ls', '--format', '{{.Name}}'])
  return stdout.split('\n')
}

t.test('the runner\'s network on an engine without a bridge: kept while another runner uses it, made again when removed', async (t) => {
  const dir = await tempDir(t)
  t.teardown(() => run('docker', ['-H', isolated.host, 'network', 'rm', RUNNER_NETWORK]).catch(() => {}))
  const onIsolated = { hosts: [{ name: 'isolated', socketPath: isolated.socketPath }] }
  const web = () => container(dir, 'web', { script: 'echo up > /tmp/index.html; exec httpd -f -p 8080 -h /tmp', portMappings: [{ containerPort: 8080 }] })
  const reach = (info: { containers: Array<{ networkBindings?: Array<{ hostPort: number }> }> }) =>
    eventually(() => isolated.inNamespace(['busybox', 'wget', '-qO-', `http://127.0.0.44:${info.containers[0].networkBindings![0].hostPort}/index.html`]))

  const maker = await dockerRunner(t, 'network-maker', onIsolated)
  t.ok((await isolatedNetworks()).includes(RUNNER_NETWORK), 'made by the first runner')
  const user = await dockerRunner(t, 'network-user', onIsolated)
  const used = observer()
  user.runner.start(sandbox([web()], { address: '127.0.0.44' }), used.listener)
  const info = await used.running
  await maker.runner.close()
  t.ok((await isolatedNetworks()).includes(RUNNER_NETWORK), 'its maker closed while another runner\'s container is on it: kept')
  t.equal(await reach(info), 'up\n', 'that container is still reachable')
  await user.runner.close()
  await used.done
  await run('docker', ['-H', isolated.host, 'network', 'rm', RUNNER_NETWORK])

  const second = await dockerRunner(t, 'network-maker', onIsolated)
  const finder = await dockerRunner(t, 'network-finder', onIsolated)
  await second.runner.close()
  t.notOk((await isolatedNetworks()).includes(RUNNER_NETWORK), 'its maker closed with nothing on it: removed')
  const late = observer()
  finder.runner.start(sandbox([web()], { address: '127.0.0.44' }), late.listener)
  // A start failure (the network missing) rejects here rather than leaving running() unheard.
  t.equal(await reach(await Promise.race([late.running, late.done.then(() => { throw new Error('ended before it ran') })])), 'up\n', 'a runner that found it before makes it again when it needs it')
  await finder.runner.close()
  await late.done
  t.notOk((await isolatedNetworks()).includes(RUNNER_NETWORK), 'and removes it at its close')
})
