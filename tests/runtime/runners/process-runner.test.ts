// The process runner against real processes: what is particular to it (the
// conformance suite covers what every runner does): a start failure keeps
// the launcher's cause, the environment gets a PATH, the process runs in its
// own work directory, and a memory limit's OOM kill reaches the exit.
import t from 'tap'
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_PATH, instrument, ProcessRunner, type Runner } from '../../../runtime/runners/index.js'
import { LauncherError } from '../../../runtime/runners/launcher/index.js'
import { observer, specMaker } from './conformance-kit.js'

const inner = await ProcessRunner.create(() => Date.now(), { graceMs: 5_000 })
const runner: Runner = instrument(inner)
const dir = await realpath(await mkdtemp(join(tmpdir(), 'stratus-process-runner-')))
t.teardown(async () => {
  await runner.close()
  await rm(dir, { recursive: true, force: true })
})
const spec = specMaker(dir, 'process')

function run(s: Parameters<Runner['start']>[0]) {
  const seen = observer()
  runner.start(s, seen.listener)
  return seen
}

t.test('a program that does not exist: RunnerStartFailed, keeping the launcher\'s ENOENT and naming the command', async (t) => {
  const seen = run(spec.one({ command: ['stratus-no-such-program', '--flag'] }))
  const error = await seen.done.catch((e: unknown) => e)
  t.match(error, { name: 'RunnerError', code: 'RunnerStartFailed', kind: 'NotFound', field: 'containers[0].command[0]' })
  t.match((error as Error).message, /stratus-no-such-program/)
  t.type((error as Error).cause, LauncherError)
  t.match((error as Error).cause, { errno: 'ENOENT', stage: 'exec' })
})

t.test('a container without PATH gets the default one; its own PATH is kept', async (t) => {
  const bare = spec.one({ command: ['/bin/sh', '-c', 'echo "$PATH"'] })
  await run(bare).done
  t.equal((await readFile(bare.containers[0].logPath, 'utf8')).trim(), DEFAULT_PATH)
  const own = spec.one({ command: ['/bin/sh', '-c', 'echo "$PATH"'], env: { PATH: '/bin:/usr/bin' } })
  await run(own).done
  t.equal((await readFile(own.containers[0].logPath, 'utf8')).trim(), '/bin:/usr/bin')
})

t.test('the process runs in its work directory, created for it', async (t) => {
  const s = spec.one({ script: 'pwd -P' })
  t.match(await run(s).done, { exitCode: 0 })
  t.equal((await readFile(s.containers[0].logPath, 'utf8')).trim(), s.containers[0].workDir)
})

t.test('running() carries the pid', async (t) => {
  const s = spec.one({ script: 'exec sleep 30' })
  const seen = run(s)
  const info = await seen.running
  t.ok(info.containers[0].pid! > 0)
  t.equal(runner.inspect(s.id)?.containers[0].pid, info.containers[0].pid)
  runner.stop(s.id)
  await seen.done
})

t.test('a container over its memory limit is reported OOM-killed', async (t) => {
  if (runner.capabilities.memoryLimits !== 'enforced') {
    t.equal(inner.launcher.memoryLimit.enforced, false)
    t.ok(inner.launcher.memoryLimit.reason, `not enforced here: ${inner.launcher.memoryLimit.reason}`)
    return
  }
  const hog = spec.one({ command: [process.execPath, '-e', 'const b = Buffer.alloc(400 * 2 ** 20, 1); console.log(b.length)'], memoryMiB: 128 })
  t.match(await run(hog).done, { exitCode: null, signal: 'SIGKILL', oomKilled: true, stopped: false, escalated: false, containers: [{ oomKilled: true }] })
})
