// What a benchmark starts, it stops: on success, on a thrown error, on an unhandled rejection
// or uncaught exception, and on SIGINT / SIGTERM / SIGHUP. A child left running would outlive
// the benchmark and hold the caller's pipes open (the caller never sees its output end).
//
//   await runBench(async () => {
//     const server = track(spawn(...))          // stopped (SIGTERM, then SIGKILL) on every exit
//     onCleanup(() => rm(dir, { recursive: true, force: true }))
//     await exec('skopeo', [...])              // execFile, its child tracked while it runs
//   })
//
// Children are stopped in parallel: SIGTERM, then SIGKILL after a grace period; cleanup
// actions run after, newest first. A second signal during cleanup SIGKILLs what is left and
// exits at once. The process's 'exit' event SIGKILLs any tracked child still alive, as a last
// resort for a path that exits without running cleanup (process.exit elsewhere).
import { execFile, type ChildProcess, type ExecFileOptions } from 'node:child_process'

const GRACE_MS = 3000
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const

const children = new Set<ChildProcess>()
const actions: Array<() => unknown> = []
let installed = false
let cleaning: Promise<void> | undefined

function alive (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** Registers a child to stop on every exit path; it is forgotten once it exits. */
export function track<T extends ChildProcess> (child: T): T {
  installCleanupHandlers()
  children.add(child)
  child.once('exit', () => children.delete(child))
  child.once('error', () => children.delete(child)) // never started
  return child
}

/** Registers an action (close a server, remove a directory) to run on every exit path. */
export function onCleanup (action: () => unknown): void {
  installCleanupHandlers()
  actions.push(action)
}

/** execFile with the child tracked while it runs; rejects like promisify(execFile). */
export function exec (file: string, args: readonly string[] = [], options: ExecFileOptions = {}): Promise<{ stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    track(execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) reject(Object.assign(error, { stdout, stderr }))
      else resolve({ stdout: String(stdout), stderr: String(stderr) })
    }))
  })
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild (child: ChildProcess, graceMs = GRACE_MS): Promise<void> {
  if (!alive(child) || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs) })
  if (await Promise.race([exited.then(() => false), timedOut])) {
    child.kill('SIGKILL')
    await exited
  }
  clearTimeout(timer)
}

/** Stops every tracked child, then runs the cleanup actions (newest first). Idempotent. */
export function cleanup (): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((child) => stopChild(child)))
    for (const action of actions.splice(0).reverse()) {
      try { await action() } catch (error) { process.stderr.write(`cleanup: ${(error as Error).message}\n`) }
    }
  })()
  return cleaning
}

function killAll (): void {
  for (const child of children) if (alive(child)) child.kill('SIGKILL')
}

async function cleanupAndExit (code: number): Promise<never> {
  try { await cleanup() } finally { process.exit(code) }
}

/** Installs the exit-path handlers (once; `track`, `onCleanup` and `runBench` call it). */
export function installCleanupHandlers (): void {
  if (installed) return
  installed = true
  for (const [signal, number] of Object.entries(SIGNALS)) {
    process.on(signal, () => {
      if (cleaning !== undefined) { killAll(); process.exit(128 + number) }
      process.stderr.write(`\n${signal}: stopping what the benchmark started\n`)
      void cleanupAndExit(128 + number)
    })
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`uncaught exception: ${error.stack ?? error}\n`)
    void cleanupAndExit(1)
  })
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection: ${(reason as Error)?.stack ?? reason}\n`)
    void cleanupAndExit(1)
  })
  process.on('exit', killAll)
}

/**
 * Runs a benchmark's main: whatever way it ends, what it started is stopped. A thrown error is
 * printed and makes the exit status 1 (a benchmark that could not measure is not a success;
 * it never fails on time).
 */
export async function runBench (main: () => Promise<void>): Promise<void> {
  installCleanupHandlers()
  try {
    await main()
  } catch (error) {
    process.stderr.write(`benchmark failed: ${(error as Error)?.stack ?? error}\n`)
    process.exitCode = 1
  } finally {
    await cleanup()
  }
}

/**
 * For a server child of a benchmark: runs `stop` when the parent is gone, even killed with
 * SIGKILL (no cleanup of its own), by watching stdin, a pipe the parent holds open.
 */
export function exitWithParent (stop: () => void): void {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}
