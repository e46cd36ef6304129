// Regression: a runner killed after creating a multi-container sandbox's
// holder but before its members left a holder-only sandbox; the next runner of
// the engine recovered it with no container at all, and its close() then threw
// a TypeError from inside the sandbox's exit (an unhandled rejection), never
// returned, and left the holder in `docker ps -a`. Now such a sandbox is not
// recovered: its holder is removed when the runner is created.
import t from 'tap'
import { DockerClient, DockerRunner, LOCAL_HOST } from '../../../runtime/runners/docker/index.js'
import { ensureHolderImage } from '../../../runtime/runners/docker/holder.js'
import { holderCreate, type EngineFacts } from '../../../runtime/runners/docker/sandbox.js'
import { container, dockerPs, dockerReady, engineId as newEngineId, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('a holder-only sandbox left by a killed runner is removed, not recovered', async (t) => {
  const dir = await tempDir(t)
  const engine = newEngineId('holder-only')
  t.teardown(async () => {
    for (const id of await dockerPs(`stratus.engine=${engine}`)) await run('docker', ['rm', '-f', id])
  })
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.teardown(() => { process.off('unhandledRejection', onRejection) })

  // What the killed runner had done: the holder of a two-container sandbox, created and started, with the labels the runner gives it.
  const client = await DockerClient.connect(LOCAL_HOST)
  t.teardown(() => client.close())
  const facts: EngineFacts = { engineId: engine, runnerId: 'a-runner-killed-meanwhile', bridgeNetwork: 'bridge', cpus: 1, allowPrivileged: false }
  const spec = sandbox([container(dir, 'web', { script: 'exec sleep 300' }), container(dir, 'side', { script: 'exec sleep 300' })])
  const holder = holderCreate(facts, spec, await ensureHolderImage(client, 'x86_64'))
  const { Id } = await client.request<{ Id: string }>('POST', '/containers/create', { query: { name: holder.name }, body: holder.body })
  await client.request('POST', `/containers/${Id}/start`)
  t.same(await dockerPs(`stratus.sandbox=${spec.id}`), [Id.slice(0, 12)], 'the holder alone, running')

  const runner = await DockerRunner.create({ engineId: engine, graceMs: 1000 })
  t.same(runner.list(), [], 'nothing is recovered from a sandbox that never had a container')
  t.equal(runner.stop(spec.id), false, 'stop() does not know it')
  let timer: NodeJS.Timeout | undefined
  const closed = await Promise.race([
    runner.close().then(() => 'closed'),
    new Promise<string>((resolve) => { timer = setTimeout(() => resolve('close() did not return'), 60_000) })
  ])
  clearTimeout(timer)
  t.equal(closed, 'closed', 'close() returns')
  t.same(await dockerPs(`stratus.engine=${engine}`), [], 'the holder is gone from docker ps -a')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(rejections, [], 'no unhandled rejection')
})
