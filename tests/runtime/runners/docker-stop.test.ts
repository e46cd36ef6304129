// Stopping on the docker runner: SIGTERM, then SIGKILL once the grace is over,
// with `escalated` true only when a container really died of the SIGKILL. The
// init process (docker-init) is what lets SIGTERM reach a program: without it
// the program is PID 1 of its namespace, which ignores signals it has no
// handler for. An exit status of 128+N is a signal only when the runner sent it.
import t from 'tap'
import { logLines, observer, until } from './conformance-kit.js'
import { container, dockerReady, dockerRunner, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('stop escalation is reported truthfully', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'stop', { graceMs: 300 })
  const ready = (c: ReturnType<typeof container>) => until(async () => (await logLines(c.logPath)).includes('ready'))

  const noInit = container(dir, 'main', { initProcessEnabled: false, command: ['sh', '-c', 'echo ready; exec sleep 30'] })
  const withInit = container(dir, 'main', { command: ['sh', '-c', 'echo ready; exec sleep 30'] })
  const a = observer()
  const b = observer()
  const sa = sandbox([noInit])
  const sb = sandbox([withInit])
  runner.start(sa, a.listener)
  runner.start(sb, b.listener)
  await Promise.all([ready(noInit), ready(withInit)])
  runner.stop(sa.id, { graceMs: 300 })
  runner.stop(sb.id, { graceMs: 300 })
  t.match(await a.done, { signal: 'SIGKILL', exitCode: null, stopped: true, escalated: true }, 'PID 1 without init ignores SIGTERM: killed after the grace')
  t.match(await b.done, { signal: 'SIGTERM', exitCode: null, stopped: true, escalated: false }, 'through docker-init, SIGTERM ends it')

  const trapping = container(dir, 'main', { script: 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done' })
  const c = observer()
  const sc = sandbox([trapping])
  runner.start(sc, c.listener)
  await ready(trapping)
  runner.stop(sc.id, { graceMs: 5000 })
  t.match(await c.done, { exitCode: 7, signal: null, stopped: true, escalated: false }, 'a program that handles SIGTERM exits with its own code')
  t.same(await logLines(trapping.logPath), ['ready', 'got TERM'])

  const own143 = container(dir, 'main', { script: 'exit 143' })
  const d = observer()
  runner.start(sandbox([own143]), d.listener)
  t.match(await d.done, { exitCode: 143, signal: null, stopped: false }, 'exit 143 by itself is an exit code, not a signal')

  const other = container(dir, 'main', { script: 'echo ready; exec sleep 30' })
  const e = observer()
  const se = sandbox([other])
  runner.start(se, e.listener)
  await ready(other)
  runner.stop(se.id, { signal: 'SIGINT', graceMs: 5000 })
  t.match(await e.done, { signal: 'SIGINT', exitCode: null, escalated: false }, 'the signal asked for is the one sent')
})

t.test('when an essential container exits, a sidecar that ignores SIGTERM is killed after the runner\'s grace', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'cascade', { graceMs: 300 })
  const seen = observer()
  runner.start(sandbox([
    container(dir, 'main', { script: 'sleep 0.5; exit 4' }),
    container(dir, 'sidecar', { essential: false, script: 'trap "" TERM; while :; do sleep 0.05; done' })
  ]), seen.listener)
  t.match(await seen.done, {
    exitCode: 4, stopped: false, escalated: true,
    containers: [{ name: 'main', exitCode: 4 }, { name: 'sidecar', exitCode: null, signal: 'SIGKILL' }]
  })
})
