// Input validation for a placement batch, shared by both cores: the first bad
// value raises an InvalidArgumentError naming the column, the index and the
// limit; nothing is placed. (The WebAssembly core re-checks the same rules and
// returns a status instead of trapping: user data never traps the module.)

import * as abi from './abi.js'
import { InvalidArgumentError, LimitExceededError } from '../errors.js'
import type { BatchShape, PlacementBatch } from './placement-batch.js'

/** Largest batch the cores accept (linear memory is 32-bit). */
export const LIMITS = {
  nodes: 1_000_000,
  tasks: 10_000_000,
  pairs: 10_000_000,
  values: 10_000_000,
  chains: 10_000_000,
  lists: 10_000_000,
  ports: 10_000_000,
  usedPorts: 10_000_000
} as const

export function validateShape(shape: BatchShape): void {
  for (const key of ['nodes', 'tasks', 'pairs', 'values', 'chains', 'lists', 'ports', 'usedPorts'] as const) {
    const value = shape[key] ?? 0
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError('SchedulerInvalidShape', `batch ${key} must be a non-negative integer, got ${value}`, { field: key })
    }
    if (value > LIMITS[key]) {
      throw new LimitExceededError('SchedulerBatchTooLarge', `batch ${key} is ${value}; the limit is ${LIMITS[key]}`, { field: key, limit: LIMITS[key] })
    }
  }
}

function bad(field: string, index: number, rule: string, value: number, limit?: number): never {
  throw new InvalidArgumentError('SchedulerInvalidInput', `${field}[${index}] ${rule}, got ${value}`, {
    field: `${field}[${index}]`,
    ...(limit === undefined ? {} : { limit })
  })
}

export function validateBatch(batch: PlacementBatch): void {
  const { nodes: n, pairs: pairCount, values: valueCount } = batch.shape
  const t = batch.taskCount
  const nodes = batch.nodes
  // Columns bound once: a template-string property lookup per node and dimension cost more than the checks.
  const dims = [['Cpu', nodes.totalCpu, nodes.freeCpu], ['Memory', nodes.totalMemory, nodes.freeMemory], ['Gpu', nodes.totalGpu, nodes.freeGpu]] as const
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 3; d++) {
      const [dim, totals, frees] = dims[d]
      const total = totals[i]
      const free = frees[i]
      if (total < 0) bad(`nodes.total${dim}`, i, 'must be >= 0', total, 0)
      if (free < 0 || free > total) bad(`nodes.free${dim}`, i, `must be between 0 and the node's total (${total})`, free, total)
    }
    if (nodes.status[i] > abi.NODE_INACTIVE) bad('nodes.status', i, 'must be ACTIVE (0), DRAINING (1) or INACTIVE (2)', nodes.status[i], abi.NODE_INACTIVE)
    if (nodes.tasks[i] < 0) bad('nodes.tasks', i, 'must be >= 0', nodes.tasks[i], 0)
  }
  const pairs = batch.pairs
  for (let i = 0; i < pairCount; i++) {
    if (pairs[i * 3] === 0) bad('pairs.group', i, 'must not be 0 (0 means "no group")', 0)
    const node = pairs[i * 3 + 1]
    if (node < 0 || node >= n) bad('pairs.node', i, `must be a node index below ${n}`, node, n - 1)
    if (pairs[i * 3 + 2] < 0) bad('pairs.count', i, 'must be >= 0', pairs[i * 3 + 2], 0)
  }
  const tasks = batch.tasks
  for (let i = 0; i < t; i++) {
    if (tasks.cpu[i] < 0) bad('tasks.cpu', i, 'must be >= 0 millicores', tasks.cpu[i], 0)
    if (tasks.memory[i] < 0) bad('tasks.memory', i, 'must be >= 0 MiB', tasks.memory[i], 0)
    if (tasks.gpu[i] < 0) bad('tasks.gpu', i, 'must be >= 0', tasks.gpu[i], 0)
    if (tasks.strategy[i] >= abi.STRATEGY_COUNT) bad('tasks.strategy', i, `must be below ${abi.STRATEGY_COUNT}`, tasks.strategy[i], abi.STRATEGY_COUNT - 1)
    const spread = tasks.spreadAttribute[i]
    if (spread < abi.SPREAD_NODE || spread >= abi.ATTR_COUNT) bad('tasks.spreadAttribute', i, `must be -1 (node) or an attribute index below ${abi.ATTR_COUNT}`, spread, abi.ATTR_COUNT - 1)
    const flags = tasks.flags[i]
    if ((flags & ~abi.FLAG_DISTINCT_INSTANCE) !== 0) bad('tasks.flags', i, 'has unknown bits', flags)
    if ((flags & abi.FLAG_DISTINCT_INSTANCE) !== 0 && tasks.group[i] === 0) bad('tasks.group', i, 'must be set (non-zero) for distinctInstance', 0)
    const attr = tasks.constraintAttribute[i]
    if (attr < abi.CONSTRAINT_NONE || attr >= abi.ATTR_COUNT) bad('tasks.constraintAttribute', i, `must be -1 (none) or an attribute index below ${abi.ATTR_COUNT}`, attr, abi.ATTR_COUNT - 1)
    if (attr !== abi.CONSTRAINT_NONE) {
      const off = tasks.constraintOffset[i]
      const len = tasks.constraintLength[i]
      if (off < 0 || off > valueCount) bad('tasks.constraintOffset', i, `must be within the value pool (0..${valueCount})`, off, valueCount)
      if (len < 0 || off + len > valueCount) bad('tasks.constraintLength', i, `must keep the set within the value pool (${valueCount} values)`, len, valueCount - off)
    }
    if (batch.useWait && tasks.wait[i] < 0) bad('tasks.wait', i, 'must be >= 0 rounds', tasks.wait[i], 0)
  }
  if (!Number.isSafeInteger(batch.agingRounds) || batch.agingRounds < 0 || batch.agingRounds > 0x7fffffff) {
    throw new InvalidArgumentError('SchedulerInvalidInput', `agingRounds must be an integer between 0 and 2^31-1, got ${batch.agingRounds}`, { field: 'agingRounds', limit: 0x7fffffff })
  }
  validateExtensions(batch)
  if (batch.useOrder) {
    const seen = new Uint8Array(t)
    const order = tasks.order
    for (let i = 0; i < t; i++) {
      const j = order[i]
      if (j < 0 || j >= t) bad('tasks.order', i, `must be a task index below ${t}`, j, t - 1)
      if (seen[j]) bad('tasks.order', i, 'repeats a task index (the order must be a permutation)', j)
      seen[j] = 1
    }
  }
}

