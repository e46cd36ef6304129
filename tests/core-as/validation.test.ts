// Bad input gets a coded error naming the field (and the limit), changes
// nothing, and never traps the WebAssembly core.
import t from 'tap'
import { bothSchedulers, bothCores } from './cores.js'
import { InvalidArgumentError, LimitExceededError, StratusError } from '../../runtime/errors.js'
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { Rtrace } from './rtrace.js'
import { randomBatch } from './random-batch.js'
import * as abi from '../../runtime/scheduler/abi.js'
import type { PlaceInput } from '../../runtime/scheduler/scheduler.js'

const ok: PlaceInput = { nodes: [{ cpu: 4000, memory: 8192 }], tasks: [{ cpu: 100, memory: 100 }] }

t.test('the object API names the field and the limit', async (t) => {
  for (const [name, s] of await bothSchedulers()) {
    const cases: Array<[string, PlaceInput, string, string | number | undefined, new (...args: never[]) => StratusError]> = [
      ['negative cpu', { ...ok, tasks: [{ cpu: 1, memory: 1 }, { cpu: -1, memory: 1 }] }, 'tasks[1].cpu', 0, InvalidArgumentError],
      ['NaN memory', { ...ok, tasks: [{ cpu: 1, memory: NaN }] }, 'tasks[0].memory', 0, InvalidArgumentError],
      ['fractional cpu', { ...ok, tasks: [{ cpu: 1.5, memory: 1 }] }, 'tasks[0].cpu', 0, InvalidArgumentError],
      ['over-limit cpu', { ...ok, tasks: [{ cpu: 2 ** 31, memory: 1 }] }, 'tasks[0].cpu', 2 ** 31 - 1, InvalidArgumentError],
      ['free above total', { ...ok, nodes: [{ cpu: 1000, memory: 1000, free: { cpu: 2000 } }] }, 'nodes[0].free.cpu', 1000, InvalidArgumentError],
      ['bad status', { ...ok, nodes: [{ cpu: 1, memory: 1, status: 'SLEEPING' as never }] }, 'nodes[0].status', undefined, InvalidArgumentError],
      ['bad strategy', { ...ok, tasks: [{ cpu: 1, memory: 1, strategy: { type: 'firstfit' } as never }] }, 'tasks[0].strategy.type', undefined, InvalidArgumentError],
      ['binpack field', { ...ok, tasks: [{ cpu: 1, memory: 1, strategy: { type: 'binpack', field: 'gpu' } as never }] }, 'tasks[0].strategy.field', undefined, InvalidArgumentError],
      ['distinct without group', { ...ok, tasks: [{ cpu: 1, memory: 1, distinctInstance: true }] }, 'tasks[0].group', undefined, InvalidArgumentError],
      ['order not a permutation', { ...ok, order: [0, 0] }, 'order', undefined, InvalidArgumentError],
      ['negative wait', { ...ok, tasks: [{ cpu: 1, memory: 1, waitRounds: -2 }] }, 'tasks[0].waitRounds', 0, InvalidArgumentError],
      ['too many custom attributes', {
        ...ok,
        nodes: [{ cpu: 1, memory: 1, attributes: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, 'x'])) }]
      }, 'nodes[0].attributes.a8', 8, LimitExceededError]
    ]
    for (const [what, input, field, limit, type] of cases) {
      try {
        s.place(input)
        t.fail(`${name}: ${what} was accepted`)
      } catch (error) {
        t.type(error, type, `${name}: ${what}: ${(error as Error).message}`)
        t.equal((error as StratusError).field, field, `${name}: ${what} names ${field}`)
        t.equal((error as StratusError).limit, limit, `${name}: ${what} limit`)
        t.match((error as Error).message, field)
      }
    }
  }
})

