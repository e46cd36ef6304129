// The runner conformance suite: one body, run unchanged against every runner
// (as distribution runs one suite against every storage driver). Each task is
// written so that every runner honours it: a real command for runners that
// execute (`sh -c 'exit 3'`) AND the simulated runner's variables
// (STRATUS_SIM_EXIT=3, STRATUS_SIM_SECONDS, STRATUS_SIM_OUTPUT).
// Not a test file: conformance.test.ts runs it.
import type { Test } from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunExit, Runner, RunTask } from '../../../runtime/runners/index.js'

export interface RunnerFactory {
  name: string
  /** A fresh runner; the suite closes it (its last test is about close()). */
  create(): Promise<Runner>
}

/** What a listener saw, in order. */
interface Observed {
  calls: Array<'running' | 'exited' | 'failed'>
  startedAt?: number
  exit?: RunExit
  error?: Error
  /** Resolves with the exit, or rejects with the start failure. */
  done: Promise<RunExit>
  /** Resolves when running() was called. */
  running: Promise<void>
}

let counter = 0

export function conformance(t: Test, factory: RunnerFactory): void {
  t.test(`runner conformance: ${factory.name}`, async (t) => {
    const runner = await factory.create()
    const dir = await mkdtemp(join(tmpdir(), `stratus-conformance-${factory.name}-`))
    t.teardown(async () => {
      await runner.close()
      await rm(dir, { recursive: true, force: true })
    })

    const task = (script: string, env: Record<string, string> = {}, command?: string[]): RunTask => {
      const id = `task-${++counter}`
      return {
        id, command: command ?? ['sh', '-c', script], env, vcpus: 1, memoryMiB: 256, gpus: 0,
        logPath: join(dir, 'logs', `${id}.log`), workDir: join(dir, 'work', id)
      }
    }

    const start = (spec: RunTask): Observed => {
      const seen: Partial<Observed> & { calls: Observed['calls'] } = { calls: [] }
      let markRunning!: () => void
      seen.running = new Promise((resolve) => (markRunning = resolve))
      seen.done = new Promise<RunExit>((resolve, reject) => {
        runner.start(spec, {
          running: (at) => {
            seen.calls.push('running')
            seen.startedAt = at
            markRunning()
          },
          exited: (exit) => {
            seen.calls.push('exited')
            seen.exit = exit
            resolve(exit)
          },
          failed: (error) => {
            seen.calls.push('failed')
            seen.error = error
            reject(error)
          }
        })
      })
      seen.done.catch(() => {})
      return seen as Observed
    }

    const log = async (spec: RunTask) => (await readFile(spec.logPath, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')

    t.test('says whether it enforces memory limits', async (t) => {
      t.ok(runner.memoryLimits === 'enforced' || runner.memoryLimits === 'not-enforced')
      t.type(runner.kind, 'string')
    })

    t.test('reports running, then exit code 0', async (t) => {
      const seen = start(task('exit 0'))
      const exit = await seen.done
      t.same(seen.calls, ['running', 'exited'])
      t.same(exit, { exitCode: 0, signal: null, oomKilled: false })
      t.type(seen.startedAt, 'number')
      t.ok(seen.startedAt! > 0)
    })

    t.test('reports the exit code', async (t) => {
      t.match(await start(task('exit 3', { STRATUS_SIM_EXIT: '3' })).done, { exitCode: 3, signal: null, oomKilled: false })
      t.match(await start(task('exit 255', { STRATUS_SIM_EXIT: '255' })).done, { exitCode: 255 })
    })

    t.test('gives the task its environment', async (t) => {
      const spec = task('echo "$GREETING"', { GREETING: 'hello there', STRATUS_SIM_OUTPUT: 'hello there' })
      t.match(await start(spec).done, { exitCode: 0 })
      t.same(await log(spec), ['hello there'])
    })

    t.test('writes stdout and stderr to the log file', async (t) => {
      const spec = task('echo out; echo err >&2', { STRATUS_SIM_OUTPUT: 'out\nerr' })
      await start(spec).done
      t.same((await log(spec)).sort(), ['err', 'out'])
    })

    t.test('kill stops a running task with SIGTERM', async (t) => {
      const spec = task('exec sleep 30', { STRATUS_SIM_SECONDS: '30' })
      const seen = start(spec)
      await seen.running
      t.match(runner.inspect(spec.id), { id: spec.id, state: 'running' })
      t.equal(runner.kill(spec.id), true)
      const exit = await seen.done
      t.same(exit, { exitCode: null, signal: 'SIGTERM', oomKilled: false })
      t.same(seen.calls, ['running', 'exited'])
      t.equal(runner.inspect(spec.id), undefined, 'gone once it exited')
      t.equal(runner.kill(spec.id), false, 'nothing left to kill')
    })

    t.test('kill ends a task that ignores SIGTERM once the grace period is over', async (t) => {
      const spec = task('trap "" TERM; echo ready; while :; do sleep 0.05; done', { STRATUS_SIM_SECONDS: '30', STRATUS_SIM_OUTPUT: 'ready' })
      const seen = start(spec)
      await seen.running
      while (!(await log(spec)).includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10))
      runner.kill(spec.id, { graceMs: 100 })
      const exit = await seen.done
      t.equal(exit.exitCode, null)
      t.ok(exit.signal === 'SIGKILL' || exit.signal === 'SIGTERM', `killed by a signal (${exit.signal})`)
    })

    t.test('kill right after start: the task is stopped, never reported as exiting by itself', async (t) => {
      const spec = task('exec sleep 30', { STRATUS_SIM_SECONDS: '30' })
      const seen = start(spec)
      t.equal(runner.kill(spec.id), true)
      const exit = await seen.done
      t.equal(exit.exitCode, null)
      t.equal(exit.signal, 'SIGTERM')
      t.equal(seen.calls.at(-1), 'exited')
      t.ok(seen.calls.indexOf('running') < seen.calls.indexOf('exited'), 'running (if reported) comes before exited')
    })

    t.test('inspect', async (t) => {
      t.equal(runner.inspect('no-such-task'), undefined)
      t.equal(runner.kill('no-such-task'), false)
      const spec = task('exec sleep 30', { STRATUS_SIM_SECONDS: '30' })
      const seen = start(spec)
      await seen.running
      const info = runner.inspect(spec.id)
      t.match(info, { id: spec.id, state: 'running' })
      t.equal(info?.startedAt, seen.startedAt)
      runner.kill(spec.id)
      await seen.done
      t.equal(runner.inspect(spec.id), undefined)
    })

    t.test('runs many tasks at once, each with its own exit code', async (t) => {
      const specs = Array.from({ length: 40 }, (_, i) => task(`sleep 0.1; exit ${i}`, { STRATUS_SIM_EXIT: String(i), STRATUS_SIM_SECONDS: '0.1' }))
      const all = specs.map((spec) => start(spec))
      const exits = await Promise.all(all.map((s) => s.done))
      t.same(exits.map((e) => e.exitCode), specs.map((_, i) => i))
      t.ok(all.every((s) => s.calls.join() === 'running,exited'))
    })

    t.test('a task that cannot be started is reported failed, and nothing else', async (t) => {
      const spec = task('', { STRATUS_SIM_EXIT: 'not an exit code' }, ['/no/such/program'])
      const seen = start(spec)
      await t.rejects(seen.done)
      t.ok(seen.error instanceof Error)
      t.same(seen.calls, ['failed'])
      t.equal(runner.inspect(spec.id), undefined)
    })

    t.test('close() ends the tasks still running', async (t) => {
      const spec = task('exec sleep 30', { STRATUS_SIM_SECONDS: '30' })
      const seen = start(spec)
      await seen.running
      await runner.close()
      const exit = await seen.done
      t.equal(exit.exitCode, null)
      t.ok(exit.signal !== null, 'killed')
    })
  })
}
