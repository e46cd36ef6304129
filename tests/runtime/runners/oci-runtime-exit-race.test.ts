// Regression: a container whose program ended before its runtime process
// (`runc run -d`) had exited was reported lost (exitCode null, SIGKILL). Its
// init is reparented to the shim while runc exits, so the shim, waiting for
// runc, could reap the container's init first and then find nothing to wait
// for. It happened under load (a busy machine slows runc's exit); here a runtime
// that lingers after runc returned makes it happen every time: the real runc,
// run by a wrapper that sleeps once `run` is done (oci-kit.ts lingeringRuntimeRunner).
import t from 'tap'
import { join } from 'node:path'
import { logLines, observer } from './conformance-kit.js'
import { lingeringRuntimeRunner, ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner({ rootfs: 'copy' })
t.teardown(() => made.close())
const slow = await lingeringRuntimeRunner({ rootfs: 'copy' }, made.registry)
t.teardown(() => slow.close())

for (const init of [true, false]) {
  t.test(`a program that ends while the runtime is still exiting reports its own exit (init ${init ? 'on' : 'off'})`, async (t) => {
    const logPath = join(slow.dir, `quick-${init}.log`)
    const seen = observer()
    slow.runner.start({
      id: `quick-${init}`, labels: {}, containers: [{
        name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'echo done; exit 3'], initProcessEnabled: init,
        env: {}, vcpus: 1, memoryMiB: 0, gpus: 0, logPath, workDir: join(slow.dir, 'work')
      }]
    }, seen.listener)
    t.match(await seen.done, { exitCode: 3, signal: null, oomKilled: false, containers: [{ name: 'main', exitCode: 3, signal: null }] })
    t.same(await logLines(logPath), ['done'])
  })
}

t.test('a signal is still told apart from an exit when the runtime lingers', async (t) => {
  const seen = observer()
  slow.runner.start({
    id: 'killed', labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'kill -TERM $$'],
      env: {}, vcpus: 1, memoryMiB: 0, gpus: 0, logPath: join(slow.dir, 'killed.log'), workDir: join(slow.dir, 'work')
    }]
  }, seen.listener)
  t.match(await seen.done, { exitCode: null, signal: 'SIGTERM' })
})

// Regression: an exit heard while the runner was still writing the sandbox's record (right before running())
// ended the sandbox there and then: running() then said state 'exited', and its exit could even come first.
// Here the exit arrives right after the runtime returns, so about every other such start met it (one a run
// of the conformance suite on a busy machine): several starts in a row.
t.test('running() comes first and says running, when the program ended before the runtime returned', async (t) => {
  for (let i = 0; i < 6; i++) {
    const seen = observer()
    slow.runner.start({
      id: `first-${i}`, labels: {}, containers: [{
        name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'exit 0'],
        env: {}, vcpus: 1, memoryMiB: 0, gpus: 0, logPath: join(slow.dir, `first-${i}.log`), workDir: join(slow.dir, 'work')
      }]
    }, seen.listener)
    t.match(await seen.done, { exitCode: 0 })
    t.same(seen.calls, ['running', 'exited'], `start ${i}: running, then exited`)
    t.match(seen.info, { state: 'running', startedAt: Number, containers: [{ name: 'main', state: 'running' }] }, `start ${i}: running() says running`)
  }
})
