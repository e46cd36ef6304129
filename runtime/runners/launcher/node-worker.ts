// The fallback's worker thread: starts processes with child_process.spawn, which
// blocks the calling thread for the whole fork+exec, so it blocks this thread and
// not Node's main loop. Same rules as the C helper, minus rusage.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { dirname, resolve } from 'node:path'
import { parentPort, threadId, workerData } from 'node:worker_threads'
import type { SpawnStage } from './errors.js'
import {
  cgroupOomKilled, createJobCgroup, killCgroupMembers, removeCgroup, setupCgroup, type CgroupPlace
} from './node-cgroup.js'
import {
  FLAG_APPEND, FLAG_CREATE_DIRECTORIES, FLAG_KILL_GROUP_ON_EXIT, FLAG_PROCESS_GROUP, FLAG_STDERR_TO_STDOUT, type LaunchSpec
} from './types.js'
import type { FromWorker, ToWorker, WorkerEvent, WorkerInit, WorkerOp } from './node-messages.js'

const port = parentPort!
const init = workerData as WorkerInit
const { place, support } = setupCgroup(init.cgroup, `node-${process.pid}-${threadId}`)

interface Job {
  readonly wireId: number
  readonly pid: number
  readonly flags: number
  readonly cgroup: string | undefined
  killTimer?: NodeJS.Timeout
}

const jobs = new Map<number, Job>()

/**
 * The C helper's PR_SET_PDEATHSIG, without C: util-linux's setpriv sets it and
 * execs the program, so a job dies with the thread that spawned it — with the
 * engine, even one killed with SIGKILL. Without setpriv a job outlives a
 * killed engine (the next one cannot find it: only the C helper is safe then).
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => {
  try {
    accessSync(path, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
})
const leftoverCgroups = new Set<string>()
let outbox: WorkerEvent[] = []
let closing = false

function emit(event: WorkerEvent): void {
  if (outbox.length === 0) setImmediate(flush)
  outbox.push(event)
}

function flush(): void {
  const events = outbox
  outbox = []
  if (events.length > 0) port.postMessage({ t: 'events', events } satisfies FromWorker)
  if (closing && jobs.size === 0) finishClose()
}

function errnoOf(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code
  return (code && (osConstants.errno as Record<string, number | undefined>)[code]) || osConstants.errno.EINVAL
}

class StageError extends Error {
  constructor(readonly stage: SpawnStage, readonly errno: number) {
    super(stage)
  }
}

function atStage<T>(stage: SpawnStage, run: () => T): T {
  try {
    return run()
  } catch (error) {
    throw error instanceof StageError ? error : new StageError(stage, errnoOf(error))
  }
}

/** execvp's search, with the child's PATH and relative to the child's cwd. */
function resolveExecutable(file: string, env: Readonly<Record<string, string>>, cwd: string): string {
  const usable = (path: string): void => {
    accessSync(path, fsConstants.X_OK)
    if (!statSync(path).isFile()) throw Object.assign(new Error('not a file'), { code: 'EACCES' })
  }
  if (file.includes('/')) {
    const path = resolve(cwd, file)
    usable(path)
    return path
  }
  let sawEacces = false
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const path = resolve(cwd, dir || '.', file)
    try {
      usable(path)
      return path
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') sawEacces = true
    }
  }
  throw new StageError('exec', sawEacces ? osConstants.errno.EACCES : osConstants.errno.ENOENT)
}

function openOutput(path: string, flags: number): number | 'ignore' {
  return path === '' ? 'ignore' : openSync(path, (flags & FLAG_APPEND) ? 'a' : 'w', 0o644)
}

