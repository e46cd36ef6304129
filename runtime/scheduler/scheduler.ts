// The scheduler the engine's controllers use: objects in, a plan out. It
// turns nodes and tasks into a columnar batch (interning names to ids),
// validates every field with its path, calls one core (WebAssembly by
// default, or the TypeScript twin), and reads the plan back.

import * as abi from './abi.js'
import type { PlacementBatch } from './placement-batch.js'
import type { PlacementCore, PlanMetrics } from './core.js'
import { loadWasmCore } from './wasm-core.js'
import { TsPlacementCore } from './twin.js'
import { InvalidArgumentError, LimitExceededError } from '../errors.js'

export type NodeStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE'

/** An attribute a constraint or a spread can name: built in, or custom by name. */
export type AttributeName = 'zone' | 'instanceType' | (string & {})

export interface NodeInput {
  /** Total millicores. */
  cpu: number
  /** Total MiB. */
  memory: number
  gpus?: number
  /** Free capacity now (defaults to the totals). */
  free?: { cpu?: number; memory?: number; gpus?: number }
  status?: NodeStatus
  zone?: string
  instanceType?: string
  /** Up to 8 custom attribute names across the snapshot. */
  attributes?: Record<string, string>
  /** Tasks already running on the node, by group (for distinctInstance and spread). */
  groups?: Record<string, number>
  /** All tasks already running on the node (defaults to the sum of groups). */
  runningTasks?: number
}

export type Strategy =
  | { type: 'binpack'; field: 'cpu' | 'memory' }
  | { type: 'bestfit' }
  | { type: 'spread'; field: 'node' | AttributeName }
  | { type: 'random' }

export interface TaskInput {
  /** Millicores. */
  cpu: number
  /** MiB. */
  memory: number
  gpus?: number
  /** Tasks of a group are counted together by distinctInstance and spread. */
  group?: string
  strategy?: Strategy
  distinctInstance?: boolean
  memberOf?: { attribute: AttributeName; values: readonly string[] }
  /** Scheduling rounds the task has already waited (see agingRounds). */
  waitRounds?: number
}

export type PlacementReason =
  | 'PLACED'
  | 'INSUFFICIENT_CPU'
  | 'INSUFFICIENT_MEMORY'
  | 'INSUFFICIENT_GPU'
  | 'CONSTRAINT_UNSATISFIED'
  | 'NO_ACTIVE_NODE'

export interface Placement {
  /** Index into the nodes given, or null. */
  node: number | null
  reason: PlacementReason
  /** For a task that waited agingRounds: the node held for it (no later task may use it). */
  reservedNode: number | null
}

export interface Plan {
  placements: Placement[]
  metrics: PlanMetrics
}

export interface PlaceInput {
  nodes: readonly NodeInput[]
  tasks: readonly TaskInput[]
  /** Dispatch order (task indices); default: as given. */
  order?: readonly number[]
  /** Seed of the random strategy. */
  seed?: number
  /** Rounds after which a task that does not fit reserves a node; 0 = never. */
  agingRounds?: number
}

export interface JobOrderInput {
  /** Queue priority: higher first. */
  priority: number
  /** Position of the compute environment in the job's queue: lower first. */
  envOrder: number
  /** Submission sequence: lower first. */
  sequence: number
}

/** Reasons by core code: the one table that names them. */
export const REASONS: Record<number, PlacementReason> = {
  [abi.REASON_PLACED]: 'PLACED',
  [abi.REASON_CPU]: 'INSUFFICIENT_CPU',
  [abi.REASON_MEMORY]: 'INSUFFICIENT_MEMORY',
  [abi.REASON_GPU]: 'INSUFFICIENT_GPU',
  [abi.REASON_CONSTRAINT]: 'CONSTRAINT_UNSATISFIED',
  [abi.REASON_NO_ACTIVE_NODE]: 'NO_ACTIVE_NODE'
}

const STATUSES: Record<NodeStatus, number> = { ACTIVE: abi.NODE_ACTIVE, DRAINING: abi.NODE_DRAINING, INACTIVE: abi.NODE_INACTIVE }

const MAX_I32 = 0x7fffffff

