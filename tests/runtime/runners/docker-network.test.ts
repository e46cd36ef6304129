// Networking on the docker runner: ports published on each sandbox's own
// 127.x address (two sandboxes with the same host port, both reachable with a
// real TCP client), the containers of one sandbox reaching each other on
// localhost through its holder, and the bridge, host and none modes.
import t from 'tap'
import net from 'node:net'
import { logLines, observer, until } from './conformance-kit.js'
import { container, dockerInspect, dockerPs, dockerReady, dockerRunner, eventually, httpGet, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

/** A port free on every given address (taken from the first, checked on the others). */
async function freePort(...addresses: string[]): Promise<number> {
  const listen = (host: string, port: number) => new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, host, () => {
      const taken = (server.address() as net.AddressInfo).port
      server.close(() => resolve(taken))
    })
  })
  for (;;) {
    const port = await listen(addresses[0], 0)
    if ((await Promise.all(addresses.slice(1).map((a) => listen(a, port).then(() => true, () => false)))).every(Boolean)) return port
  }
}

const serve = (dir: string, text: string, port = 8080, o: Parameters<typeof container>[2] = {}) =>
  container(dir, 'web', { script: `echo ${text} > /tmp/index.html; exec httpd -f -p ${port} -h /tmp`, ...o })

t.test('two sandboxes publish the same host port, each on its own 127.x address', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'same-port')
  const port = await freePort('127.0.0.51', '127.0.0.52')
  const specs = ['127.0.0.51', '127.0.0.52'].map((address) =>
    sandbox([serve(dir, `at-${address}`, 8080, { portMappings: [{ containerPort: 8080, hostPort: port }] })], { address }))
  const seen = specs.map((s) => {
    const o = observer()
    runner.start(s, o.listener)
    return o
  })
  const infos = await Promise.all(seen.map((o) => o.running))
  for (const [i, address] of ['127.0.0.51', '127.0.0.52'].entries()) {
    t.same(infos[i].containers[0].networkBindings, [{ bindIP: address, containerPort: 8080, hostPort: port, protocol: 'tcp' }])
    t.equal(await eventually(() => httpGet(address, port, '/index.html')), `at-${address}\n`, `${address}:${port} answers from its own sandbox`)
  }
  for (const s of specs) runner.stop(s.id)
  await Promise.all(seen.map((o) => o.done))
})

t.test('the containers of one sandbox reach each other on localhost; the holder publishes their ports and goes with them', async (t) => {
  const dir = await tempDir(t)
  const { runner, engineId } = await dockerRunner(t, 'localhost')
  const client = container(dir, 'client', {
    // Fetches, then waits for the test to say it is done (exec touches /tmp/done).
    script: 'for i in $(seq 1 100); do wget -qO- http://127.0.0.1:8080/index.html 2>/dev/null && break; sleep 0.05; done; until [ -f /tmp/done ]; do sleep 0.05; done'
  })
  const s = sandbox([serve(dir, 'hello-from-web', 8080, { essential: false, portMappings: [{ containerPort: 8080 }] }), client], { address: '127.0.0.53' })
  const seen = observer()
  runner.start(s, seen.listener)
  const info = await seen.running
  const binding = info.containers[0].networkBindings![0]
  t.match(binding, { bindIP: '127.0.0.53', containerPort: 8080, protocol: 'tcp' })
  t.same(await dockerPs(`stratus.sandbox=${s.id}`).then((ids) => ids.length), 3, 'two containers and the holder')
  t.equal((await dockerPs(`stratus.sandbox=${s.id}`).then((ids) => Promise.all(ids.map((id) => dockerInspect(id)))))
    .filter((c) => c.Config.Labels['stratus.role'] === 'holder').length, 1, 'one of them the holder')
  t.equal(await eventually(() => httpGet('127.0.0.53', binding.hostPort, '/index.html')), 'hello-from-web\n', 'published from the shared namespace')
  await until(async () => (await logLines(client.logPath)).length > 0)
  t.match(await runner.exec(s.id, 'client', ['touch', '/tmp/done']), { exitCode: 0 })
  t.match(await seen.done, { exitCode: 0, containers: [{ name: 'web', signal: 'SIGTERM' }, { name: 'client', exitCode: 0 }] })
  t.same(await logLines(client.logPath), ['hello-from-web'], 'the client reached the web container on 127.0.0.1')
  t.same(await dockerPs(`stratus.engine=${engineId}`), [], 'the holder is removed with the sandbox')
})

t.test('bridge, host and none network modes', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'modes')
  t.same(runner.capabilities.networkModes, ['awsvpc', 'bridge', 'host', 'none'])

  const bridged = sandbox([serve(dir, 'bridged', 8080, { portMappings: [{ containerPort: 8080 }] })], { networkMode: 'bridge', address: '127.0.0.54' })
  const b = observer()
  runner.start(bridged, b.listener)
  const bridgedBinding = (await b.running).containers[0].networkBindings![0]
  t.match(bridgedBinding, { bindIP: '127.0.0.1', containerPort: 8080, hostPort: Number }, 'bridge: a dynamic port on 127.0.0.1')
  t.equal(await eventually(() => httpGet('127.0.0.1', bridgedBinding.hostPort, '/index.html')), 'bridged\n')
  runner.stop(bridged.id)
  await b.done

  const port = await freePort('127.0.0.1')
  const hosted = sandbox([serve(dir, 'hosted', port, { portMappings: [{ containerPort: port }] })], { networkMode: 'host' })
  const h = observer()
  runner.start(hosted, h.listener)
  t.same((await h.running).containers[0].networkBindings, [{ bindIP: '127.0.0.1', containerPort: port, hostPort: port, protocol: 'tcp' }])
  t.equal(await eventually(() => httpGet('127.0.0.1', port, '/index.html')), 'hosted\n', 'host: the container\'s own port')
  runner.stop(hosted.id)
  await h.done

  const isolated = container(dir, 'main', { script: 'ip -o link | cut -d: -f2 | tr -d " "' })
  const n = observer()
  runner.start(sandbox([isolated], { networkMode: 'none' }), n.listener)
  t.match(await n.done, { exitCode: 0 })
  t.same(await logLines(isolated.logPath), ['lo'], 'none: loopback only')

  const refused = observer()
  runner.start(sandbox([container(dir, 'main', { portMappings: [{ containerPort: 80 }] })], { networkMode: 'none' }), refused.listener)
  await t.rejects(refused.done, { code: 'RunnerInvalidSpec', field: 'containers[0].portMappings[0]' }, 'none has no ports to publish')
})
