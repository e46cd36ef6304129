// The benchmark's floor (runtime/runners/docker/bench.ts): a bare create +
// start of a container over the runner's client, and the removal of what it
// made by label, also after a failure.
import t from 'tap'
import { connectEngine, floorStart, removeLabelled } from '../../../runtime/runners/docker/index.js'
import { dockerInspect, dockerPs, dockerReady } from './docker-kit.js'

await dockerReady()

t.test('floorStart runs a container; removeLabelled removes every one of its label', async (t) => {
  const client = await connectEngine()
  t.teardown(() => client.close())
  const labels = { 'stratus.bench': `floor-${process.pid}` }
  t.teardown(() => removeLabelled(client, labels))
  const started = await Promise.all([1, 2].map(() => floorStart(client, { image: 'busybox:1.36', command: ['sleep', '30'], labels })))
  for (const c of started) {
    t.ok(c.startMs > 0)
    t.match(await dockerInspect(c.id), { State: { Running: true }, Config: { Labels: labels } })
  }
  t.equal(await removeLabelled(client, labels), 2)
  t.same(await dockerPs(`stratus.bench=${labels['stratus.bench']}`), [])
  await t.rejects(floorStart(client, { image: 'busybox:no-such-tag', command: ['true'], labels }), { name: 'DockerApiError', statusCode: 404 })
})
