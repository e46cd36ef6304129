// A placement batch: the snapshot (node columns), the tasks, and the plan, all
// as typed-array columns laid out in one arena. The WebAssembly core places the
// arena in its linear memory, so filling a batch *is* handing it over (no copy);
// the TypeScript twin lays the same arena out in an ArrayBuffer.
//
// Columns are views. Linear memory can grow during place() (scratch), which
// detaches old views: always read columns through the batch's getters, never
// keep a column across a place() call.

import * as abi from './abi.js'
import { InvalidArgumentError } from '../errors.js'

export interface BatchShape {
  /** Nodes in the snapshot. */
  nodes: number
  /** Tasks to place. */
  tasks: number
  /** (group, node, count) triples already running, for distinctInstance and spread. */
  pairs?: number
  /** Size of the value pool that memberOf sets index into. */
  values?: number
  /** Entries of the chain pool: (strategy, spread attribute) tie-breakers after a task's first strategy. */
  chains?: number
  /** Entries of the constraint-list pool: (attribute, value offset, value length) memberOf sets beyond a task's first. */
  lists?: number
  /** Entries of the port pool: port keys tasks need (PORT_UDP_BIT | number). */
  ports?: number
  /** (node, port key) pairs already taken on the nodes. */
  usedPorts?: number
  /**
   * Whether tasks carry extension records (tasks.ext: chain, list and port
   * slices). Implied by any of chains, lists, ports; a batch without them
   * (Batch's) has no per-task cost for the extensions.
   */
  extensions?: boolean
}

type IntArray = Int32Array | Uint8Array | Int8Array | Float64Array
type ArrayKind = 'i32' | 'u8' | 'i8' | 'f64'
type Section = 'nodes' | 'tasks' | 'plan' | 'pool'

interface ColumnSpec {
  section: Section
  name: string
  kind: ArrayKind
  /** Header slot holding the column's pointer (or -1 for columns the header does not name). */
  slot: number
  length(shape: Required<BatchShape>): number
}

const perNode = (s: Required<BatchShape>) => s.nodes
const perTask = (s: Required<BatchShape>) => s.tasks

