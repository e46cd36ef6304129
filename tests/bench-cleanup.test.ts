// Benchmarks stop what they start, also when they fail: no child left running, the caller's
// pipes closed. Regression: bench/registry.ts left its `--serve` child running when
// docker-registry was missing, and the orphan held the caller's pipe open. Runs dist/
// (npm run build:ts first).
import t, { type Test } from 'tap'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(fileURLToPath(import.meta.url), '..', '..')
const registryBench = join(root, 'dist', 'bench', 'registry.js')
const cleanupModule = join(root, 'dist', 'bench', 'cleanup.js')
const CLOSE_TIMEOUT_MS = 60_000

interface Finished { code: number | null, signal: NodeJS.Signals | null, stderr: string, stdout: string, closed: boolean }

/**
 * Waits for 'close' (every stdio pipe of the child closed, i.e. nothing it started still holds
 * them). Not closed within the timeout: reported as such, and whatever holds the pipes is killed.
 */
function finished (child: ChildProcess, marker: string): Promise<Finished> {
  let stderr = ''
  let stdout = ''
  child.stderr?.on('data', (c) => { stderr += c })
  child.stdout?.on('data', (c) => { stdout += c })
  return new Promise((resolve) => {
    let exit: { code: number | null, signal: NodeJS.Signals | null } = { code: null, signal: null }
    child.once('exit', (code, signal) => { exit = { code, signal } })
    const timer = setTimeout(() => {
      for (const pid of processesWith(marker)) { try { process.kill(pid, 'SIGKILL') } catch {} }
      resolve({ ...exit, stderr, stdout, closed: false })
    }, CLOSE_TIMEOUT_MS)
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr, stdout, closed: true }) })
  })
}

/** Pids of running processes whose command line contains `marker`. */
function processesWith (marker: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker) && !isZombie(Number(entry))) out.push(Number(entry))
    } catch { /* gone */ }
  }
  return out
}

function isZombie (pid: number): boolean {
  try { return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return true }
}

async function isRunning (pid: number): Promise<boolean> {
  try {
    await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false
  }
  return !isZombie(pid) // a zombie has exited
}

function startedPids (stderr: string): number[] {
  return [...stderr.matchAll(/started [a-z ]+ \(pid (\d+)\)/g)].map((m) => Number(m[1]))
}

async function checkNothingLeft (t: Test, result: Finished, pids: number[], marker: string): Promise<void> {
  t.ok(result.closed, 'the caller sees its pipes close')
  for (const pid of pids) t.notOk(await isRunning(pid), `child ${pid} is stopped`)
  t.same(processesWith(marker), [], 'no process the benchmark started is left running')
}

async function scratch (t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('bench/registry.ts without docker-registry: fails, and stops the registry it had started', async (t) => {
  t.ok(existsSync(registryBench), 'the benchmark is built (npm run build:ts)')
  const bin = await scratch(t, 'stratus-bench-path-')
  for (const tool of ['skopeo', 'sh', 'sync', 'mv']) {
    await symlink(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool))
  }
  const temp = await scratch(t, 'stratus-bench-tmp-')
  const child = spawn(process.execPath, [registryBench, '--rounds', '1', '--layers', '1', '--layer-mib', '1'], {
    env: { ...process.env, PATH: bin, TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const result = await finished(child, temp)
  t.equal(result.code, 1, 'exit status 1')
  t.match(result.stderr, /distribution is not installed/)
  const pids = startedPids(result.stderr)
  t.equal(pids.length, 1, 'the Stratus registry child had started')
  await checkNothingLeft(t, result, pids, temp)
  t.same(await readdir(temp), [], 'its temporary directory is removed')
})

t.test('bench/registry.ts on SIGTERM mid-run: stops every server it started', async (t) => {
  const temp = await scratch(t, 'stratus-bench-tmp-')
  const child = spawn(process.execPath, [registryBench, '--rounds', '50', '--layers', '1', '--layer-mib', '1'], {
    env: { ...process.env, TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const result = finished(child, temp)
  await new Promise<void>((resolve, reject) => {
    let seen = ''
    child.stderr!.on('data', (c) => {
      seen += c
      if (/started null/.test(seen)) resolve() // all three servers of round 1 are up
    })
    child.once('exit', () => reject(new Error(`the benchmark ended before its servers started: ${seen}`)))
  })
  child.kill('SIGTERM')
  const done = await result
  t.equal(done.code, 143, 'exit status 128 + SIGTERM')
  const pids = startedPids(done.stderr)
  t.equal(pids.length, 3, 'Stratus, distribution and the null registry had started')
  await checkNothingLeft(t, done, pids, temp)
  t.same(await readdir(temp), [], 'its temporary directory is removed')
})

t.test('bench/cleanup.ts stops a tracked child on every exit path', async (t) => {
  t.ok(existsSync(cleanupModule), 'built')
  // The child holds the caller's stdout and stderr, as the orphaned registry did.
  const fixture = `
    import { spawn } from 'node:child_process'
    import { runBench, track } from ${JSON.stringify(pathToFileURL(cleanupModule).href)}
    const mode = process.env.MODE
    await runBench(async () => {
      const child = track(spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300000)', process.env.MARKER], { stdio: ['ignore', 'inherit', 'inherit'] }))
      process.stdout.write('started sleeper (pid ' + child.pid + ')\\n')
      if (mode === 'throw') throw new Error('failed on purpose')
      if (mode === 'rejection') void Promise.reject(new Error('rejected on purpose'))
      if (mode === 'exception') setTimeout(() => { throw new Error('thrown on purpose') }, 10)
      await new Promise(() => {}) // until a signal or the handlers end it
    })`
  const cases: Array<[string, NodeJS.Signals | undefined, number]> = [
    ['throw', undefined, 1], ['rejection', undefined, 1], ['exception', undefined, 1], ['sigterm', 'SIGTERM', 143], ['sigint', 'SIGINT', 130]
  ]
  for (const [mode, signal, status] of cases) {
    const marker = `stratus-cleanup-${mode}-${process.pid}`
    const child = spawn(process.execPath, ['--input-type=module', '-e', fixture], {
      env: { ...process.env, MODE: mode, MARKER: marker },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const result = finished(child, marker)
    let seen = ''
    await new Promise<void>((resolve) => child.stdout!.on('data', (c) => { seen += c; if (/started sleeper/.test(seen)) resolve() }))
    if (signal !== undefined) child.kill(signal)
    const done = await result
    t.equal(done.code, status, `${mode}: exit status ${status}`)
    const pids = startedPids(seen)
    t.equal(pids.length, 1, `${mode}: the sleeper had started`)
    await checkNothingLeft(t, done, pids, marker)
  }
})