function validPort(key: number): boolean {
  return (key & ~(abi.PORT_UDP_BIT | 0xffff)) === 0 && (key & 0xffff) !== 0
}

/** The pools and extension records (chains, constraint lists, ports): the core's checkExtensions. */
function validateExtensions(batch: PlacementBatch): void {
  const { nodes: n, values: valueCount, chains: chainCount, lists: listCount, ports: portCount, usedPorts: usedCount } = batch.shape
  const chains = batch.chains
  for (let i = 0; i < chainCount; i++) {
    const s = chains[i * 2]
    const a = chains[i * 2 + 1]
    if (s < 0 || s >= abi.STRATEGY_COUNT) bad('chains.strategy', i, `must be below ${abi.STRATEGY_COUNT}`, s, abi.STRATEGY_COUNT - 1)
    if (a < abi.SPREAD_NODE || a >= abi.ATTR_COUNT) bad('chains.spreadAttribute', i, `must be -1 (node) or an attribute index below ${abi.ATTR_COUNT}`, a, abi.ATTR_COUNT - 1)
  }
  const lists = batch.lists
  for (let i = 0; i < listCount; i++) {
    const a = lists[i * 3], off = lists[i * 3 + 1], len = lists[i * 3 + 2]
    if (a < 0 || a >= abi.ATTR_COUNT) bad('lists.attribute', i, `must be an attribute index below ${abi.ATTR_COUNT}`, a, abi.ATTR_COUNT - 1)
    if (off < 0 || off > valueCount) bad('lists.offset', i, `must be within the value pool (0..${valueCount})`, off, valueCount)
    if (len < 0 || off + len > valueCount) bad('lists.length', i, `must keep the set within the value pool (${valueCount} values)`, len, valueCount - off)
  }
  const ports = batch.ports
  for (let i = 0; i < portCount; i++) if (!validPort(ports[i])) bad('ports', i, 'must be a port key (1..65535, | PORT_UDP_BIT for udp)', ports[i])
  const used = batch.usedPorts
  for (let i = 0; i < usedCount; i++) {
    if (used[i * 2] < 0 || used[i * 2] >= n) bad('usedPorts.node', i, `must be a node index below ${n}`, used[i * 2], n - 1)
    if (!validPort(used[i * 2 + 1])) bad('usedPorts.port', i, 'must be a port key (1..65535, | PORT_UDP_BIT for udp)', used[i * 2 + 1])
  }
  if (!batch.shape.extensions) return
  const ext = batch.tasks.ext
  for (let i = 0; i < batch.taskCount; i++) {
    const at = i * abi.EXT_SLOTS
    const slice = (name: string, offset: number, length: number, pool: number, most: number) => {
      if (offset < 0 || offset > pool) bad(`tasks.${name}Offset`, i, `must be within the ${name} pool (0..${pool})`, offset, pool)
      if (length < 0 || length > most) bad(`tasks.${name}Length`, i, `must be between 0 and ${most}`, length, most)
      if (offset + length > pool) bad(`tasks.${name}Length`, i, `must keep the slice within the ${name} pool (${pool} entries)`, length, pool - offset)
    }
    slice('chain', ext[at + abi.EXT_CHAIN_OFFSET], ext[at + abi.EXT_CHAIN_LENGTH], chainCount, abi.CHAIN_MAX - 1)
    slice('list', ext[at + abi.EXT_LIST_OFFSET], ext[at + abi.EXT_LIST_LENGTH], listCount, abi.CONSTRAINT_MAX - 1)
    slice('port', ext[at + abi.EXT_PORT_OFFSET], ext[at + abi.EXT_PORT_LENGTH], portCount, portCount)
  }
}
