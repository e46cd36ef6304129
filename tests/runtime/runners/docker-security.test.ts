// Security defaults of the docker runner, as a container sees them: no new
// privileges, Docker's default capability set, an init process as PID 1
// (unless initProcessEnabled is false), not privileged — and privileged only
// when the runner was created allowing it; host paths only where a spec
// mounts them (read-write or read-only), and a read-only root filesystem.
import t from 'tap'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logLines, observer } from './conformance-kit.js'
import { container, dockerInspect, dockerReady, dockerRunner, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

/** Docker's default capability set (CAP_CHOWN … CAP_AUDIT_WRITE, CAP_SETFCAP), as /proc/self/status shows it. */
const DEFAULT_CAPS = '00000000a80425fb'

async function runScript(runner: Awaited<ReturnType<typeof dockerRunner>>['runner'], c: ReturnType<typeof container>) {
  const seen = observer()
  runner.start(sandbox([c]), seen.listener)
  const info = await seen.running
  const exit = await seen.done
  return { exit, lines: await logLines(c.logPath), runtimeId: info.containers[0].runtimeId! }
}

t.test('by default: no new privileges, default capabilities, docker-init as PID 1, not privileged', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'security')
  t.equal(runner.capabilities.privileged, false)
  const probe = 'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status | tr -s "\\t " " "; echo "pid1 $(cat /proc/1/comm)"; echo "uid $(id -u)"'
  const { exit, lines } = await runScript(runner, container(dir, 'main', { script: probe }))
  t.match(exit, { exitCode: 0 })
  t.same(lines, [`CapEff: ${DEFAULT_CAPS}`, 'NoNewPrivs: 1', 'pid1 docker-init', 'uid 0'])

  const noInit = await runScript(runner, container(dir, 'main', { initProcessEnabled: false, script: 'echo "pid1 $(cat /proc/1/comm)"' }))
  t.same(noInit.lines, ['pid1 sh'], 'initProcessEnabled false: the program is PID 1')

  t.throws(() => runner.start(sandbox([container(dir, 'main', { privileged: true })]), observer().listener),
    { code: 'RunnerUnsupported', field: 'containers[0].privileged' }, 'privileged is refused unless the runner allows it')
})

t.test('privileged, when the runner allows it', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'privileged', { allowPrivileged: true })
  t.equal(runner.capabilities.privileged, true)
  // A machine that is itself a sandbox may hold back capabilities (its bounding set): there the engine
  // cannot start any privileged container, and the runner says so with the engine's reason.
  const machine = await run('docker', ['run', '--rm', '--privileged', '--label', 'stratus.test=docker-security', 'busybox:1.36', 'true'])
    .then(() => undefined, (e: { stderr?: string }) => /unable to apply caps[^\n]*/.exec(e.stderr ?? '')?.[0] ?? e.stderr ?? 'failed')
  const c = container(dir, 'main', { privileged: true, script: 'grep CapEff /proc/self/status | tr -s "\\t " " "' })
  const seen = observer()
  runner.start(sandbox([c]), seen.listener)
  if (machine === undefined) {
    await seen.done
    t.notSame(await logLines(c.logPath), [`CapEff: ${DEFAULT_CAPS}`], 'more than the default capabilities')
  } else {
    await t.rejects(seen.done, { code: 'RunnerStartFailed', field: 'containers[0]', message: /unable to apply caps/ }, `this machine: ${machine}`)
  }
  const plain = await runScript(runner, container(dir, 'main', { script: 'grep CapEff /proc/self/status | tr -s "\\t " " "' }))
  t.same(plain.lines, [`CapEff: ${DEFAULT_CAPS}`], 'a container that does not ask is not privileged')
})

t.test('bind mounts only where the spec asks, read-only where it says, and a read-only root', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'mounts')
  const shared = join(dir, 'shared')
  const config = join(dir, 'config')
  await mkdir(shared)
  await mkdir(config)
  await writeFile(join(config, 'settings'), 'answer=42\n')
  const c = container(dir, 'main', {
    readonlyRootFilesystem: true,
    mounts: [{ sourcePath: shared, containerPath: '/data' }, { sourcePath: config, containerPath: '/etc/app', readOnly: true }],
    script: [
      'echo written > /data/out && echo "data rw"',
      'cat /etc/app/settings',
      'touch /etc/app/x 2>/dev/null && echo "config rw" || echo "config ro"',
      'touch /new 2>/dev/null && echo "root rw" || echo "root ro"',
      'touch /tmp/x 2>/dev/null && echo "tmp rw" || echo "tmp ro"',
      // Held until the test has inspected it: a container that exits at once is removed at once.
      'while [ ! -f /data/go ]; do sleep 0.1; done'
    ].join('; ')
  })
  const seen = observer()
  runner.start(sandbox([c]), seen.listener)
  const info = await seen.running
  const inspected = await dockerInspect(info.containers[0].runtimeId!)
  await writeFile(join(shared, 'go'), '')
  t.match(await seen.done, { exitCode: 0 })
  t.same(await logLines(c.logPath), ['data rw', 'answer=42', 'config ro', 'root ro', 'tmp ro'])
  t.equal(await readFile(join(shared, 'out'), 'utf8'), 'written\n', 'the host sees what the container wrote')
  t.equal(inspected.HostConfig.ReadonlyRootfs, true)
  t.same(inspected.HostConfig.Binds, null, 'no Binds: only the spec\'s Mounts')
  t.same(inspected.Mounts.map((m: Record<string, unknown>) => [m.Type, m.Source, m.Destination, m.RW]).sort(),
    [['bind', shared, '/data', true], ['bind', config, '/etc/app', false]].sort(), 'exactly the mounts asked for')

  const bare = await runScript(runner, container(dir, 'main', { script: 'touch /new && echo "root rw"' }))
  t.same(bare.lines, ['root rw'], 'a writable root unless asked otherwise')
})
