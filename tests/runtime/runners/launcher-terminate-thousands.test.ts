// Regression: terminating a large array at once. A kill found its process by a
// linear scan (the helper walked its job list, its queue and its spawners for
// every kill frame), so terminating n processes cost O(n²). Both lookups are
// now by id; this terminates a few thousand processes, some running and some
// still queued or being started, and checks that every one of them ends.
// (No assertion on time: the point is that it completes and loses nobody.)
import t, { type Test } from 'tap'
import { findLauncherBinary, ProcessLauncher, type LaunchedProcess, type LauncherImplementation } from '../../../runtime/runners/launcher/index.js'

const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' }

async function terminateThousands(t: Test, implementation: LauncherImplementation, running: number, queued: number): Promise<void> {
  const launcher = await ProcessLauncher.start({ implementation })
  t.teardown(() => launcher.close())
  const spawn = (i: number): Promise<LaunchedProcess> => launcher.spawn({ id: `p-${i}`, argv: ['sleep', '1000'], env })
  // Some really run before the kills arrive…
  const first = await Promise.all(Array.from({ length: running }, (_, i) => spawn(i)))
  // …and the rest are requested in the same tick as the kills: queued in the helper, or being started.
  const rest = Array.from({ length: queued }, (_, i) => spawn(running + i))
  let accepted = 0
  for (let i = 0; i < running + queued; i++) if (launcher.terminate(`p-${i}`, { graceMs: 60_000 })) accepted++
  t.equal(accepted, running + queued, 'every terminate found its process')
  const all = [...first, ...(await Promise.all(rest))]
  const exits = await Promise.all(all.map((p) => p.exited))
  const bySignal = new Map<string, number>()
  for (const exit of exits) bySignal.set(String(exit.signal), (bySignal.get(String(exit.signal)) ?? 0) + 1)
  t.same(Object.fromEntries(bySignal), { SIGTERM: running + queued }, 'every one ended by the SIGTERM it was sent')
  t.equal(launcher.running, 0, 'nothing is left')
}

t.test('native helper', { skip: findLauncherBinary() ? false : 'the helper is not built (npm run build:native)' }, async (t) => {
  await terminateThousands(t, 'native', 1500, 1500)
})

t.test('node fallback', async (t) => {
  await terminateThousands(t, 'node', 500, 500)
})
