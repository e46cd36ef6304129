// The containers of one OCI sandbox share its network namespace: they reach each
// other on localhost, as on Fargate. The namespace is the sandbox's, not its first
// container's: a first container that ends at once (an init-style sidecar; a
// program with a published port that fails straight away) once failed the start
// ("ended before the sandbox's network namespace could be shared").
import t from 'tap'
import { join } from 'node:path'
import { logLines, observer } from './conformance-kit.js'
import { lingeringRuntimeRunner, ociTestRunner } from './oci-kit.js'
import type { SandboxSpec } from '../../../runtime/runners/index.js'

const made = await ociTestRunner()
t.teardown(() => made.close())

// The runtime returns only once a program that ends at once has ended: the first container is certainly gone
// before the others start (on a quiet machine it often was not yet, and the start went through by luck).
const slow = await lingeringRuntimeRunner({}, made.registry)
t.teardown(() => slow.close())

const container = (name: string, script: string, essential: boolean, extra: Partial<SandboxSpec['containers'][number]> = {}) => ({
  name, essential, image: 'busybox:1.36', command: ['sh', '-c', script], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
  logPath: join(made.dir, `${name}.log`), workDir: join(made.dir, 'work', name), ...extra
})

t.test('a client container reaches a server container of its sandbox on 127.0.0.1', async (t) => {
  const seen = observer()
  made.runner.start({
    id: 'pair', labels: {}, containers: [
      container('server', 'mkdir -p /tmp/www && echo from-the-server > /tmp/www/index.html && exec httpd -f -p 9000 -h /tmp/www', false),
      container('client', 'for i in $(seq 1 200); do wget -q -O - http://127.0.0.1:9000/ && exit 0; sleep 0.05; done; exit 1', true)
    ]
  }, seen.listener)
  const exit = await seen.done
  t.match(exit, { exitCode: 0, containers: [{ name: 'server', signal: 'SIGTERM' }, { name: 'client', exitCode: 0 }] })
  t.same(await logLines(join(made.dir, 'client.log')), ['from-the-server'])
})

t.test('a first container that exits at once does not fail the start; the others share the namespace', async (t) => {
  const seen = observer()
  slow.runner.start({
    id: 'quick-first', labels: {}, containers: [
      container('init', 'exit 0', false),
      // Loopback is up in the sandbox's namespace: a server and a client of the same container meet on it.
      container('main', 'mkdir -p /tmp/www && echo up > /tmp/www/index.html && httpd -p 9000 -h /tmp/www && sleep 0.5 && wget -q -O - http://127.0.0.1:9000/', true)
    ]
  }, seen.listener)
  t.match(await seen.done, { exitCode: 0, containers: [{ name: 'init', exitCode: 0 }, { name: 'main', exitCode: 0 }] })
  t.same(seen.calls, ['running', 'exited'])
  t.same(await logLines(join(made.dir, 'main.log')), ['up'])
})

t.test('a one-container sandbox with a port whose program exits at once reports its exit code', async (t) => {
  const seen = observer()
  slow.runner.start({ id: 'quick-port', labels: {}, containers: [container('exits', 'exit 4', true, { portMappings: [{ containerPort: 8080 }] })] }, seen.listener)
  t.match(await seen.done, { exitCode: 4, signal: null, containers: [{ name: 'exits', exitCode: 4 }] })
  t.same(seen.calls, ['running', 'exited'], 'it ran: no start failure in place of its exit')
})
