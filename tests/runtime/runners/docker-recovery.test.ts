// Recovery by label: a runner process starts sandboxes and is killed with
// SIGKILL; its containers run on. A new runner of the same engine id knows
// them from its creation — list() shows them recovered, with the same
// containers and ports — attach() hears a sandbox's exit (also one that ended
// while no runner watched), stop() ends and removes one, the output written
// meanwhile lands in the log file once, and a runner of another engine id
// sees none of them.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { SandboxInfo, SandboxSpec } from '../../../runtime/runners/index.js'
import { logLines, observer, until } from './conformance-kit.js'
import { container, dockerInspect, dockerPs, dockerReady, dockerRunner, engineId, engineProxy, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

const CHILD = fileURLToPath(new URL('./docker-recovery-child.ts', import.meta.url))

/** Starts the sandboxes in a runner process of `engine`, waits for what running() said of each, then kills that process with SIGKILL. */
async function startThenKillRunner(t: Test, engine: string, specs: SandboxSpec[]): Promise<{ before: SandboxInfo[]; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, engine, JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let line = ''
  for await (const chunk of child.stdout!) {
    line += chunk
    if (line.includes('\n')) break
  }
  const before = JSON.parse(line) as SandboxInfo[]
  child.kill('SIGKILL')
  await once(child, 'exit')
  return { before, signal: child.signalCode }
}

t.test('a new runner of the same engine recovers what a killed one left', async (t) => {
  const dir = await tempDir(t)
  const engine = engineId('recovery')
  t.teardown(async () => {
    // Whatever a failed run left: the engine id is this test's own.
    for (const id of await dockerPs(`stratus.engine=${engine}`)) await run('docker', ['rm', '-f', id])
  })
  const waits = container(dir, 'main', {
    script: 'echo started; until [ -f /tmp/finish ]; do sleep 0.05; done; echo finishing; exit 9',
    portMappings: [{ containerPort: 8080 }]
  })
  const attachable = sandbox([waits, container(dir, 'side', { essential: false, script: 'exec sleep 300' })], { address: '127.0.0.61', labels: { suite: 'docker', task: 'a' } })
  const stoppable = sandbox([container(dir, 'main', { script: 'exec sleep 300' })], { labels: { suite: 'docker', task: 'b' } })
  const quick = container(dir, 'main', { script: 'until [ -f /tmp/finish ]; do sleep 0.05; done; echo done; exit 4' })
  const endsAlone = sandbox([quick], { labels: { suite: 'docker', task: 'c' } })

  const { before, signal } = await startThenKillRunner(t, engine, [attachable, stoppable, endsAlone])
  t.equal(signal, 'SIGKILL', 'the runner process died of SIGKILL')
  t.same(await logLines(waits.logPath), ['started'], 'what the first runner wrote')

  // While no runner watches: one sandbox ends by itself.
  const quickId = before[2].containers[0].runtimeId!
  await run('docker', ['exec', quickId, 'touch', '/tmp/finish'])
  await until(async () => (await dockerInspect(quickId)).State.Status === 'exited')

  const other = (await dockerRunner(t, 'recovery-other')).runner
  t.same(other.list(), [], 'a runner of another engine id recovers nothing')

  const { runner } = await dockerRunner(t, 'recovery', { engineId: engine })
  const listed = runner.list({ suite: 'docker' })
  t.same(listed.map((i) => i.id).sort(), [attachable.id, stoppable.id, endsAlone.id].sort())
  const a = runner.inspect(attachable.id)!
  t.match(a, { id: attachable.id, labels: { suite: 'docker', task: 'a' }, state: 'running', recovered: true, address: '127.0.0.61', startedAt: Number })
  t.same(a.containers.map((c) => [c.name, c.state, c.runtimeId]), before[0].containers.map((c) => [c.name, 'running', c.runtimeId]))
  t.same(a.containers[0].networkBindings, before[0].containers[0].networkBindings, 'the same published ports')
  t.match(runner.inspect(endsAlone.id), { state: 'exited', recovered: true }, 'ended while no runner watched')
  t.same(runner.list({ task: 'b' }).map((i) => i.id), [stoppable.id], 'list() filters recovered sandboxes by their labels')

  t.equal(runner.attach!('no-such-sandbox', observer().listener), false)
  const ended = observer()
  t.equal(runner.attach!(endsAlone.id, ended.listener), true)
  t.match(await ended.done, { exitCode: 4, stopped: false, containers: [{ name: 'main', exitCode: 4 }] }, 'attach() hears the exit it missed')
  t.same(ended.calls, ['exited'], 'running() is not repeated')
  t.same(await logLines(quick.logPath), ['done'], 'output written while no runner watched reaches the log file')

  const heard = observer()
  t.equal(runner.attach!(attachable.id, heard.listener), true)
  t.match(await runner.exec(attachable.id, 'main', ['touch', '/tmp/finish']), { exitCode: 0 })
  t.match(await heard.done, {
    exitCode: 9, stopped: false,
    containers: [{ name: 'main', exitCode: 9 }, { name: 'side', signal: 'SIGTERM' }]
  }, 'attach() hears its exit; the others are stopped')
  t.same(await logLines(waits.logPath), ['started', 'finishing'], 'each line once: what came before and after the restart')

  t.equal(runner.stop(stoppable.id, { graceMs: 1000 }), true)
  await until(() => runner.inspect(stoppable.id) === undefined)
  t.same(await dockerPs(`stratus.sandbox=${stoppable.id}`), [], 'stop() ends and removes a recovered sandbox')
  t.same(await dockerPs(`stratus.engine=${engine}`), [], 'nothing of the killed runner is left')
})

// The OOM kill of a container while no runner watched, on an engine whose inspect does not show
// OOMKilled (the 20.10 race, oom.ts): recovery reads the hard limit from the inspect and asks the
// engine's events, so the exit is still reported as the OOM kill it was.
t.test('an OOM kill while no runner watched is recovered as one, even when the inspect does not show it', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const engine = engineId('recovery-oom')
  t.teardown(async () => {
    for (const id of await dockerPs(`stratus.engine=${engine}`)) await run('docker', ['rm', '-f', id])
  })
  const hog = container(dir, 'main', { memoryMiB: 16, script: 'echo started; until [ -f /tmp/go ]; do sleep 0.05; done; x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived' })
  const own = container(dir, 'main', { memoryMiB: 64, script: 'echo started; until [ -f /tmp/go ]; do sleep 0.05; done; kill -9 $$' })
  const hogs = sandbox([hog])
  const kills = sandbox([own])
  const { before } = await startThenKillRunner(t, engine, [hogs, kills])
  for (const info of before) {
    const id = info.containers[0].runtimeId!
    await run('docker', ['exec', id, 'touch', '/tmp/go'])
    await until(async () => (await dockerInspect(id)).State.Status === 'exited')
  }
  const proxy = await engineProxy({ rewrite: { url: /\/containers\/[^/]+\/json/, body: (text) => text.replace('"OOMKilled":true', '"OOMKilled":false') } })
  t.teardown(() => proxy.close())
  const { runner } = await dockerRunner(t, 'recovery-oom', { engineId: engine, hosts: [{ name: 'hiding', url: proxy.url }] })
  const oom = observer()
  t.equal(runner.attach!(hogs.id, oom.listener), true)
  t.match(await oom.done, { exitCode: null, signal: 'SIGKILL', oomKilled: true, containers: [{ oomKilled: true }] }, 'the OOM kill, from the engine\'s events')
  const killed = observer()
  t.equal(runner.attach!(kills.id, killed.listener), true)
  t.match(await killed.done, { exitCode: 137, oomKilled: false }, 'a 137 of its own under a limit is no OOM kill')
})
