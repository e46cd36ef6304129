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
  /** Static host ports already taken on the node: 'tcp:80', 'udp:53'. */
  usedPorts?: readonly string[]
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
  /** One strategy (the one-element case of `strategies`). */
  strategy?: Strategy
  /**
   * Up to 5 strategies (ECS's limit), applied in order: the first ranks the
   * feasible nodes, each later one breaks the ties left by those before it.
   */
  strategies?: readonly Strategy[]
  distinctInstance?: boolean
  memberOf?: MemberOf
  /** Up to 10 constraints (ECS's limit, counting distinctInstance and memberOf above): a node must pass every one. */
  constraints?: readonly Constraint[]
  /** Static host ports the task needs, 'tcp:80' or 'udp:53': a node where one is taken cannot take the task. */
  ports?: readonly string[]
  /** Scheduling rounds the task has already waited (see agingRounds). */
  waitRounds?: number
}

/** A memberOf set: the node's attribute must be one of the values. */
export interface MemberOf {
  attribute: AttributeName
  values: readonly string[]
}

export type Constraint = { distinctInstance: true } | { memberOf: MemberOf }

/** ECS's limits on a task's placement. */
export const MAX_STRATEGIES = abi.CHAIN_MAX
export const MAX_CONSTRAINTS = abi.CONSTRAINT_MAX

export type PlacementReason =
  | 'PLACED'
  | 'INSUFFICIENT_CPU'
  | 'INSUFFICIENT_MEMORY'
  | 'INSUFFICIENT_GPU'
  | 'CONSTRAINT_UNSATISFIED'
  | 'NO_ACTIVE_NODE'
  | 'PORTS_IN_USE'

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
  [abi.REASON_NO_ACTIVE_NODE]: 'NO_ACTIVE_NODE',
  [abi.REASON_PORTS]: 'PORTS_IN_USE'
}

/** 'tcp:80' / 'udp:53' -> the core's port key (PORT_UDP_BIT | number). */
export function portKey(port: unknown, field: string): number {
  const m = typeof port === 'string' ? /^(tcp|udp):([0-9]{1,5})$/.exec(port) : null
  const number = m === null ? NaN : Number(m[2])
  if (m === null || number < 1 || number > 65535) {
    invalid(field, `must be 'tcp:<port>' or 'udp:<port>' with a port from 1 to 65535, got ${JSON.stringify(port)}`, 65535)
  }
  return (m[1] === 'udp' ? abi.PORT_UDP_BIT : 0) | number
}

function portKeys(ports: unknown, field: string): number[] {
  if (ports === undefined) return []
  if (!Array.isArray(ports)) invalid(field, 'must be an array of ports')
  const keys: number[] = []
  ports.forEach((port, j) => {
    const key = portKey(port, `${field}[${j}]`)
    if (keys.includes(key)) invalid(`${field}[${j}]`, `repeats ${String(port)}`)
    keys.push(key)
  })
  return keys
}

/** A task's strategies (at least one: bestfit when none is given), validated with their paths. */
function strategiesOf(task: TaskInput, at: string): Array<[Strategy | undefined, string]> {
  if (task.strategies === undefined) return [[task.strategy, `${at}.strategy`]]
  if (task.strategy !== undefined) invalid(`${at}.strategies`, 'cannot be given with strategy (strategy is the one-element case)')
  if (!Array.isArray(task.strategies)) invalid(`${at}.strategies`, 'must be an array of strategies')
  if (task.strategies.length > MAX_STRATEGIES) {
    throw new LimitExceededError('SchedulerTooManyStrategies',
      `${at}.strategies[${MAX_STRATEGIES}]: at most ${MAX_STRATEGIES} strategies per task`, { field: `${at}.strategies[${MAX_STRATEGIES}]`, limit: MAX_STRATEGIES })
  }
  if (task.strategies.length === 0) return [[undefined, `${at}.strategies`]]
  return task.strategies.map((strategy, k) => [strategy, `${at}.strategies[${k}]`])
}