/** Every column of a batch, in arena order: the one table both cores and the header writer use. */
const COLUMNS: readonly ColumnSpec[] = [
  { section: 'nodes', name: 'freeCpu', kind: 'i32', slot: abi.H_NODE_FREE_CPU, length: perNode },
  { section: 'nodes', name: 'freeMemory', kind: 'i32', slot: abi.H_NODE_FREE_MEM, length: perNode },
  { section: 'nodes', name: 'freeGpu', kind: 'i32', slot: abi.H_NODE_FREE_GPU, length: perNode },
  { section: 'nodes', name: 'totalCpu', kind: 'i32', slot: abi.H_NODE_TOTAL_CPU, length: perNode },
  { section: 'nodes', name: 'totalMemory', kind: 'i32', slot: abi.H_NODE_TOTAL_MEM, length: perNode },
  { section: 'nodes', name: 'totalGpu', kind: 'i32', slot: abi.H_NODE_TOTAL_GPU, length: perNode },
  { section: 'nodes', name: 'tasks', kind: 'i32', slot: abi.H_NODE_TASKS, length: perNode },
  { section: 'nodes', name: 'attributes', kind: 'i32', slot: abi.H_NODE_ATTRS, length: (s) => s.nodes * abi.ATTR_COUNT },
  { section: 'nodes', name: 'status', kind: 'u8', slot: abi.H_NODE_STATUS, length: perNode },
  { section: 'pool', name: 'pairs', kind: 'i32', slot: abi.H_PAIRS, length: (s) => s.pairs * 3 },
  { section: 'pool', name: 'values', kind: 'i32', slot: abi.H_VALUES, length: (s) => s.values },
  { section: 'pool', name: 'chains', kind: 'i32', slot: abi.H_CHAINS, length: (s) => s.chains * 2 },
  { section: 'pool', name: 'lists', kind: 'i32', slot: abi.H_LISTS, length: (s) => s.lists * 3 },
  { section: 'pool', name: 'ports', kind: 'i32', slot: abi.H_PORTS, length: (s) => s.ports },
  { section: 'pool', name: 'usedPorts', kind: 'i32', slot: abi.H_USED_PORTS, length: (s) => s.usedPorts * 2 },
  { section: 'tasks', name: 'cpu', kind: 'i32', slot: abi.H_TASK_CPU, length: perTask },
  { section: 'tasks', name: 'memory', kind: 'i32', slot: abi.H_TASK_MEM, length: perTask },
  { section: 'tasks', name: 'gpu', kind: 'i32', slot: abi.H_TASK_GPU, length: perTask },
  { section: 'tasks', name: 'group', kind: 'i32', slot: abi.H_TASK_GROUP, length: perTask },
  { section: 'tasks', name: 'constraintOffset', kind: 'i32', slot: abi.H_TASK_CONSTRAINT_OFFSET, length: perTask },
  { section: 'tasks', name: 'constraintLength', kind: 'i32', slot: abi.H_TASK_CONSTRAINT_LENGTH, length: perTask },
  { section: 'tasks', name: 'wait', kind: 'i32', slot: abi.H_TASK_WAIT, length: perTask },
  { section: 'tasks', name: 'order', kind: 'i32', slot: abi.H_TASK_ORDER, length: perTask },
  { section: 'tasks', name: 'ext', kind: 'i32', slot: abi.H_TASK_EXT, length: (s) => (s.extensions ? s.tasks * abi.EXT_SLOTS : 0) },
  { section: 'tasks', name: 'strategy', kind: 'u8', slot: abi.H_TASK_STRATEGY, length: perTask },
  { section: 'tasks', name: 'spreadAttribute', kind: 'i8', slot: abi.H_TASK_SPREAD_ATTR, length: perTask },
  { section: 'tasks', name: 'flags', kind: 'u8', slot: abi.H_TASK_FLAGS, length: perTask },
  { section: 'tasks', name: 'constraintAttribute', kind: 'i8', slot: abi.H_TASK_CONSTRAINT_ATTR, length: perTask },
  { section: 'plan', name: 'node', kind: 'i32', slot: abi.H_OUT_NODE, length: perTask },
  { section: 'plan', name: 'reason', kind: 'u8', slot: abi.H_OUT_REASON, length: perTask },
  { section: 'plan', name: 'metrics', kind: 'f64', slot: abi.H_METRICS, length: () => abi.METRIC_COUNT },
  { section: 'plan', name: 'header', kind: 'i32', slot: -1, length: () => abi.HEADER_SLOTS }
]

const WIDTH: Record<ArrayKind, number> = { i32: 4, u8: 1, i8: 1, f64: 8 }

export interface NodeColumns {
  /** Millicores free now (<= totalCpu). */
  freeCpu: Int32Array
  /** MiB free now (<= totalMemory). */
  freeMemory: Int32Array
  freeGpu: Int32Array
  totalCpu: Int32Array
  totalMemory: Int32Array
  totalGpu: Int32Array
  /** Tasks already running on the node (all groups): spread counts them for group 0. */
  tasks: Int32Array
  /** ATTR_COUNT columns of value ids, column k at [k * nodes, (k + 1) * nodes). 0 = unset. */
  attributes: Int32Array
  /** NODE_ACTIVE / NODE_DRAINING / NODE_INACTIVE. */
  status: Uint8Array
}