function invalid(field: string, message: string, limit?: number | string): never {
  throw new InvalidArgumentError('SchedulerInvalidInput', `${field} ${message}`, { field, ...(limit === undefined ? {} : { limit }) })
}

function quantity(value: unknown, field: string, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    invalid(field, `must be a non-negative integer (${unit}), got ${String(value)}`, 0)
  }
  if (value > MAX_I32) invalid(field, `is ${value} ${unit}; the limit is ${MAX_I32}`, MAX_I32)
  return value
}

/** Strings to small integer ids (0 = absent), one space per attribute. */
class Interner {
  readonly #ids = new Map<string, number>()
  id(value: string): number {
    let id = this.#ids.get(value)
    if (id === undefined) {
      id = this.#ids.size + 1
      this.#ids.set(value, id)
    }
    return id
  }
  peek(value: string): number {
    return this.#ids.get(value) ?? -1
  }
}

export class Scheduler {
  readonly core: PlacementCore

  constructor(core: PlacementCore) {
    this.core = core
  }

  /** A scheduler on the WebAssembly core (default) or the TypeScript twin. */
  static async create(options: { core?: 'wasm' | 'typescript' } = {}): Promise<Scheduler> {
    return new Scheduler(options.core === 'typescript' ? new TsPlacementCore() : await loadWasmCore())
  }

