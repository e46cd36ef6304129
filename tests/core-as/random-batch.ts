// Seeded random snapshots for differential tests: a batch generator that hits
// the edges (zero-capacity nodes, tasks larger than every node, all nodes
// draining, ties between identical nodes, constraints, groups, spreads).

import * as abi from '../../runtime/scheduler/abi.js'
import type { PlacementBatch } from '../../runtime/scheduler/placement-batch.js'
import type { PlacementCore } from '../../runtime/scheduler/core.js'

export class Rng {
  #s: number
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1
  }
  next(): number {
    let x = this.#s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#s = x >>> 0
    return this.#s / 0x100000000
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }
  chance(p: number): boolean {
    return this.next() < p
  }
}

export interface RandomBatchOptions {
  nodes?: number
  tasks?: number
}

/** Fills a batch allocated by `core` with a random but reproducible scenario. */
export function randomBatch(core: PlacementCore, seed: number, options: RandomBatchOptions = {}): PlacementBatch {
  const rng = new Rng(seed)
  const scenario = rng.int(0, 9)
  const n = options.nodes ?? rng.pick([0, 1, 2, 3, 5, 8, 17, 40, 100, 257])
  const t = options.tasks ?? rng.int(0, 300)
  const pairs = n > 0 ? rng.int(0, 6) : 0
  const values = 40
  // A third of the batches use the extensions: strategy chains, several memberOf sets, static ports.
  const extended = rng.chance(0.35)
  const chains = extended ? 12 : 0
  const lists = extended ? 10 : 0
  const ports = extended ? 8 : 0
  const usedPorts = extended && n > 0 ? rng.int(0, 10) : 0
  const batch = core.allocate({ nodes: n, tasks: t, pairs, values, chains, lists, ports, usedPorts })
  const nodes = batch.nodes
  const identical = scenario === 1
  const shapes = [
    [2000, 4096, 0], [4000, 16384, 0], [8000, 32768, 1], [1000, 1024, 0], [0, 0, 0], [16000, 65536, 4]
  ]
  const zones = rng.int(1, 4)
  for (let i = 0; i < n; i++) {
    const [tc, tm, tg] = identical ? shapes[1] : rng.pick(shapes)
    nodes.totalCpu[i] = tc
    nodes.totalMemory[i] = tm
    nodes.totalGpu[i] = tg
    const used = scenario === 2 ? 0 : rng.next()
    nodes.freeCpu[i] = identical ? tc : Math.floor(tc * (1 - used * rng.next()))
    nodes.freeMemory[i] = identical ? tm : Math.floor(tm * (1 - used * rng.next()))
    nodes.freeGpu[i] = rng.int(0, tg)
    nodes.status[i] = scenario === 3 ? abi.NODE_DRAINING : rng.chance(0.1) ? rng.int(1, 2) : abi.NODE_ACTIVE
    nodes.tasks[i] = rng.int(0, 3)
    nodes.attributes[abi.ATTR_ZONE * n + i] = 1 + (i % zones)
    nodes.attributes[abi.ATTR_INSTANCE_TYPE * n + i] = 10 + (tc >> 12)
    for (let k = abi.ATTR_CUSTOM_FIRST; k < abi.ATTR_COUNT; k++) nodes.attributes[k * n + i] = rng.int(0, 3)
  }
  for (let i = 0; i < pairs; i++) {
    batch.pairs[i * 3] = rng.int(1, 4)
    batch.pairs[i * 3 + 1] = rng.int(0, n - 1)
    batch.pairs[i * 3 + 2] = rng.int(0, 3)
  }
  for (let i = 0; i < values; i++) batch.values[i] = rng.int(0, 12)
  // Few distinct port keys, so tasks collide with each other and with the ports in use.
  const portKeys = [80, 443, 8080, abi.PORT_UDP_BIT | 53, abi.PORT_UDP_BIT | 80]
  for (let i = 0; i < chains; i++) {
    batch.chains[i * 2] = rng.int(0, abi.STRATEGY_COUNT - 1)
    batch.chains[i * 2 + 1] = rng.int(-1, 3)
  }
  for (let i = 0; i < lists; i++) {
    batch.lists[i * 3] = rng.int(0, abi.ATTR_COUNT - 1)
    batch.lists[i * 3 + 1] = rng.int(0, values - 6)
    batch.lists[i * 3 + 2] = rng.int(1, 6)
  }
  for (let i = 0; i < ports; i++) batch.ports[i] = rng.pick(portKeys)
  for (let i = 0; i < usedPorts; i++) {
    batch.usedPorts[i * 2] = rng.int(0, n - 1)
    batch.usedPorts[i * 2 + 1] = rng.pick(portKeys)
  }
  const tasks = batch.tasks
  const huge = scenario === 4
  for (let i = 0; i < t; i++) {
    tasks.cpu[i] = huge && rng.chance(0.3) ? 20000 : rng.pick([0, 100, 250, 500, 1000, 2000, 4000])
    tasks.memory[i] = huge && rng.chance(0.3) ? 100000 : rng.pick([0, 128, 512, 1024, 2048, 8192])
    tasks.gpu[i] = rng.chance(0.1) ? rng.int(1, 2) : 0
    tasks.group[i] = rng.chance(0.5) ? rng.int(1, 4) : 0
    tasks.strategy[i] = scenario >= 5 ? scenario - 5 : rng.int(0, abi.STRATEGY_COUNT - 1)
    tasks.spreadAttribute[i] = rng.int(-1, 3)
    tasks.flags[i] = tasks.group[i] !== 0 && rng.chance(0.3) ? abi.FLAG_DISTINCT_INSTANCE : 0
    if (rng.chance(0.25)) {
      tasks.constraintAttribute[i] = rng.int(0, abi.ATTR_COUNT - 1)
      tasks.constraintOffset[i] = rng.int(0, values - 1)
      tasks.constraintLength[i] = rng.int(0, Math.min(4, values - tasks.constraintOffset[i]))
    }
    tasks.wait[i] = rng.int(0, 5)
    if (extended) {
      const at = i * abi.EXT_SLOTS
      if (rng.chance(0.5)) {
        const length = rng.int(1, abi.CHAIN_MAX - 1)
        tasks.ext[at + abi.EXT_CHAIN_OFFSET] = rng.int(0, chains - length)
        tasks.ext[at + abi.EXT_CHAIN_LENGTH] = length
      }
      if (rng.chance(0.25)) {
        const length = rng.int(1, 3)
        tasks.ext[at + abi.EXT_LIST_OFFSET] = rng.int(0, lists - length)
        tasks.ext[at + abi.EXT_LIST_LENGTH] = length
      }
      if (rng.chance(0.5)) {
        const length = rng.int(1, 2)
        tasks.ext[at + abi.EXT_PORT_OFFSET] = rng.int(0, ports - length)
        tasks.ext[at + abi.EXT_PORT_LENGTH] = length
      }
    }
  }
  batch.useWait = rng.chance(0.5)
  batch.agingRounds = rng.chance(0.5) ? rng.int(1, 4) : 0
  batch.seed = rng.int(0, 1000)
  if (rng.chance(0.3)) {
    const order = tasks.order
    for (let i = 0; i < t; i++) order[i] = i
    for (let i = t - 1; i > 0; i--) {
      const j = rng.int(0, i)
      const x = order[i]
      order[i] = order[j]
      order[j] = x
    }
    batch.useOrder = true
  }
  return batch
}
