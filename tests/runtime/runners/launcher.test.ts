// The process launcher, against real processes. One test body runs unchanged
// against both implementations: the C helper and the pure-Node fallback.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  findLauncherBinary, LauncherError, ProcessLauncher, type LauncherImplementation, type ProcessExit
} from '../../../runtime/runners/launcher/index.js'

const PATH = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'

/** Polls until `check` passes; the tap timeout bounds it. Never asserts on time. */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await sleep(10)
}

async function fileHas(path: string, text: string): Promise<boolean> {
  try {
    return (await readFile(path, 'utf8')).includes(text)
  } catch {
    return false
  }
}

/** Gone, or a zombie nobody reaped yet: either way it no longer runs. */
function stillRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

function hasCompiler(): boolean {
  const cc = spawnSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' })
  return !cc.error && cc.status === 0
}

async function launcherSuite(t: Test, implementation: LauncherImplementation): Promise<void> {
  const launcher = await ProcessLauncher.start({ implementation })
  t.teardown(() => launcher.close())
  const dir = await realpath(await mkdtemp(join(tmpdir(), `stratus-launcher-${implementation}-`)))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { PATH }
  t.equal(launcher.implementation, implementation)

  t.test('reports exit codes', async (t) => {
    const ok = await launcher.spawn({ argv: ['true'], env })
    const failing = await launcher.spawn({ argv: ['sh', '-c', 'exit 7'], env })
    t.ok(ok.pid > 0)
    t.match(await ok.exited, { exitCode: 0, signal: null, oomKilled: false })
    t.match(await failing.exited, { exitCode: 7, signal: null, oomKilled: false })
  })

  t.test('reports the signal that killed a process', async (t) => {
    const p = await launcher.spawn({ argv: ['sh', '-c', 'kill -USR1 $$'], env })
    t.match(await p.exited, { exitCode: null, signal: 'SIGUSR1' })
  })

  t.test('passes the environment exactly and runs in the given cwd', async (t) => {
    const out = join(dir, 'env.out')
    const p = await launcher.spawn({ argv: ['/usr/bin/env', '-0'], env: { ONLY: 'this one', EMPTY: '', PATH }, stdout: out })
    await p.exited
    // NUL-separated: a value may hold newlines (tap's own variables do, under `npm test`).
    let seen = (await readFile(out, 'utf8')).split('\0').filter((line) => line !== '').sort()
    // tap instruments child_process.spawn in this process (process-on-spawn) to add its own
    // variables; only the node fallback goes through child_process, so only it sees them.
    if (implementation === 'node') seen = seen.filter((line) => !/^(NODE_OPTIONS|_TAPJS_\w+)=/s.test(line))
    t.same(seen, ['EMPTY=', 'ONLY=this one', `PATH=${PATH}`])

    const pwd = join(dir, 'pwd.out')
    await (await launcher.spawn({ argv: ['sh', '-c', 'pwd -P'], env, cwd: dir, stdout: pwd })).exited
    t.equal((await readFile(pwd, 'utf8')).trim(), dir)
  })

  t.test('writes stdout and stderr to files that can be read while the process runs', async (t) => {
    const out = join(dir, 'live.out')
    const err = join(dir, 'live.err')
    const p = await launcher.spawn({ argv: ['sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 1000'], env, stdout: out, stderr: err })
    await until(async () => (await fileHas(out, 'to-out')) && (await fileHas(err, 'to-err')))
    t.ok(stillRuns(p.pid), 'the process still runs while its logs are read')
    t.notOk(await fileHas(out, 'to-err'), 'stderr does not leak into stdout')
    t.ok(p.kill('SIGKILL'))
    t.match(await p.exited, { signal: 'SIGKILL' })

    const both = join(dir, 'both.log')
    await (await launcher.spawn({ argv: ['sh', '-c', 'echo one; echo two >&2; echo three'], env, stdout: both, stderr: both })).exited
    t.equal(await readFile(both, 'utf8'), 'one\ntwo\nthree\n', 'one path for both streams interleaves them in order')

    await (await launcher.spawn({ argv: ['sh', '-c', 'echo four'], env, stdout: both, appendOutput: true })).exited
    t.equal(await readFile(both, 'utf8'), 'one\ntwo\nthree\nfour\n', 'appendOutput appends')
  })

  t.test('kill reaches the whole process group', async (t) => {
    const pidFile = join(dir, 'group.pid')
    const p = await launcher.spawn({ id: 'group', argv: ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}; wait`], env })
    await until(() => fileHas(pidFile, '\n'))
    const sleeper = Number(await readFile(pidFile, 'utf8'))
    t.ok(stillRuns(sleeper))
    t.equal(launcher.kill('group', 'SIGTERM'), true)
    t.match(await p.exited, { exitCode: null, signal: 'SIGTERM' })
    await until(() => !stillRuns(sleeper))
    t.pass('the shell\'s sleeping child was killed too')
    t.equal(launcher.kill('group'), false, 'an exited process cannot be killed')
  })

  t.test('leftovers of a process group die with its leader', async (t) => {
    const pidFile = join(dir, 'orphan.pid')
    const p = await launcher.spawn({ argv: ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}`], env })
    t.match(await p.exited, { exitCode: 0 })
    const sleeper = Number(await readFile(pidFile, 'utf8'))
    await until(() => !stillRuns(sleeper))
    t.pass('the background sleep did not outlive the job')
  })

  t.test('a kill sent before the pid is known still reaches the process', async (t) => {
    const pending = Array.from({ length: 20 }, (_, i) => launcher.spawn({ id: `early-${i}`, argv: ['sleep', '1000'], env }))
    for (let i = 0; i < 20; i++) t.equal(launcher.kill(`early-${i}`, 'SIGKILL'), true)
    const exits = await Promise.all(pending.map(async (p) => (await p).exited))
    t.same(exits.map((e) => e.signal), Array(20).fill('SIGKILL'))
  })

  t.test('terminate escalates from SIGTERM to SIGKILL', async (t) => {
    const out = join(dir, 'stubborn.out')
    const p = await launcher.spawn({ argv: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done'], env, stdout: out })
    await until(() => fileHas(out, 'ready'))
    t.ok(p.terminate({ graceMs: 100 }))
    t.match(await p.exited, { exitCode: null, signal: 'SIGKILL' }, 'TERM was ignored, so KILL followed')
  })

  t.test('a memory limit kills the process and says so', async (t) => {
    if (!launcher.memoryLimit.enforced) {
      t.equal(launcher.memoryLimit.mechanism, 'none')
      t.ok(launcher.memoryLimit.reason)
      const p = await launcher.spawn({ argv: ['true'], env, memoryLimitBytes: 32 << 20 })
      t.equal(p.memoryLimit, 'not-enforced')
      await p.exited
      return
    }
    // node itself is the allocator: always present, and it really touches what it allocates.
    const alloc = (mib: number): string[] => [process.execPath, '-e', `const b = Buffer.alloc(${mib} * 2 ** 20, 1); console.log(b.length)`]
    const hog = await launcher.spawn({ argv: alloc(400), env, memoryLimitBytes: 128 << 20 })
    t.equal(hog.memoryLimit, 'enforced')
    const exit: ProcessExit = await hog.exited
    t.match(exit, { oomKilled: true, signal: 'SIGKILL' })

    const modest = await launcher.spawn({ argv: alloc(8), env, memoryLimitBytes: 128 << 20 })
    t.match(await modest.exited, { oomKilled: false, exitCode: 0 }, 'a process within its limit is not touched')

    const free = await launcher.spawn({ argv: ['true'], env })
    t.equal(free.memoryLimit, 'none')
    await free.exited
  })

  t.test('memory limits degrade to not-enforced without cgroups', async (t) => {
    const plain = await ProcessLauncher.start({ implementation, cgroup: 'none' })
    t.teardown(() => plain.close())
    t.match(plain.memoryLimit, { enforced: false, mechanism: 'none' })
    const p = await plain.spawn({ argv: ['true'], env, memoryLimitBytes: 32 << 20 })
    t.equal(p.memoryLimit, 'not-enforced')
    t.match(await p.exited, { exitCode: 0, oomKilled: false })
  })

  t.test('many concurrent spawns are all reported', async (t) => {
    const count = 300
    const started = await Promise.all(Array.from({ length: count }, (_, i) =>
      launcher.spawn({ id: `many-${i}`, argv: ['sh', '-c', `exit ${i % 5}`], env })))
    t.equal(new Set(started.map((p) => p.pid)).size, count, 'every process has its own pid')
    const exits = await Promise.all(started.map((p) => p.exited))
    t.same(exits.map((e) => e.exitCode), Array.from({ length: count }, (_, i) => i % 5))
    t.same(exits.map((e) => e.id), started.map((p) => p.id))
    t.equal(launcher.running, 0)
  })

  t.test('a missing executable is a spawn error, not a crash', async (t) => {
    const error = await launcher.spawn({ argv: ['stratus-no-such-program'], env }).catch((e: unknown) => e)
    t.type(error, LauncherError)
    t.match(error, { code: 'LauncherSpawnFailed', kind: 'NotFound', errno: 'ENOENT', stage: 'exec', field: 'argv[0]' })
    t.match((error as Error).message, /stratus-no-such-program/)
    const absolute = await launcher.spawn({ argv: [join(dir, 'nope')], env }).catch((e: unknown) => e)
    t.match(absolute, { code: 'LauncherSpawnFailed', errno: 'ENOENT' })
    const after = await launcher.spawn({ argv: ['true'], env })
    t.match(await after.exited, { exitCode: 0 }, 'the launcher still works')
  })

  t.test('a missing cwd or unwritable log is a spawn error naming the field', async (t) => {
    const cwd = await launcher.spawn({ argv: ['true'], env, cwd: 'no/such/dir' }).catch((e: unknown) => e)
    t.match(cwd, { code: 'LauncherSpawnFailed', stage: 'chdir', field: 'cwd', errno: 'ENOENT' })
    t.match((cwd as Error).message, /no\/such\/dir/)
    const log = await launcher.spawn({ argv: ['true'], env, stdout: join(dir, 'missing-dir', 'x.log') }).catch((e: unknown) => e)
    t.match(log, { code: 'LauncherSpawnFailed', stage: 'stdout', field: 'stdout', errno: 'ENOENT' })
  })

  t.test('bad requests are refused before anything starts', async (t) => {
    await t.rejects(launcher.spawn({ argv: [], env }), { code: 'LauncherInvalidRequest', field: 'argv' })
    await t.rejects(launcher.spawn({ argv: ['true', 3 as unknown as string], env }), { code: 'LauncherInvalidRequest', field: 'argv[1]' })
    await t.rejects(launcher.spawn({ argv: ['true'], env: { N: 1 as unknown as string } }), { code: 'LauncherInvalidRequest', field: 'env.N' })
    await t.rejects(launcher.spawn({ argv: ['true'], env, memoryLimitBytes: 1024 }), { code: 'LauncherInvalidRequest', field: 'memoryLimitBytes', limit: 4 << 20 })
    await t.rejects(launcher.spawn({ argv: ['true'], env, cwd: 'bad\0dir' }), { code: 'LauncherInvalidRequest', field: 'cwd' })
    t.throws(() => launcher.kill('anything', 'SIGNOPE' as NodeJS.Signals), { code: 'LauncherInvalidRequest', field: 'signal' })
    const running = await launcher.spawn({ id: 'twice', argv: ['sleep', '1000'], env })
    await t.rejects(launcher.spawn({ id: 'twice', argv: ['true'], env }), { code: 'LauncherDuplicateId', kind: 'Conflict' })
    running.kill('SIGKILL')
    await running.exited
  })

  t.test('publishes spawn and exit diagnostics', async (t) => {
    const seen: Array<[string, Record<string, unknown>]> = []
    const onSpawn = (m: unknown): void => { seen.push(['spawn', m as Record<string, unknown>]) }
    const onExit = (m: unknown): void => { seen.push(['exit', m as Record<string, unknown>]) }
    subscribe('stratus:launcher:spawn', onSpawn)
    subscribe('stratus:launcher:exit', onExit)
    t.teardown(() => {
      unsubscribe('stratus:launcher:spawn', onSpawn)
      unsubscribe('stratus:launcher:exit', onExit)
    })
    const p = await launcher.spawn({ id: 'observed', argv: ['sh', '-c', 'exit 3'], env })
    await p.exited
    await launcher.spawn({ id: 'broken', argv: ['stratus-no-such-program'], env }).catch(() => {})
    const mine = seen.filter(([, m]) => m.id === 'observed' || m.id === 'broken')
    t.match(mine, [
      ['spawn', { id: 'observed', pid: p.pid, implementation, startMs: Number }],
      ['exit', { id: 'observed', pid: p.pid, exitCode: 3, durationMs: Number }],
      ['spawn', { id: 'broken', error: LauncherError }]
    ])
  })

  t.test('close kills what still runs and refuses new work', async (t) => {
    const own = await ProcessLauncher.start({ implementation })
    const p = await own.spawn({ argv: ['sleep', '1000'], env })
    await own.close()
    t.match(await p.exited, { signal: 'SIGKILL' })
    t.notOk(stillRuns(p.pid))
    await t.rejects(own.spawn({ argv: ['true'], env }), { code: 'LauncherClosed' })
    await own.close() // twice is fine
  })

  t.test('await using closes the launcher', async (t) => {
    let pid = 0
    {
      await using scoped = await ProcessLauncher.start({ implementation })
      pid = (await scoped.spawn({ argv: ['sleep', '1000'], env })).pid
    }
    t.notOk(stillRuns(pid))
  })
}

/** Pids of our stratus-launcher helpers. */
function helperPids(): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid && comm.startsWith('stratus-launch')) pids.push(Number(entry))
    } catch { /* exited */ }
  }
  return pids
}