t.test('the columnar API validates every column, and places nothing on bad input', async (t) => {
  for (const [name, core] of await bothCores()) {
    const batch = core.allocate({ nodes: 2, tasks: 3, values: 2 })
    batch.nodes.totalCpu.set([1000, 1000])
    batch.nodes.freeCpu.set([1000, 1000])
    batch.tasks.cpu.set([1, 2, 3])
    batch.plan.node.fill(77)
    const mutations: Array<[string, () => void, () => void]> = [
      ['tasks.memory[2]', () => (batch.tasks.memory[2] = -5), () => (batch.tasks.memory[2] = 0)],
      ['nodes.freeCpu[1]', () => (batch.nodes.freeCpu[1] = 2000), () => (batch.nodes.freeCpu[1] = 1000)],
      ['nodes.status[0]', () => (batch.nodes.status[0] = 9), () => (batch.nodes.status[0] = 0)],
      ['tasks.strategy[0]', () => (batch.tasks.strategy[0] = 17), () => (batch.tasks.strategy[0] = 0)],
      ['tasks.spreadAttribute[1]', () => (batch.tasks.spreadAttribute[1] = 10), () => (batch.tasks.spreadAttribute[1] = -1)],
      ['tasks.constraintLength[0]', () => { batch.tasks.constraintAttribute[0] = 0; batch.tasks.constraintLength[0] = 3 }, () => { batch.tasks.constraintAttribute[0] = -1; batch.tasks.constraintLength[0] = 0 }],
      ['tasks.order[1]', () => { batch.useOrder = true; batch.tasks.order.set([0, 0, 1]) }, () => { batch.useOrder = false }],
      ['tasks.group[2]', () => (batch.tasks.flags[2] = abi.FLAG_DISTINCT_INSTANCE), () => (batch.tasks.flags[2] = 0)]
    ]
    for (const [field, breakIt, fixIt] of mutations) {
      breakIt()
      t.throws(() => core.place(batch), { name: 'InvalidArgumentError', field }, `${name}: ${field}`)
      t.same(Array.from(batch.plan.node), [77, 77, 77], `${name}: plan untouched after ${field}`)
      fixIt()
    }
    core.place(batch)
    t.same(Array.from(batch.plan.node), [0, 0, 0], `${name}: valid again, placed`)
  }
})

t.test('user data never traps the core: mutated columns straight to the export', async (t) => {
  const rtrace = new Rtrace()
  let memory: { buffer: ArrayBuffer } | undefined
  rtrace.attach({ get buffer() { return memory!.buffer } })
  const core = await loadWasmCore({ build: 'debug', imports: { rtrace: rtrace.imports } })
  memory = core.memory
  let statuses = new Map<number, number>()
  let x = 12345
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32)
  for (let seed = 1; seed <= 400; seed++) {
    const batch = randomBatch(core, seed)
    // Overwrite random values in the data columns (never the pointers) with garbage.
    const columns = [batch.nodes.freeCpu, batch.nodes.totalMemory, batch.nodes.tasks, batch.tasks.cpu, batch.tasks.memory, batch.tasks.group,
      batch.tasks.constraintOffset, batch.tasks.constraintLength, batch.pairs, batch.values] as Int32Array[]
    const bytes = [batch.nodes.status, batch.tasks.strategy, batch.tasks.flags] as Uint8Array[]
    // Half the values are wild 32-bit garbage, half small and often still valid.
    const value = () => (rand() < 0.5 ? (rand() * 2 ** 32) | 0 : Math.floor(rand() * 12) - 1)
    if (rand() < 0.7) {
      const col = columns[Math.floor(rand() * columns.length)]
      if (col.length) col[Math.floor(rand() * col.length)] = value()
    } else {
      const b = bytes[Math.floor(rand() * bytes.length)]
      if (b.length) b[Math.floor(rand() * b.length)] = value() & 0xff
    }
    if (batch.shape.tasks > 0 && rand() < 0.2) batch.tasks.spreadAttribute[0] = Math.floor(rand() * 256) - 128
    const status = core.placeUnchecked(batch)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    core.release(batch)
  }
  t.ok(statuses.size > 1 && statuses.has(abi.STATUS_OK), `statuses seen: ${JSON.stringify([...statuses])}`)
  t.ok([...statuses.keys()].every((s) => s === abi.STATUS_OK || s >= abi.STATUS_INVALID_BASE), 'only OK or an invalid-field status')
  t.same(rtrace.errors, [], 'no store outside a live block')
  t.equal(rtrace.live.size, 0, 'nothing leaked')
  statuses = new Map()
})