/** A task's memberOf sets and whether it is distinct, from memberOf, distinctInstance and constraints. */
function constraintsOf(task: TaskInput, at: string): { distinct: boolean; sets: Array<[MemberOf, string]> } {
  const sets: Array<[MemberOf, string]> = []
  let distinct = task.distinctInstance === true
  let count = (distinct ? 1 : 0) + (task.memberOf !== undefined ? 1 : 0)
  if (task.memberOf !== undefined) sets.push([task.memberOf, `${at}.memberOf`])
  if (task.constraints !== undefined) {
    if (!Array.isArray(task.constraints)) invalid(`${at}.constraints`, 'must be an array of constraints')
    task.constraints.forEach((c, k) => {
      const field = `${at}.constraints[${k}]`
      if (++count > MAX_CONSTRAINTS) {
        throw new LimitExceededError('SchedulerTooManyConstraints',
          `${field}: at most ${MAX_CONSTRAINTS} constraints per task`, { field, limit: MAX_CONSTRAINTS })
      }
      if (c !== null && typeof c === 'object' && 'distinctInstance' in c && c.distinctInstance === true) distinct = true
      else if (c !== null && typeof c === 'object' && 'memberOf' in c && c.memberOf !== null && typeof c.memberOf === 'object') sets.push([c.memberOf, `${field}.memberOf`])
      else invalid(field, 'must be { distinctInstance: true } or { memberOf: { attribute, values } }')
    })
  }
  return { distinct, sets }
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
    let usedPorts = 0
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
      usedPorts += portKeys(node.usedPorts, `${at}.usedPorts`).length
    })
    let poolSize = 0
    let chains = 0
    let lists = 0
    let ports = 0
    tasks.forEach((task, i) => {
      const at = `tasks[${i}]`
      if (task === null || typeof task !== 'object') invalid(at, 'must be an object')
      quantity(task.cpu, `${at}.cpu`, 'millicores')
      quantity(task.memory, `${at}.memory`, 'MiB')
      quantity(task.gpus ?? 0, `${at}.gpus`, 'GPUs')
      quantity(task.waitRounds ?? 0, `${at}.waitRounds`, 'rounds')
      if (task.group !== undefined) groups.id(String(task.group))
      const chain = strategiesOf(task, at)
      for (const [strategy, field] of chain) strategyCode(strategy, field, (name) => attributeIndex(name, `${field}.field`, true))
      chains += chain.length - 1
      const { distinct, sets } = constraintsOf(task, at)
      if (distinct && task.group === undefined) invalid(`${at}.group`, 'is required with distinctInstance')
      for (const [set, field] of sets) {
        if (!Array.isArray(set.values)) invalid(`${field}.values`, 'must be an array of strings')
        attributeIndex(set.attribute, `${field}.attribute`, true)
        poolSize += set.values.length
      }
      lists += Math.max(sets.length - 1, 0)
      ports += portKeys(task.ports, `${at}.ports`).length
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
    // Extensions only when a task uses them: plain batches keep their cost.
    const extended = chains + lists + ports > 0
    const batch = this.core.allocate({
      nodes: nodes.length, tasks: tasks.length, pairs, values: poolSize,
      ...(extended ? { chains, lists, ports, usedPorts, extensions: true } : {})
    })
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
  let used = 0
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
    if (batch.shape.extensions) {
      for (const key of portKeys(node.usedPorts, '')) {
        batch.usedPorts[used * 2] = i
        batch.usedPorts[used * 2 + 1] = key
        used++
      }
    }
  })
  const tasks = batch.tasks
  let pool = 0
  let chain = 0
  let list = 0
  let port = 0
  let waits = false
  const extended = batch.shape.extensions
  input.tasks.forEach((task, i) => {
    tasks.cpu[i] = task.cpu
    tasks.memory[i] = task.memory
    tasks.gpu[i] = task.gpus ?? 0
    tasks.group[i] = task.group === undefined ? 0 : groups.id(String(task.group))
    const steps = strategiesOf(task, '')
    const [strategy, spread] = strategyCode(steps[0][0], '', attribute)
    tasks.strategy[i] = strategy
    tasks.spreadAttribute[i] = spread
    const { distinct, sets } = constraintsOf(task, '')
    tasks.flags[i] = distinct ? abi.FLAG_DISTINCT_INSTANCE : 0
    // A value no node has gets an id no node carries (-1): it matches nothing.
    const putSet = (set: MemberOf): [number, number, number] => {
      const k = attribute(set.attribute)
      const offset = pool
      for (const value of set.values) batch.values[pool++] = values[k].peek(String(value))
      return [k, offset, set.values.length]
    }
    if (sets.length > 0) {
      const [k, offset, length] = putSet(sets[0][0])
      tasks.constraintAttribute[i] = k
      tasks.constraintOffset[i] = offset
      tasks.constraintLength[i] = length
    }
    if (extended) {
      const ext = tasks.ext
      const at = i * abi.EXT_SLOTS
      ext[at + abi.EXT_CHAIN_OFFSET] = chain
      ext[at + abi.EXT_CHAIN_LENGTH] = steps.length - 1
      for (const [step] of steps.slice(1)) {
        const [code, attr] = strategyCode(step, '', attribute)
        batch.chains[chain * 2] = code
        batch.chains[chain * 2 + 1] = attr
        chain++
      }
      ext[at + abi.EXT_LIST_OFFSET] = list
      ext[at + abi.EXT_LIST_LENGTH] = Math.max(sets.length - 1, 0)
      for (const [set] of sets.slice(1)) {
        batch.lists.set(putSet(set), list * 3)
        list++
      }
      const keys = portKeys(task.ports, '')
      ext[at + abi.EXT_PORT_OFFSET] = port
      ext[at + abi.EXT_PORT_LENGTH] = keys.length
      batch.ports.set(keys, port)
      port += keys.length
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