export interface TaskColumns {
  cpu: Int32Array
  memory: Int32Array
  gpu: Int32Array
  /** 0 = no group; distinctInstance and spread count tasks per group. */
  group: Int32Array
  constraintOffset: Int32Array
  constraintLength: Int32Array
  /** Scheduling rounds the task has already waited (aging); see agingRounds. */
  wait: Int32Array
  /** Dispatch order (a permutation of task indices), used when useOrder is set. */
  order: Int32Array
  /**
   * Extension records, EXT_SLOTS per task (task i at i * EXT_SLOTS): chain
   * offset/length, list offset/length, port offset/length. Empty unless the
   * shape has extensions.
   */
  ext: Int32Array
  strategy: Uint8Array
  /** SPREAD_NODE (-1) or an attribute index. */
  spreadAttribute: Int8Array
  flags: Uint8Array
  /** CONSTRAINT_NONE (-1) or the attribute index a memberOf set applies to. */
  constraintAttribute: Int8Array
}

export interface PlanColumns {
  /** Node index per task; -1 when not placed (or, with REASON_RESERVED_BIT, the node held). */
  node: Int32Array
  reason: Uint8Array
  metrics: Float64Array
}

export interface BatchViews {
  nodes: NodeColumns
  tasks: TaskColumns
  plan: PlanColumns
  pairs: Int32Array
  values: Int32Array
  chains: Int32Array
  lists: Int32Array
  ports: Int32Array
  usedPorts: Int32Array
  header: Int32Array
}

export interface ArenaLayout {
  bytes: number
  offsets: ReadonlyMap<string, number>
}

function aligned(x: number): number {
  return (x + 7) & ~7
}

export function completeShape(shape: BatchShape): Required<BatchShape> {
  const chains = shape.chains ?? 0
  const lists = shape.lists ?? 0
  const ports = shape.ports ?? 0
  return {
    nodes: shape.nodes, tasks: shape.tasks, pairs: shape.pairs ?? 0, values: shape.values ?? 0,
    chains, lists, ports, usedPorts: shape.usedPorts ?? 0,
    extensions: (shape.extensions ?? false) || chains > 0 || lists > 0 || ports > 0
  }
}

export function layoutArena(shape: Required<BatchShape>): ArenaLayout {
  const offsets = new Map<string, number>()
  let at = 0
  for (const c of COLUMNS) {
    offsets.set(`${c.section}.${c.name}`, at)
    at = aligned(at + c.length(shape) * WIDTH[c.kind])
  }
  return { bytes: at, offsets }
}

function view(buffer: ArrayBuffer, offset: number, kind: ArrayKind, length: number): IntArray {
  switch (kind) {
    case 'i32': return new Int32Array(buffer, offset, length)
    case 'u8': return new Uint8Array(buffer, offset, length)
    case 'i8': return new Int8Array(buffer, offset, length)
    case 'f64': return new Float64Array(buffer, offset, length)
  }
}

function makeViews(buffer: ArrayBuffer, base: number, shape: Required<BatchShape>, layout: ArenaLayout): BatchViews {
  const sections: Record<Section, Record<string, IntArray>> = { nodes: {}, tasks: {}, plan: {}, pool: {} }
  for (const c of COLUMNS) {
    sections[c.section][c.name] = view(buffer, base + layout.offsets.get(`${c.section}.${c.name}`)!, c.kind, c.length(shape))
  }
  const plan = sections.plan as unknown as PlanColumns & { header: Int32Array }
  return {
    nodes: sections.nodes as unknown as NodeColumns,
    tasks: sections.tasks as unknown as TaskColumns,
    plan: { node: plan.node, reason: plan.reason, metrics: plan.metrics },
    pairs: sections.pool.pairs as Int32Array,
    values: sections.pool.values as Int32Array,
    chains: sections.pool.chains as Int32Array,
    lists: sections.pool.lists as Int32Array,
    ports: sections.pool.ports as Int32Array,
    usedPorts: sections.pool.usedPorts as Int32Array,
    header: plan.header
  }
}

/**
 * Columns of one batch over some memory. `memory()` returns the current buffer
 * (for WebAssembly it changes when linear memory grows; views are rebuilt then).
 */
