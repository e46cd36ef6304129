// Fills one placement batch straight from container instances (trusted pool
// records) and runs the core: the ECS path's equivalent of Batch's Placer.
// Going through Scheduler.place's object inputs would validate and intern every
// instance field by field on every call; here only what the request carries
// (demands, ports) is checked, and the core's own validation still runs.
//
// Attribute columns: zone, instance type, then one custom column per attribute
// a spread names, then the memberOf verdict (1: passes every expression).

import * as abi from '../../scheduler/abi.js'
import type { PlacementCore, PlanMetrics } from '../../scheduler/core.js'
import { portKey, REASONS, type PlacementReason, type Strategy } from '../../scheduler/scheduler.js'
import type { NodeRecord } from '../../cluster/node-pool.js'
import { LimitExceededError } from '../../errors.js'

/** An instance as the caller has it (place.ts's PlacementNode): read as is, no per-call copy. */
export interface BatchNode {
  record: NodeRecord
  groups?: Readonly<Record<string, number>>
  /** false: its agent is disconnected (the core sees it inactive). */
  agentConnected?: boolean
}

export interface BatchTask {
  cpu: number
  memory: number
  gpu: number
  group: string | undefined
  ports: readonly string[]
}

export interface BatchRequest {
  nodes: readonly BatchNode[]
  /** Per node, the values of the custom spread attributes in spreadAttributes order (absent: none are spread over). */
  custom?: ReadonlyArray<readonly string[]>
  /** Per node, whether it passes every memberOf expression (absent: there are none). */
  passes?: readonly boolean[]
  tasks: readonly BatchTask[]
  strategies: readonly Strategy[]
  /** Custom attribute names the strategies spread over (their columns follow instance type). */
  spreadAttributes: readonly string[]
  distinct: boolean
  memberOf: boolean
  seed: number
}

export interface BatchOutcome {
  node: Int32Array
  reason: PlacementReason[]
  metrics: PlanMetrics
}

/** Interns strings to ids from 1 (0 = absent). */
class Ids {
  readonly #ids = new Map<string, number>()
  id(value: string): number {
    let id = this.#ids.get(value)
    if (id === undefined) this.#ids.set(value, (id = this.#ids.size + 1))
    return id
  }
}

const parsedPorts = new Map<string, number>()

/** A pool record's port ('tcp:80') as a key; the records hold only ports placement accepted. */
function recordPort(port: string): number {
  let key = parsedPorts.get(port)
  if (key === undefined) {
    key = portKey(port, 'usedPorts')
    if (parsedPorts.size < 200_000) parsedPorts.set(port, key)
  }
  return key
}

function code(s: Strategy, spreadAttributes: readonly string[]): [number, number] {
  switch (s.type) {
    case 'binpack': return [s.field === 'cpu' ? abi.STRATEGY_BINPACK_CPU : abi.STRATEGY_BINPACK_MEMORY, abi.SPREAD_NODE]
    case 'bestfit': return [abi.STRATEGY_BESTFIT, abi.SPREAD_NODE]
    case 'random': return [abi.STRATEGY_RANDOM, abi.SPREAD_NODE]
    default: {
      if (s.field === 'node') return [abi.STRATEGY_SPREAD, abi.SPREAD_NODE]
      if (s.field === 'zone') return [abi.STRATEGY_SPREAD, abi.ATTR_ZONE]
      if (s.field === 'instanceType') return [abi.STRATEGY_SPREAD, abi.ATTR_INSTANCE_TYPE]
      return [abi.STRATEGY_SPREAD, abi.ATTR_CUSTOM_FIRST + spreadAttributes.indexOf(s.field)]
    }
  }
}

