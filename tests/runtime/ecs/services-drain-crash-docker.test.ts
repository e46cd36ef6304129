// A crash of the engine while a task drains its load balancer target (SQLite
// data dir, docker runner, the engine's own ALB, the engine in a child process
// killed with SIGKILL during the deregistration delay of a scale-in, a slow
// request in flight holding the drain): the engine started again over the same
// directory finishes the drain and then the stop. ELBv2 kept the end of the
// target's deregistration delay with its group: restarted within the delay,
// the target is draining again for what is left of it (restarted after it,
// gone). From the restart on, the victim gets no new requests (requests
// through the listener at the restart, while the victim still runs, all reach
// the other task); the task never leaves DEACTIVATING while its target is in
// the group, nor before the delay first begun has passed; it then stops with
// the scale-in's stop code, its container goes, its targets record goes, ECS
// writes the deregistered event once (the first engine died before it could),
// and requests through the listener reach the task left. The crash took the
// load balancer's connections with it.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'

const exec = promisify(execFile)
/** The child's deregistration delay (services-drain-crash-child.ts DELAY_S; the child cannot be imported: it starts an engine). */
const DELAY_S = 12
const CHILD = fileURLToPath(new URL('./services-drain-crash-child.ts', import.meta.url))

interface Child { next(): Promise<Record<string, any>>; kill(signal: NodeJS.Signals): Promise<void> }

/** The child engine: its stdout is one JSON object per line, read in order with next(). */
function startChild(args: string[]): Child {
  const loader = process.execArgv.filter((a) => a.includes('typescript') || a.includes('tsx'))
  const child = spawn(process.execPath, [...loader, CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (c) => { err += c })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines: Array<Record<string, any>> = []
  const waiting: Array<{ resolve: (l: Record<string, any>) => void; reject: (e: Error) => void }> = []
  let out = ''
  let gone: Error | undefined
  child.stdout!.on('data', (c) => {
    out += c
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = JSON.parse(out.slice(0, nl)) as Record<string, any>
      out = out.slice(nl + 1)
      const w = waiting.shift()
      if (w === undefined) lines.push(line)
      else w.resolve(line)
    }
  })
  child.once('exit', (code, signal) => {
    gone = new Error(`child ${args[1]} exited (${code ?? signal}): ${err}`)
    for (const w of waiting.splice(0)) w.reject(gone)
  })
  return {
    next: () => {
      const line = lines.shift()
      if (line !== undefined) return Promise.resolve(line)
      if (gone !== undefined) return Promise.reject(gone)
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }))
    },
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    }
  }
}

t.test('a crash while a task drains: the next engine routes nothing to it, finishes the drain, then stops it', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const dir = await mkdtemp(join(tmpdir(), 'stratus-drain-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  const first = startChild([dir, 'start'])
  t.teardown(() => first.kill('SIGKILL'))
  const drain = await first.next()
  if (drain.phase !== 'draining') return t.fail(`the first engine did not get a task draining: ${JSON.stringify(drain)}`)
  const engineId = String(drain.engineId)
  t.teardown(async () => {
    const { stdout } = await exec('docker', ['ps', '-a', '-q', '--filter', `label=stratus.engine=${engineId}`]).catch(() => ({ stdout: '' }))
    for (const id of stdout.split('\n').filter(Boolean)) await exec('docker', ['rm', '-f', id]).catch(() => undefined)
  })
  await first.kill('SIGKILL')

  const second = startChild([dir, 'resume', String(drain.victim), String(drain.tg), String(drain.address), String(drain.port)])
  t.teardown(() => second.kill('SIGKILL'))
  const stopped = await second.next()
  t.equal(stopped.phase, 'stopped', JSON.stringify(stopped))
  t.equal(stopped.statusAtStart, 'DEACTIVATING', 'the restart found the victim as the crash left it')
  const until = Number(drain.drainUntil)
  t.ok(until > Number(drain.drainingAt) + DELAY_S * 1000 - 30_000 && until <= Number(drain.drainingAt) + DELAY_S * 1000,
    `the store kept where the drain ends: the deregistration, before the task was seen draining, plus the delay (${until - Number(drain.drainingAt)} ms after)`)
  if (Number(stopped.targetReadAt) < until) {
    t.match(stopped.targetAtStart, { State: 'draining', Reason: 'Target.DeregistrationInProgress' }, `restarted within the delay (${until - Number(stopped.targetReadAt)} ms left): its target is draining again`)
  } else {
    t.equal(stopped.targetAtStart, undefined, 'restarted after the delay: its target is gone')
  }
  t.ok(Number(stopped.leftDeactivatingAt) >= until, 'it did not leave DEACTIVATING before the drain\'s end')
  t.not(drain.victimName, drain.survivorName, 'the two tasks answer with different pages (their hostnames)')
  t.equal(stopped.statusAfterRequests, 'DEACTIVATING', 'the requests at the restart were sent while the victim still ran')
  t.same(stopped.bodiesAtStart, Array(stopped.bodiesAtStart.length).fill(drain.survivorName), 'from the restart on, every request through the listener reaches the task left, none the victim')
  t.ok(stopped.observations > 0, `watched it until it stopped (${stopped.observations} looks)`)
  t.same(stopped.early, [], 'it never left DEACTIVATING while its target was still in the group (the target went first)')
  t.match(stopped.stopped, { lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' }, 'then it stopped, as the scale-in decided')
  t.ok(stopped.containersAfter.every((s: string) => s !== 'running'), `its container is no longer running (removed, or exited) (${JSON.stringify(stopped.containersAfter)})`)
  t.notOk(stopped.stillInGroup, 'its target left the group')
  t.equal(stopped.targets.length, 1, 'the other task\'s target is the group\'s only one')
  t.notOk(stopped.targetsRecord, 'the victim\'s targets record is gone')
  t.equal(stopped.runningCount, 1)
  const deregistered = stopped.events.filter((m: string) => /^\(service web\) deregistered 1 targets in \(target-group /.test(m))
  t.equal(deregistered.length, 1, 'ECS\'s deregistered event, written once (by the engine that finished the drain)')
  t.ok(stopped.events.some((m: string) => m === '(service web) has begun draining connections on 1 tasks.'), 'after the first engine\'s draining event')
  t.same(stopped.bodies, Array(4).fill(drain.survivorName), 'after the stop, requests through the listener reach the task left')
  await second.kill('SIGTERM')
})
