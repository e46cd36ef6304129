// Regressions: an engine that stops answering. The runner reached the local
// engine through a unix-socket proxy the test controls (a real proxy to the
// real engine, which goes on running the containers): once the proxy refused
// connections, the runner's first failed inspect was taken for the
// container's death (an exit with SIGKILL reported while it ran on); once it
// held connections unanswered, close() waited forever. Now only the engine's
// 404 means a container is gone — other failures are asked again, and the
// output the engine kept meanwhile is followed again — and close() has a
// deadline after which it reports what it could not reach as ended, `lost`.
import t, { type Test } from 'tap'
import { rm } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { DockerRunner } from '../../../runtime/runners/docker/index.js'
import { instrument } from '../../../runtime/runners/index.js'
import { logLines, observer, until } from './conformance-kit.js'
import { container, dockerInspect, dockerPs, dockerReady, dockerRunner, engineId as newEngineId, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

type Mode = 'forward' | 'refuse' | 'hang'

/** A unix socket forwarding to the engine's; `cut(mode)` drops every connection and then refuses or holds new ones. */
async function engineProxy(t: Test, dir: string) {
  const path = join(dir, 'proxy.sock')
  let mode: Mode = 'forward'
  let refused = 0
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    open.add(client)
    client.on('close', () => open.delete(client))
    client.on('error', () => {})
    if (mode === 'refuse') {
      refused++
      client.destroy()
      return
    }
    if (mode === 'hang') return // accepted, never answered
    const engine = net.connect('/var/run/docker.sock')
    open.add(engine)
    engine.on('close', () => { open.delete(engine); client.destroy() })
    engine.on('error', () => {})
    client.on('close', () => engine.destroy())
    client.pipe(engine)
    engine.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const close = async () => {
    for (const socket of open) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    await rm(path, { force: true })
  }
  t.teardown(close)
  return {
    path,
    cut(next: Exclude<Mode, 'forward'>) {
      mode = next
      for (const socket of open) socket.destroy()
    },
    restore() {
      mode = 'forward'
    },
    /** Resolves once this many connections were refused since the cut. */
    refusals: (n: number) => until(() => refused >= n)
  }
}

function noUnhandledRejections(t: Test): unknown[] {
  const seen: unknown[] = []
  const record = (reason: unknown) => { seen.push(reason) }
  process.on('unhandledRejection', record)
  t.teardown(() => { process.off('unhandledRejection', record) })
  return seen
}

t.test('an engine that refuses connections for a while: the container runs on, and is not reported killed', async (t) => {
  const dir = await tempDir(t)
  const proxy = await engineProxy(t, dir)
  const rejections = noUnhandledRejections(t)
  const { runner, engineId } = await dockerRunner(t, 'refusing', { hosts: [{ name: 'proxied', socketPath: proxy.path }] })
  t.teardown(async () => {
    // A failure while the proxy refuses leaves the runner unable to remove it: this test's own engine id.
    for (const id of await dockerPs(`stratus.engine=${engineId}`)) await run('docker', ['rm', '-f', id])
  })
  const main = container(dir, 'main', { script: 'echo before; until [ -f /tmp/go ]; do sleep 0.05; done; echo after; exec sleep 300' })
  const spec = sandbox([main])
  const seen = observer()
  runner.start(spec, seen.listener)
  const id = (await seen.running).containers[0].runtimeId!
  await until(async () => (await logLines(main.logPath)).length === 1)

  proxy.cut('refuse')
  // Its wait broke off; the runner asks again and again (each attempt a refused connection), or wrongly reports an end.
  await Promise.race([seen.done.catch(() => {}), proxy.refusals(5)])
  t.same(seen.calls, ['running'], 'no exit reported while the engine does not answer')
  t.match(runner.inspect(spec.id), { state: 'running', containers: [{ state: 'running' }] })
  t.equal((await dockerInspect(id)).State.Running, true, 'the engine still runs the container')
  await run('docker', ['exec', id, 'touch', '/tmp/go']) // it writes while the runner cannot read

  proxy.restore()
  await until(async () => (await logLines(main.logPath)).length >= 2)
  t.same(await logLines(main.logPath), ['before', 'after'], 'output written meanwhile reaches the log file, once')
  t.equal(runner.stop(spec.id, { graceMs: 5000 }), true)
  t.match(await seen.done, { signal: 'SIGTERM', stopped: true, escalated: false }, 'its real end, once the engine answers again')
  t.same(seen.calls, ['running', 'exited'])
  t.same(await dockerPs(`stratus.engine=${engineId}`), [], 'removed')
  t.same(rejections, [])
})

t.test('close() returns when an engine holds its connections unanswered, and reports the sandbox ended', async (t) => {
  const dir = await tempDir(t)
  const proxy = await engineProxy(t, dir)
  const rejections = noUnhandledRejections(t)
  const engine = newEngineId('unanswered')
  t.teardown(async () => {
    // The container the runner could not reach runs on in the real engine: this test's own engine id.
    for (const id of await dockerPs(`stratus.engine=${engine}`)) await run('docker', ['rm', '-f', id])
  })
  const runner = instrument(await DockerRunner.create({
    engineId: engine, graceMs: 1000, closeTimeoutMs: 3000, hosts: [{ name: 'proxied', socketPath: proxy.path }]
  }))
  t.teardown(() => runner.close())
  const seen = observer()
  runner.start(sandbox([container(dir, 'main', { script: 'exec sleep 300' })]), seen.listener)
  const id = (await seen.running).containers[0].runtimeId!

  proxy.cut('hang')
  await runner.close()
  t.pass('close() returned')
  t.match(await seen.done, {
    exitCode: null, signal: null, stopped: true, containers: [{ name: 'main', exitCode: null, signal: null }],
    lost: /^the Docker engine proxied did not answer within 3000 ms of close\(\): its containers may still run there, and were not removed$/
  }, 'reported ended, saying why its end is unknown (no SIGKILL it never saw)')
  t.same(seen.calls, ['running', 'exited'])
  t.same(runner.list(), [])
  t.equal((await dockerInspect(id)).State.Running, true, 'what the report says: the engine still runs it')
  t.same(rejections, [])
})