  place(input: PlaceInput): Plan {
    const { nodes, tasks } = input
    if (!Array.isArray(nodes)) invalid('nodes', 'must be an array')
    if (!Array.isArray(tasks)) invalid('tasks', 'must be an array')
    const custom = new Map<string, number>()
    const attributeIndex = (name: AttributeName, field: string, create: boolean): number => {
      if (name === 'zone') return abi.ATTR_ZONE
      if (name === 'instanceType') return abi.ATTR_INSTANCE_TYPE
      if (typeof name !== 'string' || name.length === 0) invalid(field, 'must name an attribute')
      let k = custom.get(name)
      if (k === undefined) {
        if (!create) return -1
        if (custom.size >= abi.ATTR_COUNT - abi.ATTR_CUSTOM_FIRST) {
          throw new LimitExceededError('SchedulerTooManyAttributes',
            `${field}: at most ${abi.ATTR_COUNT - abi.ATTR_CUSTOM_FIRST} custom attribute names per snapshot`, { field, limit: abi.ATTR_COUNT - abi.ATTR_CUSTOM_FIRST })
        }
        k = abi.ATTR_CUSTOM_FIRST + custom.size
        custom.set(name, k)
      }
      return k
    }
    // Pass 1: validate and count, so the batch is allocated once and nothing is half-built.
    const groups = new Interner()
    const values = Array.from({ length: abi.ATTR_COUNT }, () => new Interner())
    let pairs = 0
    nodes.forEach((node, i) => {
      const at = `nodes[${i}]`
      if (node === null || typeof node !== 'object') invalid(at, 'must be an object')
      const cpu = quantity(node.cpu, `${at}.cpu`, 'millicores')
      const memory = quantity(node.memory, `${at}.memory`, 'MiB')
      const gpus = quantity(node.gpus ?? 0, `${at}.gpus`, 'GPUs')
      const free = node.free ?? {}
      if (quantity(free.cpu ?? cpu, `${at}.free.cpu`, 'millicores') > cpu) invalid(`${at}.free.cpu`, `must not exceed the node's cpu (${cpu})`, cpu)
      if (quantity(free.memory ?? memory, `${at}.free.memory`, 'MiB') > memory) invalid(`${at}.free.memory`, `must not exceed the node's memory (${memory})`, memory)
      if (quantity(free.gpus ?? gpus, `${at}.free.gpus`, 'GPUs') > gpus) invalid(`${at}.free.gpus`, `must not exceed the node's gpus (${gpus})`, gpus)
      if (node.status !== undefined && !(node.status in STATUSES)) invalid(`${at}.status`, `must be ACTIVE, DRAINING or INACTIVE, got ${String(node.status)}`)
      for (const [name, value] of Object.entries(node.attributes ?? {})) {
        if (typeof value !== 'string') invalid(`${at}.attributes.${name}`, 'must be a string')
        values[attributeIndex(name, `${at}.attributes.${name}`, true)].id(value)
      }
      if (node.zone !== undefined) values[abi.ATTR_ZONE].id(String(node.zone))
      if (node.instanceType !== undefined) values[abi.ATTR_INSTANCE_TYPE].id(String(node.instanceType))
      for (const [group, count] of Object.entries(node.groups ?? {})) {
        quantity(count, `${at}.groups.${group}`, 'tasks')
        groups.id(group)
        pairs++
      }
      if (node.runningTasks !== undefined) quantity(node.runningTasks, `${at}.runningTasks`, 'tasks')
    })
    let poolSize = 0
    tasks.forEach((task, i) => {
      const at = `tasks[${i}]`
      if (task === null || typeof task !== 'object') invalid(at, 'must be an object')
      quantity(task.cpu, `${at}.cpu`, 'millicores')
      quantity(task.memory, `${at}.memory`, 'MiB')
      quantity(task.gpus ?? 0, `${at}.gpus`, 'GPUs')
      quantity(task.waitRounds ?? 0, `${at}.waitRounds`, 'rounds')
      if (task.group !== undefined) groups.id(String(task.group))
      if (task.distinctInstance && task.group === undefined) invalid(`${at}.group`, 'is required with distinctInstance')
      strategyCode(task.strategy, `${at}.strategy`, (name) => attributeIndex(name, `${at}.strategy.field`, true))
      if (task.memberOf !== undefined) {
        if (!Array.isArray(task.memberOf.values)) invalid(`${at}.memberOf.values`, 'must be an array of strings')
        attributeIndex(task.memberOf.attribute, `${at}.memberOf.attribute`, true)
        poolSize += task.memberOf.values.length
      }
    })
    if (input.order !== undefined) {
      if (!Array.isArray(input.order) || input.order.length !== tasks.length) invalid('order', `must list every task index once (${tasks.length} entries)`)
      const seen = new Set<number>()
      input.order.forEach((j, i) => {
        if (!Number.isInteger(j) || j < 0 || j >= tasks.length || seen.has(j)) invalid(`order[${i}]`, `must be a task index below ${tasks.length}, used once`)
        seen.add(j)
      })
    }
    const seed = input.seed ?? 1
    if (!Number.isInteger(seed)) invalid('seed', `must be an integer, got ${seed}`)
    const agingRounds = quantity(input.agingRounds ?? 0, 'agingRounds', 'rounds')

    // Pass 2: fill the batch.
    const batch = this.core.allocate({ nodes: nodes.length, tasks: tasks.length, pairs, values: poolSize })
    try {
      fillBatch(batch, input, groups, values, (name) => attributeIndex(name, '', false))
      batch.seed = seed
      batch.agingRounds = agingRounds
      const metrics = this.core.place(batch)
      return { placements: readPlan(batch), metrics }
    } finally {
      this.core.release(batch)
    }
  }

  orderJobs(jobs: readonly JobOrderInput[]): number[] {
    const n = jobs.length
    const priority = new Int32Array(n)
    const envOrder = new Int32Array(n)
    const sequence = new Int32Array(n)
    jobs.forEach((job, i) => {
      for (const key of ['priority', 'envOrder', 'sequence'] as const) {
        const v = job[key]
        if (!Number.isInteger(v) || v < -0x80000000 || v > MAX_I32) invalid(`jobs[${i}].${key}`, `must be a 32-bit integer, got ${v}`)
      }
      priority[i] = job.priority
      envOrder[i] = job.envOrder
      sequence[i] = job.sequence
    })
    return Array.from(this.core.orderJobs(priority, envOrder, sequence))
  }
}

