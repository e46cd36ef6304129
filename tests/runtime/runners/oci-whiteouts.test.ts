// Whiteouts in a real container, in both rootfs modes: an image of three layers
// (busybox; a layer with files; a layer that deletes one file, deletes a
// directory, and makes another directory opaque and adds to it) shows the
// container exactly what the top layer says.
import t from 'tap'
import { join } from 'node:path'
import { Registry } from '../../../registry/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'
import { logLines, observer } from './conformance-kit.js'
import { busyboxLayers, dir, file, ociTestRunner, pushLayers, tarOf } from './oci-kit.js'

t.test('the top layer deletes and hides what the layers below have', async (t) => {
  const registry = await Registry.open({ storage: { driver: 'inmemory' } })
  t.teardown(() => registry.close())
  await pushBusybox(registry)
  const base = await busyboxLayers(registry)
  const middle = await tarOf([
    dir('data/'), file('data/keep', 'kept'), file('data/gone', 'deleted'),
    dir('data/old/'), file('data/old/a', 'a'), file('data/old/b', 'b'),
    dir('data/removed/'), file('data/removed/x', 'x')
  ])
  const top = await tarOf([
    dir('data/'), file('data/.wh.gone', ''), file('data/.wh.removed', ''),
    dir('data/old/'), file('data/old/.wh..wh..opq', ''), file('data/old/c', 'c')
  ])
  await pushLayers(registry, 'layered:1', [...base, middle, top], { Cmd: ['sh'], Env: ['PATH=/bin'] })

  for (const mode of ['overlay', 'copy'] as const) {
    t.test(`${mode} rootfs`, async (t) => {
      const made = await ociTestRunner({ rootfs: mode }, registry)
      t.teardown(() => made.close())
      t.equal(made.runner.rootfsMode, mode)
      const logPath = join(made.dir, `${mode}.log`)
      const seen = observer()
      made.runner.start({
        id: `whiteouts-${mode}`, labels: {}, containers: [{
          name: 'main', image: 'layered:1', command: ['sh', '-c', 'ls /data; echo --; ls /data/old; echo --; cat /data/keep; echo; ls /data/removed 2>&1 || echo no-removed'],
          env: {}, vcpus: 1, memoryMiB: 0, gpus: 0, logPath, workDir: join(made.dir, 'work')
        }]
      }, seen.listener)
      t.match(await seen.done, { exitCode: 0 })
      t.same(await logLines(logPath), ['keep', 'old', '--', 'c', '--', 'kept', 'ls: /data/removed: No such file or directory', 'no-removed'])
    })
  }
})
