// The OCI runner's options: privileged containers only when the runner allows
// them, and the runtime (runc, or crun where it can run: crun 1.8 refuses a
// hybrid cgroup host whose v2 hierarchy has controllers, as this one has).
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { instrument, type SandboxSpec } from '../../../runtime/runners/index.js'
import { OciRunner } from '../../../runtime/runners/oci/index.js'
import { logLines, observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

function capsSpec(dir: string, id: string, privileged: boolean): SandboxSpec {
  return {
    id, labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(dir, `${id}.log`), workDir: join(dir, 'work', id), privileged
    }]
  }
}

t.test('privileged is refused unless the runner allows it', async (t) => {
  const made = await ociTestRunner()
  t.teardown(() => made.close())
  const runner = instrument(made.runner)
  t.equal(runner.capabilities.privileged, false)
  const spec = capsSpec(made.dir, 'refused', true)
  t.throws(() => runner.start(spec, observer().listener), { code: 'RunnerUnsupported', field: 'containers[0].privileged' })
  t.equal(runner.inspect('refused'), undefined)
})

t.test('a runner that allows it runs privileged containers with every capability', async (t) => {
  const made = await ociTestRunner({ allowPrivileged: true })
  t.teardown(() => made.close())
  const runner = instrument(made.runner)
  t.equal(runner.capabilities.privileged, true)
  const hostBounding = /^CapBnd:\s*(\w+)$/m.exec(await readFile('/proc/self/status', 'utf8'))![1]
  const privileged = capsSpec(made.dir, 'privileged', true)
  const seen = observer()
  runner.start(privileged, seen.listener)
  await seen.done
  t.same(await logLines(privileged.containers[0].logPath), [`CapEff:\t${hostBounding}`, 'NoNewPrivs:\t0'])
  const plain = capsSpec(made.dir, 'plain', false)
  const again = observer()
  runner.start(plain, again.listener)
  await again.done
  t.same(await logLines(plain.containers[0].logPath), ['CapEff:\t00000000a80425fb', 'NoNewPrivs:\t1'], 'others still get the default set')
})

t.test('the runtime: runc by default; crun where it can run', async (t) => {
  const made = await ociTestRunner()
  t.teardown(() => made.close())
  t.equal(made.runner.runtime.name, 'runc')
  const controllers = (await readFile('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').catch(() => '')).trim()
  if (controllers !== '') {
    await t.rejects(OciRunner.create({ now: Date.now, engineId: 'crun', stateDir: join(made.dir, 'crun'), runtime: 'crun' }), {
      code: 'RunnerStartFailed', field: 'runtime', message: /crun refuses hybrid cgroup hosts.*use runc/
    })
  } else {
    const crun = await ociTestRunner({ runtime: 'crun' }, made.registry)
    t.teardown(() => crun.close())
    const spec = capsSpec(crun.dir, 'crun', false)
    const seen = observer()
    crun.runner.start(spec, seen.listener)
    t.match(await seen.done, { exitCode: 0 })
  }
})
