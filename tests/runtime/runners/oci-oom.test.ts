// A container past its memory limit is killed by the kernel, and the OCI runner
// says so: oomKilled, SIGKILL (exit 137 to the task), read from the container's
// memory cgroup (cgroup v1 memory.oom_control, v2 memory.events).
import t from 'tap'
import { join } from 'node:path'
import { observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())

t.test('an OOM kill is reported as such', { skip: made.runner.capabilities.memoryLimits !== 'enforced' && 'no memory cgroup here' }, async (t) => {
  const seen = observer()
  made.runner.start({
    id: 'oom', labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
      env: {}, vcpus: 1, memoryMiB: 32, gpus: 0, logPath: join(made.dir, 'oom.log'), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  t.match(await seen.done, { exitCode: null, signal: 'SIGKILL', oomKilled: true, stopped: false, containers: [{ name: 'main', oomKilled: true }] })
})

t.test('a container within its limit is no OOM', async (t) => {
  const seen = observer()
  made.runner.start({
    id: 'fits', labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'x=$(head -c 1000000 /dev/zero | tr "\\0" a); echo ${#x}'],
      env: {}, vcpus: 1, memoryMiB: 32, gpus: 0, logPath: join(made.dir, 'fits.log'), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  t.match(await seen.done, { exitCode: 0, oomKilled: false })
})