export function runBatch(core: PlacementCore, req: BatchRequest): BatchOutcome {
  const n = req.nodes.length
  const t = req.tasks.length
  const memberOfAttr = abi.ATTR_CUSTOM_FIRST + req.spreadAttributes.length
  if (memberOfAttr >= abi.ATTR_COUNT) {
    throw new LimitExceededError('SchedulerTooManyAttributes', `placementStrategy: at most ${abi.ATTR_COUNT - abi.ATTR_CUSTOM_FIRST - 1} custom attributes to spread over`, { field: 'placementStrategy', limit: abi.ATTR_COUNT - abi.ATTR_CUSTOM_FIRST - 1 })
  }
  const groups = new Ids()
  let pairs = 0
  let used = 0
  for (const node of req.nodes) {
    if (node.groups !== undefined) for (const g in node.groups) pairs++
    used += node.record.usedPorts?.length ?? 0
  }
  const taskPorts = req.tasks.map((task, i) => task.ports.map((p, j) => portKey(p, `tasks[${i}].demand.ports[${j}]`)))
  const portCount = taskPorts.reduce((sum, keys) => sum + keys.length, 0)
  const batch = core.allocate({
    nodes: n, tasks: t, pairs, values: req.memberOf ? 1 : 0,
    chains: t * (req.strategies.length - 1), ports: portCount, usedPorts: used, extensions: true
  })
  try {
    const cols = batch.nodes
    const zones = new Ids()
    const types = new Ids()
    const custom = req.spreadAttributes.map(() => new Ids())
    let pair = 0
    let port = 0
    for (let i = 0; i < n; i++) {
      const { record: r, groups: running } = req.nodes[i]
      const active = req.nodes[i].agentConnected !== false
      cols.totalCpu[i] = r.totalCpu
      cols.totalMemory[i] = r.totalMemory
      cols.totalGpu[i] = r.totalGpu
      cols.freeCpu[i] = r.totalCpu - r.usedCpu
      cols.freeMemory[i] = r.totalMemory - r.usedMemory
      cols.freeGpu[i] = r.totalGpu - r.usedGpu
      cols.tasks[i] = r.running
      cols.status[i] = !active ? abi.NODE_INACTIVE : r.status === 'ACTIVE' ? abi.NODE_ACTIVE : abi.NODE_DRAINING
      cols.attributes[abi.ATTR_ZONE * n + i] = zones.id(r.zone)
      cols.attributes[abi.ATTR_INSTANCE_TYPE * n + i] = types.id(r.instanceType)
      for (let k = 0; k < custom.length; k++) cols.attributes[(abi.ATTR_CUSTOM_FIRST + k) * n + i] = custom[k].id(req.custom![i][k])
      if (req.memberOf) cols.attributes[memberOfAttr * n + i] = req.passes === undefined || req.passes[i] ? 1 : 2
      if (running !== undefined) {
        for (const g in running) {
          batch.pairs[pair * 3] = groups.id(g)
          batch.pairs[pair * 3 + 1] = i
          batch.pairs[pair * 3 + 2] = running[g]
          pair++
        }
      }
      for (const p of r.usedPorts ?? []) {
        batch.usedPorts[port * 2] = i
        batch.usedPorts[port * 2 + 1] = recordPort(p)
        port++
      }
    }
    if (req.memberOf) batch.values[0] = 1
    const tasks = batch.tasks
    const [first, firstAttr] = code(req.strategies[0], req.spreadAttributes)
    const rest = req.strategies.slice(1).map((s) => code(s, req.spreadAttributes))
    let chain = 0
    let taskPort = 0
    for (let i = 0; i < t; i++) {
      const task = req.tasks[i]
      tasks.cpu[i] = task.cpu
      tasks.memory[i] = task.memory
      tasks.gpu[i] = task.gpu
      tasks.group[i] = task.group === undefined ? 0 : groups.id(task.group)
      tasks.strategy[i] = first
      tasks.spreadAttribute[i] = firstAttr
      tasks.flags[i] = req.distinct ? abi.FLAG_DISTINCT_INSTANCE : 0
      if (req.memberOf) {
        tasks.constraintAttribute[i] = memberOfAttr
        tasks.constraintOffset[i] = 0
        tasks.constraintLength[i] = 1
      }
      const at = i * abi.EXT_SLOTS
      tasks.ext[at + abi.EXT_CHAIN_OFFSET] = chain
      tasks.ext[at + abi.EXT_CHAIN_LENGTH] = rest.length
      for (const [s, a] of rest) {
        batch.chains[chain * 2] = s
        batch.chains[chain * 2 + 1] = a
        chain++
      }
      tasks.ext[at + abi.EXT_PORT_OFFSET] = taskPort
      tasks.ext[at + abi.EXT_PORT_LENGTH] = taskPorts[i].length
      batch.ports.set(taskPorts[i], taskPort)
      taskPort += taskPorts[i].length
    }
    batch.seed = req.seed
    const metrics = core.place(batch)
    const out = batch.plan
    const node = Int32Array.from(out.node.subarray(0, t), (v, i) => (out.reason[i] === abi.REASON_PLACED ? v : -1))
    const reason = Array.from(out.reason.subarray(0, t), (c) => REASONS[c & ~abi.REASON_RESERVED_BIT])
    return { node, reason, metrics }
  } finally {
    core.release(batch)
  }
}
