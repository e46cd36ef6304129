// The image config and the task's container settings, as a container sees them:
// Entrypoint/Cmd with ECS's override rules, Env under the task's variables,
// WorkingDir, User (names from the image's passwd and group), a read-only root,
// bind mounts, ulimits, no new privileges and Docker's capability set.
import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ContainerSpec } from '../../../runtime/runners/index.js'
import { logLines, observer } from './conformance-kit.js'
import { busyboxLayers, dir, file, ociTestRunner, pushLayers, tarOf } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())
const base = await busyboxLayers(made.registry)
const appLayer = await tarOf([
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
  file('etc/group', 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnobody:x:65534:\n'),
  dir('app/', { uid: 1000, gid: 1000 }), dir('home/app/', { uid: 1000, gid: 1000 })
])
await pushLayers(made.registry, 'configured:1', [...base, appLayer], {
  Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo image-cmd $GREETING; pwd; id; echo home=$HOME'],
  Env: ['PATH=/bin', 'GREETING=from-image', 'KEEP=image'], WorkingDir: '/app', User: 'app'
})

let n = 0
async function run(container: Partial<ContainerSpec>) {
  const id = `config-${++n}`
  const logPath = join(made.dir, `${id}.log`)
  const seen = observer()
  made.runner.start({
    id, labels: {}, containers: [{
      name: 'main', image: 'configured:1', command: [], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath, workDir: join(made.dir, 'work', id), ...container
    }]
  }, seen.listener)
  const exit = await seen.done
  return { exit, lines: await logLines(logPath) }
}

t.test("the image's Entrypoint, Cmd, Env, WorkingDir and User", async (t) => {
  const { exit, lines } = await run({})
  t.equal(exit.exitCode, 0)
  t.same(lines, ['image-cmd from-image', '/app', 'uid=1000(app) gid=1000(app) groups=50(staff)', 'home=/home/app'])
})

t.test('a task command replaces Cmd only; its env goes over the image Env', async (t) => {
  const { lines } = await run({ command: ['echo over $GREETING $KEEP'], env: { GREETING: 'task' } })
  t.same(lines, ['over task image'])
})

t.test('a task entryPoint replaces Entrypoint and Cmd', async (t) => {
  t.same((await run({ entryPoint: ['/bin/echo'], command: ['a', 'b'] })).lines, ['a b'])
  t.same((await run({ entryPoint: ['/bin/echo', 'only'] })).lines, ['only'], "the image's Cmd is not appended")
})

t.test('workingDirectory and user override the image', async (t) => {
  t.same((await run({ command: ['pwd; id -u; id -g'], workingDirectory: '/tmp', user: 'nobody' })).lines, ['/tmp', '65534', '65534'])
  t.same((await run({ command: ['id -u; id -g'], user: '0:50' })).lines, ['0', '50'])
  t.same((await run({ command: ['id -u; id -g'], user: 'app:staff' })).lines, ['1000', '50'])
  t.same((await run({ command: ['id -u; id -g'], user: '4242' })).lines, ['4242', '0'], 'a uid without a passwd entry')
})

t.test('an unknown user fails the task with CannotCreateContainerError', async (t) => {
  await t.rejects(run({ user: 'nosuchuser' }), { code: 'CannotCreateContainerError', message: /nosuchuser/ })
  await t.rejects(run({ user: 'app:nosuchgroup' }), { code: 'CannotCreateContainerError', message: /nosuchgroup/ })
})

t.test('readonlyRootFilesystem', async (t) => {
  const { exit, lines } = await run({ command: ['touch /app/x 2>&1; echo rc=$?'], user: 'root', readonlyRootFilesystem: true })
  t.equal(exit.exitCode, 0)
  t.match(lines.join('\n'), /Read-only file system[\s\S]*rc=1/)
  t.same((await run({ command: ['touch /app/x && echo written'], user: 'root' })).lines, ['written'], 'writable without it')
})

t.test('bind mounts, read-write and read-only', async (t) => {
  const host = await mkdtemp(join(tmpdir(), 'stratus-oci-mount-'))
  t.teardown(() => rm(host, { recursive: true, force: true }))
  await writeFile(join(host, 'in'), 'from-host')
  const { lines } = await run({
    user: 'root',
    command: ['cat /data/in; echo; echo from-container > /data/out; touch /ro/x 2>&1 || echo ro-refused'],
    mounts: [{ sourcePath: host, containerPath: '/data' }, { sourcePath: host, containerPath: '/ro', readOnly: true }]
  })
  t.equal(lines[0], 'from-host')
  t.match(lines.slice(1).join('\n'), /Read-only file system[\s\S]*ro-refused/)
  t.equal(await readFile(join(host, 'out'), 'utf8'), 'from-container\n')
})

t.test('vCPUs and memory become the cgroup limits the container lives under', async (t) => {
  const { lines } = await run({
    user: 'root', vcpus: 0.5, memoryMiB: 64, memoryReservationMiB: 32,
    command: ['cd /sys/fs/cgroup; cat cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes memory/memory.memsw.limit_in_bytes']
  })
  t.same(lines, ['50000', '100000', '512', String(64 * 1024 * 1024), String(32 * 1024 * 1024), String(64 * 1024 * 1024)])
})

t.test('an init is PID 1 and reaps orphans, unless initProcessEnabled is false', async (t) => {
  const orphans = 'sh -c "sleep 0.2 & exit 0"; sleep 0.8; echo zombies=$(ps -o stat= | grep -c "^Z")'
  const withInit = await run({ user: 'root', command: [`tr "\\0" " " < /proc/1/cmdline; echo; ${orphans}`] })
  t.match(withInit.lines[0], /^\/dev\/\.stratus-init -s 3 -- \/bin\/sh -c /)
  t.equal(withInit.lines[1], 'zombies=0', 'the orphaned sleep was reaped')
  const without = await run({ user: 'root', initProcessEnabled: false, command: ['tr "\\0" " " < /proc/1/cmdline; echo'] })
  t.match(without.lines[0], /^\/bin\/sh -c /)
})

t.test('ulimits become rlimits', async (t) => {
  t.same((await run({ command: ['ulimit -n; ulimit -Hn'], ulimits: [{ name: 'nofile', softLimit: 321, hardLimit: 654 }] })).lines, ['321', '654'])
})

t.test("no new privileges, Docker's capabilities, masked /proc paths", async (t) => {
  const { lines } = await run({ user: 'root', command: ['grep -E "^(NoNewPrivs|CapEff|CapBnd):" /proc/self/status; cat /proc/timer_list | wc -c; echo 1 > /proc/sys/vm/drop_caches 2>&1 || echo sys-refused'] })
  t.same(lines.slice(0, 3), ['CapEff:\t00000000a80425fb', 'CapBnd:\t00000000a80425fb', 'NoNewPrivs:\t1'])
  t.equal(lines[3].trim(), '0', '/proc/timer_list is masked (the host has it)')
  t.match(lines.slice(4).join('\n'), /Read-only file system[\s\S]*sys-refused/, '/proc/sys is read-only')
})