function strategyCode(strategy: Strategy | undefined, field: string, attribute: (name: AttributeName) => number): [number, number] {
  if (strategy === undefined) return [abi.STRATEGY_BESTFIT, abi.SPREAD_NODE]
  switch (strategy?.type) {
    case 'binpack':
      if (strategy.field === 'cpu') return [abi.STRATEGY_BINPACK_CPU, abi.SPREAD_NODE]
      if (strategy.field === 'memory') return [abi.STRATEGY_BINPACK_MEMORY, abi.SPREAD_NODE]
      return invalid(`${field}.field`, `must be cpu or memory for binpack, got ${String(strategy.field)}`)
    case 'bestfit':
      return [abi.STRATEGY_BESTFIT, abi.SPREAD_NODE]
    case 'spread':
      return [abi.STRATEGY_SPREAD, strategy.field === 'node' ? abi.SPREAD_NODE : attribute(strategy.field)]
    case 'random':
      return [abi.STRATEGY_RANDOM, abi.SPREAD_NODE]
    default:
      return invalid(`${field}.type`, `must be binpack, bestfit, spread or random, got ${String((strategy as { type?: unknown })?.type)}`)
  }
}

function fillBatch(batch: PlacementBatch, input: PlaceInput, groups: Interner, values: Interner[], attribute: (name: AttributeName) => number): void {
  const n = input.nodes.length
  const cols = batch.nodes
  let pair = 0
  input.nodes.forEach((node, i) => {
    cols.totalCpu[i] = node.cpu
    cols.totalMemory[i] = node.memory
    cols.totalGpu[i] = node.gpus ?? 0
    cols.freeCpu[i] = node.free?.cpu ?? node.cpu
    cols.freeMemory[i] = node.free?.memory ?? node.memory
    cols.freeGpu[i] = node.free?.gpus ?? node.gpus ?? 0
    cols.status[i] = STATUSES[node.status ?? 'ACTIVE']
    if (node.zone !== undefined) cols.attributes[abi.ATTR_ZONE * n + i] = values[abi.ATTR_ZONE].id(String(node.zone))
    if (node.instanceType !== undefined) cols.attributes[abi.ATTR_INSTANCE_TYPE * n + i] = values[abi.ATTR_INSTANCE_TYPE].id(String(node.instanceType))
    for (const [name, value] of Object.entries(node.attributes ?? {})) {
      const k = attribute(name)
      cols.attributes[k * n + i] = values[k].id(value)
    }
    let running = 0
    for (const [group, count] of Object.entries(node.groups ?? {})) {
      batch.pairs[pair * 3] = groups.id(group)
      batch.pairs[pair * 3 + 1] = i
      batch.pairs[pair * 3 + 2] = count
      running += count
      pair++
    }
    cols.tasks[i] = node.runningTasks ?? running
  })
  const tasks = batch.tasks
  let pool = 0
  let waits = false
  input.tasks.forEach((task, i) => {
    tasks.cpu[i] = task.cpu
    tasks.memory[i] = task.memory
    tasks.gpu[i] = task.gpus ?? 0
    tasks.group[i] = task.group === undefined ? 0 : groups.id(String(task.group))
    const [strategy, spread] = strategyCode(task.strategy, '', attribute)
    tasks.strategy[i] = strategy
    tasks.spreadAttribute[i] = spread
    tasks.flags[i] = task.distinctInstance ? abi.FLAG_DISTINCT_INSTANCE : 0
    if (task.memberOf !== undefined) {
      const k = attribute(task.memberOf.attribute)
      tasks.constraintAttribute[i] = k
      tasks.constraintOffset[i] = pool
      tasks.constraintLength[i] = task.memberOf.values.length
      // A value no node has gets an id no node carries (-1): it matches nothing.
      for (const value of task.memberOf.values) batch.values[pool++] = values[k].peek(String(value))
    }
    tasks.wait[i] = task.waitRounds ?? 0
    if (task.waitRounds) waits = true
  })
  batch.useWait = waits
  if (input.order !== undefined) {
    tasks.order.set(input.order)
    batch.useOrder = true
  }
}

function readPlan(batch: PlacementBatch): Placement[] {
  const { node, reason } = batch.plan
  const out: Placement[] = []
  for (let i = 0; i < batch.shape.tasks; i++) {
    const code = reason[i]
    const reserved = (code & abi.REASON_RESERVED_BIT) !== 0
    out.push({
      node: code === abi.REASON_PLACED ? node[i] : null,
      reason: REASONS[code & ~abi.REASON_RESERVED_BIT],
      reservedNode: reserved ? node[i] : null
    })
  }
  return out
}