const binary = findLauncherBinary()
t.test('native', { skip: !binary && !hasCompiler() ? 'no C compiler: the native helper cannot exist here' : false }, async (t) => {
  t.ok(binary, 'the helper is built (npm run build:native)')
  if (!binary) return
  await launcherSuite(t, 'native')

  t.test('losing the helper fails what it was watching, and kills it', async (t) => {
    const before = helperPids()
    const own = await ProcessLauncher.start({ implementation: 'native' })
    t.teardown(() => own.close())
    const helper = helperPids().find((pid) => !before.includes(pid))
    t.ok(helper, 'found the helper')
    const p = await own.spawn({ argv: ['sleep', '1000'], env: { PATH } })
    process.kill(helper!, 'SIGKILL')
    await t.rejects(p.exited, { code: 'LauncherLost', kind: 'Unavailable' })
    await t.rejects(own.spawn({ argv: ['true'], env: { PATH } }), { code: 'LauncherLost' })
    await until(() => !stillRuns(p.pid))
    t.pass('the orphaned process died with its launcher')
    if (own.memoryLimit.cgroup) {
      t.ok(existsSync(own.memoryLimit.cgroup), 'a killed helper cannot remove its cgroup')
      const next = await ProcessLauncher.start({ implementation: 'native' })
      await next.close()
      t.notOk(existsSync(own.memoryLimit.cgroup), 'the next helper sweeps it away')
    }
  })
})

t.test('node fallback', async (t) => {
  await launcherSuite(t, 'node')
})

t.test('auto prefers the native helper and falls back when it cannot run', async (t) => {
  const broken = await ProcessLauncher.start({ implementation: 'auto', binary: '/nonexistent/stratus-launcher' })
  t.teardown(() => broken.close())
  t.equal(broken.implementation, 'node')
  t.match(broken.fallbackReason, /nonexistent/)
  await t.rejects(ProcessLauncher.start({ implementation: 'native', binary: '/nonexistent/stratus-launcher' }), { code: 'LauncherUnavailable' })
  if (binary) {
    const auto = await ProcessLauncher.start()
    t.teardown(() => auto.close())
    t.equal(auto.implementation, 'native')
  }
})