export class PlacementBatch {
  readonly shape: Required<BatchShape>
  readonly base: number
  readonly layout: ArenaLayout
  /** Seed of the random strategy: the same seed replays the same plan. */
  seed = 1
  /** Rounds after which a task that does not fit reserves a node; 0 = never (see core-as/README.md). */
  agingRounds = 0
  /** Whether tasks.order gives the dispatch order (else tasks go in index order). */
  useOrder = false
  /** Whether tasks.wait is meaningful (else treated as 0). */
  useWait = false
  /**
   * Tasks to place: the first `taskCount` of the task columns (default: all
   * of them). A batch sized for the most tasks a caller expects can be reused
   * for fewer, round after round, without reallocating.
   */
  #taskCount: number
  #memory: () => ArrayBuffer
  #buffer: ArrayBuffer | undefined
  #views: BatchViews | undefined

  constructor(shape: BatchShape, memory: () => ArrayBuffer, base: number, layout?: ArenaLayout) {
    this.shape = completeShape(shape)
    this.layout = layout ?? layoutArena(this.shape)
    this.base = base
    this.#memory = memory
    this.#taskCount = this.shape.tasks
    this.reset()
  }

  get taskCount(): number {
    return this.#taskCount
  }

  set taskCount(count: number) {
    if (!Number.isInteger(count) || count < 0 || count > this.shape.tasks) {
      throw new InvalidArgumentError('SchedulerInvalidShape', `taskCount must be an integer from 0 to the batch's ${this.shape.tasks} tasks, got ${count}`, { field: 'taskCount', limit: this.shape.tasks })
    }
    this.#taskCount = count
  }

  get views(): BatchViews {
    const buffer = this.#memory()
    if (buffer !== this.#buffer || this.#views === undefined) {
      this.#buffer = buffer
      this.#views = makeViews(buffer, this.base, this.shape, this.layout)
    }
    return this.#views
  }

  get nodes(): NodeColumns { return this.views.nodes }
  get tasks(): TaskColumns { return this.views.tasks }
  get plan(): PlanColumns { return this.views.plan }
  get pairs(): Int32Array { return this.views.pairs }
  get values(): Int32Array { return this.views.values }
  get chains(): Int32Array { return this.views.chains }
  get lists(): Int32Array { return this.views.lists }
  get ports(): Int32Array { return this.views.ports }
  get usedPorts(): Int32Array { return this.views.usedPorts }

  /** Sets the defaults that zeroed memory does not give: no spread attribute, no constraint. */
  reset(): void {
    const v = this.views
    v.tasks.spreadAttribute.fill(abi.SPREAD_NODE)
    v.tasks.constraintAttribute.fill(abi.CONSTRAINT_NONE)
  }

  /** Byte address of a column inside the arena's memory. */
  address(section: Section, name: string): number {
    return this.base + this.layout.offsets.get(`${section}.${name}`)!
  }

  /** Fills the header slots naming every column (scratch is filled by the core that places). */
  writeHeader(): Int32Array {
    const h = this.views.header
    h.fill(0)
    h[abi.H_NODE_COUNT] = this.shape.nodes
    h[abi.H_TASK_COUNT] = this.#taskCount
    h[abi.H_PAIR_COUNT] = this.shape.pairs
    h[abi.H_VALUE_COUNT] = this.shape.values
    h[abi.H_CHAIN_COUNT] = this.shape.chains
    h[abi.H_LIST_COUNT] = this.shape.lists
    h[abi.H_PORT_COUNT] = this.shape.ports
    h[abi.H_USED_PORT_COUNT] = this.shape.usedPorts
    for (const c of COLUMNS) if (c.slot >= 0) h[c.slot] = this.address(c.section, c.name)
    if (!this.shape.extensions) h[abi.H_TASK_EXT] = 0
    if (!this.useOrder) h[abi.H_TASK_ORDER] = 0
    if (!this.useWait) h[abi.H_TASK_WAIT] = 0
    h[abi.H_SEED] = this.seed | 0
    h[abi.H_AGING] = this.agingRounds
    return h
  }
}

