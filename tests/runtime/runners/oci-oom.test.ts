// A container past its memory limit is killed by the kernel, and the OCI runner
// says so: oomKilled, SIGKILL (exit 137 to the task), read from the container's
// memory cgroup (cgroup v1 memory.oom_control, v2 memory.events). Only its own
// process counts: a child the kernel killed is no OOM kill of the container.
import t from 'tap'
import { join } from 'node:path'
import { logLines, observer } from './conformance-kit.js'
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

t.test('a container whose child is OOM-killed but which exits 0 itself is no OOM kill', { skip: made.runner.capabilities.memoryLimits !== 'enforced' && 'no memory cgroup here' }, async (t) => {
  const seen = observer()
  const logPath = join(made.dir, 'child-oom.log')
  made.runner.start({
    id: 'child-oom', labels: {}, containers: [{
      name: 'main', image: 'busybox:1.36',
      // The inner shell holds the 200 MB: it is the cgroup's biggest process, the one the kernel kills.
      command: ['sh', '-c', 'sh -c \'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}\'; echo child $?; exit 0'],
      env: {}, vcpus: 1, memoryMiB: 32, gpus: 0, logPath, workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  t.match(await seen.done, { exitCode: 0, signal: null, oomKilled: false, containers: [{ name: 'main', exitCode: 0, oomKilled: false }] })
  // Which process of the pipeline the kernel picks varies (the shell prints Killed for each one killed).
  const lines = await logLines(logPath)
  t.ok(lines.includes('Killed'), 'its child really was killed')
  t.notOk(lines.some((line) => line.startsWith('survived')), 'and nothing of it survived the kill')
})

t.test('a shell whose last command is OOM-killed exits 137: an OOM kill, as Docker says', { skip: made.runner.capabilities.memoryLimits !== 'enforced' && 'no memory cgroup here' }, async (t) => {
  const seen = observer()
  made.runner.start({
    id: 'pipeline-oom', labels: {}, containers: [{
      // tail holds its whole input (no newline in it): it is the one killed; sh reports that as its own exit 137.
      name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'head -c 200000000 /dev/zero | tail > /dev/null'],
      env: {}, vcpus: 1, memoryMiB: 32, gpus: 0, logPath: join(made.dir, 'pipeline-oom.log'), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  // Usually tail is the one killed and sh exits 137; under load the kernel may pick sh itself (SIGKILL). Both are OOM kills.
  const exit = await seen.done
  t.match(exit, { oomKilled: true, containers: [{ name: 'main', oomKilled: true }] })
  t.ok(exit.exitCode === 137 || exit.signal === 'SIGKILL', `ended by the kill (exit ${exit.exitCode}, signal ${exit.signal})`)
})
