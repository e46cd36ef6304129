// The debug build (assertions on, every allocation and store traced) places
// the same plans as the release build, frees everything it allocates, and
// never stores outside a live block.
import t from 'tap'
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { TsPlacementCore } from '../../runtime/scheduler/twin.js'
import { randomBatch } from './random-batch.js'
import { Rtrace } from './rtrace.js'

t.test('debug build under rtrace: no leak, no stray store, same plans', async (t) => {
  const rtrace = new Rtrace()
  let memory: { buffer: ArrayBuffer } | undefined
  rtrace.attach({ get buffer() { return memory!.buffer } })
  const core = await loadWasmCore({ build: 'debug', imports: { rtrace: rtrace.imports } })
  memory = core.memory
  const twin = new TsPlacementCore()
  let diffs = 0
  for (let seed = 1; seed <= 300; seed++) {
    const a = randomBatch(core, seed)
    const b = randomBatch(twin, seed)
    core.place(a)
    twin.place(b)
    for (let i = 0; i < b.shape.tasks; i++) if (a.plan.node[i] !== b.plan.node[i] || a.plan.reason[i] !== b.plan.reason[i]) diffs++
    core.orderJobs(Int32Array.of(3, 1, 2), Int32Array.of(0, 0, 0), Int32Array.of(1, 2, 3))
    core.release(a)
  }
  t.equal(diffs, 0, 'same plans as the twin')
  t.ok(rtrace.allocations >= 600, `allocations traced (${rtrace.allocations})`)
  t.equal(rtrace.frees, rtrace.allocations, 'every allocation freed')
  t.equal(rtrace.live.size, 0, 'no live block left')
  t.ok(rtrace.stores > 1_000_000, `stores traced (${rtrace.stores})`)
  t.same(rtrace.errors, [], 'no store outside a live block')
})
