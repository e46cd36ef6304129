// close() on the docker runner leaves nothing in `docker ps -a` of its engine
// id: running sandboxes (their holders too), one still starting, and one a
// previous runner left that was recovered but never attached.
import t from 'tap'
import { observer } from './conformance-kit.js'
import { container, dockerPs, dockerReady, dockerRunner, engineId, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('close() removes every container of the engine it made or recovered', async (t) => {
  const dir = await tempDir(t)
  const engine = engineId('close')
  const first = await dockerRunner(t, 'close', { engineId: engine })
  const left = observer()
  first.runner.start(sandbox([container(dir, 'main', { script: 'exec sleep 300' })]), left.listener)
  await left.running
  // Another runner of the same engine id finds this sandbox as a restarted engine would (the first one is closed last).
  t.equal((await dockerPs(`stratus.engine=${engine}`)).length, 1)

  const { runner } = await dockerRunner(t, 'close', { engineId: engine })
  t.equal(runner.list().filter((i) => i.recovered).length, 1, 'the first runner\'s sandbox, recovered')
  const seen = [
    sandbox([container(dir, 'main', { script: 'exec sleep 300' }), container(dir, 'side', { essential: false, script: 'exec sleep 300' })]),
    sandbox([container(dir, 'main', { script: 'exec sleep 300', portMappings: [{ containerPort: 80 }] })], { address: '127.0.0.71' })
  ].map((s) => {
    const o = observer()
    runner.start(s, o.listener)
    return o
  })
  await Promise.all(seen.map((o) => o.running))
  const starting = observer()
  runner.start(sandbox([container(dir, 'main', { script: 'exec sleep 300' })]), starting.listener)
  t.ok((await dockerPs(`stratus.engine=${engine}`)).length >= 5, 'three containers, a holder, the recovered one')

  await runner.close()
  for (const o of seen) t.match(await o.done, { signal: 'SIGKILL', stopped: true })
  const late = await starting.done.then((exit) => exit, (error: Error) => error)
  t.ok(late instanceof Error ? (late as { code?: string }).code === 'RunnerClosed' : late.stopped, 'the one starting failed as closed, or ran and was stopped')
  t.same(await dockerPs(`stratus.engine=${engine}`), [], 'nothing left in docker ps -a')
  await first.runner.close()
})