function start(spec: LaunchSpec): void {
  const fds: number[] = []
  let cgroup: string | undefined
  let child: ChildProcess
  try {
    if (closing) throw new StageError('launcher', (osConstants.errno as Record<string, number | undefined>).ESHUTDOWN ?? osConstants.errno.EINVAL)
    if (spec.flags & FLAG_CREATE_DIRECTORIES) {
      atStage('chdir', () => mkdirSync(spec.cwd, { recursive: true }))
      if (spec.stdout !== '') atStage('stdout', () => mkdirSync(dirname(spec.stdout), { recursive: true }))
      if (spec.stderr !== '') atStage('stderr', () => mkdirSync(dirname(spec.stderr), { recursive: true }))
    }
    atStage('chdir', () => {
      if (!statSync(spec.cwd).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    })
    const stdin = spec.stdin === '' ? 'ignore' : atStage('stdin', () => openSync(spec.stdin, 'r'))
    if (typeof stdin === 'number') fds.push(stdin)
    const stdout = atStage('stdout', () => openOutput(spec.stdout, spec.flags))
    if (typeof stdout === 'number') fds.push(stdout)
    const stderr = (spec.flags & FLAG_STDERR_TO_STDOUT) ? stdout : atStage('stderr', () => openOutput(spec.stderr, spec.flags))
    if (typeof stderr === 'number' && stderr !== stdout) fds.push(stderr)
    const program = resolveExecutable(spec.argv[0], spec.env, spec.cwd)
    let file = program
    let args = spec.argv.slice(1)
    let argv0 = spec.argv[0]
    if (spec.memoryLimitBytes > 0 && place) {
      cgroup = atStage('cgroup', () => createJobCgroup(place as CgroupPlace, `job-${spec.wireId}`, spec.memoryLimitBytes))
      // Join the cgroup before the program runs: a shell moves itself, then execs it.
      file = '/bin/sh'
      argv0 = 'sh'
      args = ['-c', 'echo 0 > "$0" || exit 125; exec "$@"', `${cgroup}/cgroup.procs`, program, ...args]
    }
    if (SETPRIV !== undefined) {
      // The program then sees its resolved path as argv[0], as under the cgroup wrapper.
      args = ['--pdeathsig', 'KILL', '--', file, ...args]
      file = SETPRIV
      argv0 = 'setpriv'
    }
    child = spawn(file, args, {
      argv0, cwd: spec.cwd, env: spec.env, stdio: [stdin, stdout, stderr],
      detached: (spec.flags & FLAG_PROCESS_GROUP) !== 0
    })
  } catch (error) {
    const stageError = error instanceof StageError ? error : new StageError('fork', errnoOf(error))
    if (cgroup) removeCgroup(cgroup)
    for (const fd of fds) closeSync(fd)
    emit({ k: 'failed', wireId: spec.wireId, errno: stageError.errno, stage: stageError.stage })
    return
  }
  for (const fd of fds) closeSync(fd) // the child has its own copies now
  if (child.pid === undefined) {
    child.once('error', (error) => {
      if (cgroup) removeCgroup(cgroup)
      emit({ k: 'failed', wireId: spec.wireId, errno: errnoOf(error), stage: 'exec' })
    })
    return
  }
  const job: Job = { wireId: spec.wireId, pid: child.pid, flags: spec.flags, cgroup }
  jobs.set(spec.wireId, job)
  emit({ k: 'started', wireId: spec.wireId, pid: child.pid, enforced: cgroup !== undefined })
  child.once('exit', (code, signal) => finish(job, code, signal))
}

function finish(job: Job, code: number | null, signal: NodeJS.Signals | null): void {
  clearTimeout(job.killTimer)
  const killRest = (job.flags & FLAG_KILL_GROUP_ON_EXIT) !== 0
  if (killRest && (job.flags & FLAG_PROCESS_GROUP)) {
    try { process.kill(-job.pid, 'SIGKILL') } catch { /* group already empty */ }
  }
  let oom = false
  if (job.cgroup && place) {
    if (killRest) killCgroupMembers(place, job.cgroup)
    oom = cgroupOomKilled(place, job.cgroup, signal)
    if (!removeCgroup(job.cgroup)) leftoverCgroups.add(job.cgroup)
  }
  jobs.delete(job.wireId)
  emit({
    k: 'exited', wireId: job.wireId, pid: job.pid, code,
    signal: signal ? osConstants.signals[signal] : 0, oom
  })
}

function signalJob(job: Job, signal: number): void {
  try {
    process.kill((job.flags & FLAG_PROCESS_GROUP) ? -job.pid : job.pid, signal)
  } catch { /* exited meanwhile */ }
  if (signal === osConstants.signals.SIGKILL && job.cgroup && place) killCgroupMembers(place, job.cgroup)
}

function onSignal(wireId: number, signal: number, graceMs: number): void {
  const job = jobs.get(wireId)
  if (!job) return
  if (signal) signalJob(job, signal)
  if (graceMs > 0) {
    clearTimeout(job.killTimer)
    job.killTimer = setTimeout(() => signalJob(job, osConstants.signals.SIGKILL), graceMs)
  }
}

let closeDone = false
function finishClose(): void {
  if (closeDone) return
  closeDone = true
  const deadline = Date.now() + 5000
  const sweep = (): void => {
    for (const dir of leftoverCgroups) if (removeCgroup(dir)) leftoverCgroups.delete(dir)
    if (leftoverCgroups.size > 0 && Date.now() < deadline) {
      setTimeout(sweep, 20)
      return
    }
    if (place) removeCgroup(place.base)
    port.postMessage({ t: 'closed' } satisfies FromWorker)
  }
  sweep()
}

// A burst is worked off in slices, so that exits (and the 'started' reports) are handled
// in between: libuv checks every live child on each SIGCHLD, and thousands of unreaped
// children make that quadratic.
const SLICE = 32
const backlog: WorkerOp[] = []
let draining = false

function run(op: WorkerOp): void {
  if (op.op === 'spawn') start(op.spec)
  else onSignal(op.wireId, op.signal, op.graceMs)
}

function drain(): void {
  for (const op of backlog.splice(0, SLICE)) run(op)
  if (backlog.length > 0) setImmediate(drain)
  else draining = false
}

port.on('message', (message: ToWorker) => {
  if (message.t === 'ops') {
    for (const op of message.ops) backlog.push(op)
    if (!draining) {
      draining = true
      drain()
    }
  } else if (message.t === 'close') {
    closing = true
    for (const op of backlog.splice(0)) run(op) // spawns are refused, signals still apply
    for (const job of jobs.values()) onSignal(job.wireId, message.graceMs > 0 ? osConstants.signals.SIGTERM : osConstants.signals.SIGKILL, message.graceMs)
    if (jobs.size === 0 && outbox.length === 0) finishClose()
  }
})

port.postMessage({ t: 'ready', memoryLimit: support } satisfies FromWorker)
