// Regression: a docker runner spoke plain HTTP to a tcp:// engine at any
// address (the Engine API without TLS has no authentication: whoever reaches
// it is root on its machine), though only loopback was meant. Now a host URL
// without `tls` must name a loopback address; any other is refused at
// DockerRunner.create, naming the field, before any engine is dialled. A
// plain-HTTP engine on 127.0.0.1 (here: a TCP listener forwarding to the local
// engine's socket) still works.
import t from 'tap'
import net from 'node:net'
import { DockerRunner, LOCAL_HOST } from '../../../runtime/runners/docker/index.js'
import { observer } from './conformance-kit.js'
import { container, dockerReady, engineId, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('plain HTTP to an engine that is not on loopback is refused, naming hosts[i].url', async (t) => {
  for (const url of ['tcp://10.20.30.40:2375', 'http://192.168.7.7:2375', 'tcp://docker.example.com:2375', 'tcp://[fd00::1]:2375']) {
    await t.rejects(
      DockerRunner.create({ engineId: engineId('plain-http'), hosts: [LOCAL_HOST, { name: 'far', url }] }),
      { name: 'RunnerError', kind: 'InvalidArgument', code: 'RunnerInvalidArgument', field: 'hosts[1].url', message: /^hosts\[1\]\.url: far: plain HTTP \(no tls\) is only for a loopback engine/ },
      url
    )
  }
  await t.rejects(DockerRunner.create({ engineId: engineId('plain-http'), hosts: [{ name: 'odd', url: 'ftp://127.0.0.1:21' }] }),
    { code: 'RunnerInvalidArgument', field: 'hosts[0].url' }, 'a URL that is not tcp://')
  await t.rejects(DockerRunner.create({ engineId: engineId('plain-http'), hosts: [{ name: 'nowhere' }] }),
    { code: 'RunnerInvalidArgument', field: 'hosts[0].socketPath' }, 'neither a socket nor a URL')
})

t.test('plain HTTP to an engine on 127.0.0.1 is allowed', async (t) => {
  const dir = await tempDir(t)
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const engine = net.connect('/var/run/docker.sock')
    for (const socket of [client, engine]) {
      open.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => { open.delete(socket); client.destroy(); engine.destroy() })
    }
    client.pipe(engine)
    engine.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of open) socket.destroy()
    server.close()
  })
  const { port } = server.address() as net.AddressInfo
  const runner = await DockerRunner.create({ engineId: engineId('plain-http-loopback'), hosts: [{ name: 'near', url: `tcp://127.0.0.1:${port}` }] })
  t.teardown(() => runner.close())
  t.same(runner.capabilities.hosts, ['near'])
  const seen = observer()
  runner.start(sandbox([container(dir, 'main', { script: 'exit 3' })]), seen.listener)
  t.match(await seen.done, { exitCode: 3 }, 'a sandbox runs on it')
})
