// Published ports: each sandbox has its own network namespace (loopback only), and
// its ports are forwarded from its 127.x address on the host. Two sandboxes
// publish the same port on two addresses, and a real TCP client gets each one's
// own answer from busybox httpd inside.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { join } from 'node:path'
import type { SandboxSpec } from '../../../runtime/runners/index.js'
import { logLines, observer, until } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host, port, path: '/', agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve(body))
    }).on('error', reject)
  })
}

/** Answers once the server inside is up (the first connections may find nothing listening yet). */
async function answer(host: string, port: number): Promise<string> {
  let body = ''
  await until(async () => {
    body = await get(host, port).catch(() => '')
    return body !== ''
  })
  return body
}

/** A port free on both addresses. */
async function freePort(addresses: string[]): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000)
    const ok = await Promise.all(addresses.map((host) => new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(port, host, () => s.close(() => resolve(true)))
    })))
    if (ok.every(Boolean)) return port
  }
}

function httpd(id: string, address: string, hostPort: number, name: string): SandboxSpec {
  return {
    id, labels: {}, address, containers: [{
      name: 'web', image: 'busybox:1.36',
      command: ['sh', '-c', `mkdir -p /tmp/www && echo "hello from ${name}" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`],
      env: {}, vcpus: 1, memoryMiB: 0, gpus: 0, portMappings: [{ containerPort: 8080, hostPort }],
      logPath: join(made.dir, `${id}.log`), workDir: join(made.dir, 'work', id)
    }]
  }
}

t.test('the same port on two 127.x addresses reaches two sandboxes', async (t) => {
  const port = await freePort(['127.0.0.2', '127.0.0.3'])
  const a = observer()
  const b = observer()
  made.runner.start(httpd('web-a', '127.0.0.2', port, 'a'), a.listener)
  made.runner.start(httpd('web-b', '127.0.0.3', port, 'b'), b.listener)
  const [infoA, infoB] = await Promise.all([a.running, b.running])
  t.same(infoA.containers[0].networkBindings, [{ bindIP: '127.0.0.2', containerPort: 8080, hostPort: port, protocol: 'tcp' }])
  t.same(infoB.containers[0].networkBindings, [{ bindIP: '127.0.0.3', containerPort: 8080, hostPort: port, protocol: 'tcp' }])
  t.equal(await answer('127.0.0.2', port), 'hello from a\n')
  t.equal(await answer('127.0.0.3', port), 'hello from b\n')
  t.equal(await get('127.0.0.1', port).then(() => 'answered', () => 'refused'), 'refused', 'nothing is published on other addresses')
  made.runner.stop('web-a')
  made.runner.stop('web-b')
  t.match(await a.done, { signal: 'SIGTERM', stopped: true })
  await b.done
  t.equal(await get('127.0.0.2', port).then(() => 'answered', () => 'refused'), 'refused', 'the port is closed with the sandbox')
})

t.test('hostPort 0 is an ephemeral port, reported in networkBindings', async (t) => {
  const s = observer()
  made.runner.start(httpd('web-eph', '127.0.0.4', 0, 'ephemeral'), s.listener)
  const info = await s.running
  const binding = info.containers[0].networkBindings![0]
  t.match(binding, { bindIP: '127.0.0.4', containerPort: 8080, protocol: 'tcp' })
  t.ok(binding.hostPort > 0)
  t.equal(await answer('127.0.0.4', binding.hostPort), 'hello from ephemeral\n')
  made.runner.stop('web-eph')
  await s.done
})

t.test('the container has its own network: loopback only', async (t) => {
  const logPath = join(made.dir, 'ifaces.log')
  const seen = observer()
  made.runner.start({
    id: 'ifaces', labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'ls /sys/class/net'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath, workDir: join(made.dir, 'work', 'ifaces')
    }]
  }, seen.listener)
  await seen.done
  t.same(await logLines(logPath), ['lo'])
})

t.test('a udp port is refused before anything starts', async (t) => {
  const container = (name: string, portMappings: SandboxSpec['containers'][number]['portMappings']) => ({
    name, image: 'busybox:1.36', command: ['sh', '-c', 'echo ran; sleep 5'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
    portMappings, logPath: join(made.dir, `udp-${name}.log`), workDir: join(made.dir, 'work', `udp-${name}`)
  })
  const seen = observer()
  made.runner.start({
    id: 'udp', labels: {}, address: '127.0.0.4', containers: [
      container('tcp', [{ containerPort: 8080 }]),
      container('dns', [{ containerPort: 8080, protocol: 'tcp' }, { containerPort: 53, protocol: 'udp' }])
    ]
  }, seen.listener)
  await t.rejects(seen.done, { code: 'RunnerUnsupported', field: 'containers[1].portMappings[1].protocol', message: /udp port 53/ })
  t.same(seen.calls, ['failed'])
  t.same(await logLines(join(made.dir, 'udp-tcp.log')), [], 'no container ran, not even the first')
})

t.test('in network mode host a udp port is the container\'s own', async (t) => {
  const seen = observer()
  made.runner.start({
    id: 'udp-host', labels: {}, networkMode: 'host', containers: [{
      name: 'main', image: 'busybox:1.36', command: ['true'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      portMappings: [{ containerPort: 5353, protocol: 'udp' }], logPath: join(made.dir, 'udp-host.log'), workDir: join(made.dir, 'work', 'udp-host')
    }]
  }, seen.listener)
  const info = await seen.running
  t.match(info.containers[0].networkBindings, [{ containerPort: 5353, hostPort: 5353, protocol: 'udp' }])
  t.match(await seen.done, { exitCode: 0 })
})
