// The containers of one OCI sandbox share its network namespace: they reach each
// other on localhost, as on Fargate.
import t from 'tap'
import { join } from 'node:path'
import { logLines, observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())

t.test('a client container reaches a server container of its sandbox on 127.0.0.1', async (t) => {
  const container = (name: string, script: string, essential: boolean) => ({
    name, essential, image: 'busybox:1.36', command: ['sh', '-c', script], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
    logPath: join(made.dir, `${name}.log`), workDir: join(made.dir, 'work', name)
  })
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
