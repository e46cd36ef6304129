// The TypeScript twin of core-as: the same algorithm, written as carefully, over
// typed arrays instead of linear memory. Tests check both cores produce
// identical plans over thousands of random snapshots; the benchmark reports the
// speed ratio. Function names follow core-as so the two read side by side; see
// core-as/README.md for the pipeline and the reasoning behind each stage.

import * as abi from './abi.js'
import { completeShape, layoutArena, PlacementBatch, type BatchShape } from './placement-batch.js'
import { readMetrics, type PlacementCore, type PlanMetrics } from './core.js'
import { validateBatch, validateShape } from './validate.js'
import { FailedShapes, reasonWithPorts } from './twin-memo.js'
import { selectChained } from './twin-chain.js'

import { InvalidArgumentError } from '../errors.js'

const NONE = 0x7fffffff
const RANDOM_PROBES = 4
const SPREAD_UNBUILT = -2

const BLOCK_NONE = 0, BLOCK_INACTIVE = 1, BLOCK_RESERVED = 2, BLOCK_DEAD = 3

/** Size classes (core-as/classes.ts): thresholds chosen from the batch's requests. */
const CLASSES = 8
const MAX_DISTINCT = 64
const TABLE_SLOTS = 256

function distinctValues(column: Int32Array): number[] | undefined {
  const keys = new Int32Array(TABLE_SLOTS)
  const used = new Uint8Array(TABLE_SLOTS)
  const out: number[] = []
  for (let i = 0; i < column.length; i++) {
    const v = column[i]
    let slot = Math.imul(v, 0x9e3779b1 | 0) >>> 24
    for (;;) {
      if (used[slot] === 0) {
        if (out.length === MAX_DISTINCT) return undefined
        used[slot] = 1
        keys[slot] = v
        out.push(v)
        break
      }
      if (keys[slot] === v) break
      slot = (slot + 1) & (TABLE_SLOTS - 1)
    }
  }
  return out
}

function chooseThresholds(column: Int32Array, ladderBase: number): Int32Array {
  const out = new Int32Array(CLASSES)
  const values = distinctValues(column)
  if (values === undefined) {
    for (let j = 1; j < CLASSES; j++) out[j] = ladderBase << (j - 1)
    return out
  }
  values.sort((a, b) => a - b)
  const d = values.length
  for (let j = 0; j < CLASSES; j++) {
    if (d <= CLASSES) out[j] = j < d ? values[j] : NONE
    else out[j] = values[Math.floor((j * d) / CLASSES)]
  }
  return out
}

function classOf(thresholds: Int32Array, request: number): number {
  let j = CLASSES - 1
  while (j > 0 && thresholds[j] > request) j--
  return j
}

/**
 * A 224-byte record (core-as/tree.ts) as 56 i32 slots: maxCpu, maxMem, maxGpu,
 * minAux, minFreeCpu[8], minFreeMem[8]; then as f64 slots: 10 maxInverseCpu,
 * 11 maxInverseMem, 12..19 minPotential by cpu class, 20..27 by memory class.
 */
const RI = 56, RF = 28
const MAX_CPU = 0, MAX_MEM = 1, MAX_GPU = 2, MIN_AUX = 3, MIN_CPU = 4, MIN_MEM = 12
const INV_CPU = 10, INV_MEM = 11, POT_CPU = 12, POT_MEM = 20

function inverse(whole: number): number {
  return whole > 0 ? 1 / whole : 0
}

class Tree {
  readonly size: number
  readonly leaves: number
  readonly perm: Int32Array
  readonly ri: Int32Array
  readonly rf: Float64Array

  constructor(leaves: number) {
    let size = 1
    while (size < leaves) size <<= 1
    this.size = size
    this.leaves = leaves
    this.perm = new Int32Array(size)
    const buffer = new ArrayBuffer(RI * 4 * 2 * size)
    this.ri = new Int32Array(buffer)
    this.rf = new Float64Array(buffer)
  }
}

function fraction(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0
}

class Placement {
  // snapshot (read-only)
  readonly n: number
  readonly totalCpu: Int32Array
  readonly totalMem: Int32Array
  readonly totalGpu: Int32Array
  readonly status: Uint8Array
  readonly attrs: Int32Array
  readonly values: Int32Array
  readonly lists: Int32Array
  readonly ports: Int32Array
  readonly chains: Int32Array
  // working copies
  readonly freeCpu: Int32Array
  readonly freeMem: Int32Array
  readonly freeGpu: Int32Array
  readonly tasksOn: Int32Array
  readonly aux: Int32Array
  readonly blocked: Uint8Array
  readonly potential: Float64Array
  readonly inverseCpu: Float64Array
  readonly inverseMem: Float64Array
  readonly metrics: Float64Array
  // index
  readonly main: Tree
  readonly spread: Tree
  // counts: (group, node) -> tasks
  readonly counts = new Map<number, Map<number, number>>()
  // spread context
  contextActive = false
  contextGroup = 0
  contextAttr = SPREAD_UNBUILT
  readonly spreadPos: Int32Array
  readonly nodeRange: Int32Array
  readonly rangeStart: Int32Array
  readonly rangeCount: Int32Array
  ranges = 0
  // the current task
  cpu = 0
  mem = 0
  gpu = 0
  strategy = 0
  cpuClass = 0
  memClass = 0
  group = 0
  distinct = false
  constraintAttr = abi.CONSTRAINT_NONE
  constraintOffset = 0
  constraintLength = 0
  listOffset = 0
  listLength = 0
  portOffset = 0
  portLength = 0
  /** Static host ports taken: node * 0x20000 + port key (core-as/ports.ts). */
  readonly portsTaken = new Set<number>()
  /** The reason of the last chain scan that found no node (core-as/chain.ts). */
  chainReason = 0
  // one search
  bestScore = Infinity
  bestPos = -1
  rangeLo = 0
  rangeHi = 0
  randomStart = 0
  slots = 0
  /** The node the previous task went to (core-as/search.ts). */
  hint = -1
  // pipeline
  activeNodes = 0
  readonly memo = new FailedShapes()
  /** The counts of the last failure scan (handed to the memo). */
  scannedCpu = 0
  scannedMem = 0
  scannedGpu = 0
  random = 0
  smallestCpu = NONE
  cpuThresholds!: Int32Array
  memThresholds!: Int32Array
  smallestMem = NONE
  smallestGpu = NONE

  constructor(batch: PlacementBatch) {
    const n = batch.shape.nodes
    const nodes = batch.nodes
    this.n = n
    this.totalCpu = nodes.totalCpu
    this.totalMem = nodes.totalMemory
    this.totalGpu = nodes.totalGpu
    this.status = nodes.status
    this.attrs = nodes.attributes
    this.values = batch.values
    this.lists = batch.lists
    this.ports = batch.ports
    this.chains = batch.chains
    if (batch.shape.extensions) {
      const used = batch.usedPorts
      for (let i = 0; i < batch.shape.usedPorts; i++) this.portsTaken.add(used[i * 2] * 0x20000 + used[i * 2 + 1])
    }
    this.freeCpu = nodes.freeCpu.slice()
    this.freeMem = nodes.freeMemory.slice()
    this.freeGpu = nodes.freeGpu.slice()
    this.tasksOn = nodes.tasks.slice()
    this.aux = new Int32Array(n)
    this.blocked = new Uint8Array(n)
    this.potential = new Float64Array(n)
    this.inverseCpu = new Float64Array(n)
    this.inverseMem = new Float64Array(n)
    const tasks = batch.tasks
    this.cpuThresholds = chooseThresholds(tasks.cpu.subarray(0, batch.taskCount), 128)
    this.memThresholds = chooseThresholds(tasks.memory.subarray(0, batch.taskCount), 256)
    for (let i = 0; i < batch.taskCount; i++) {
      this.smallestCpu = Math.min(this.smallestCpu, tasks.cpu[i])
      this.smallestMem = Math.min(this.smallestMem, tasks.memory[i])
      this.smallestGpu = Math.min(this.smallestGpu, tasks.gpu[i])
    }
    for (let i = 0; i < n; i++) {
      let why = this.status[i] === abi.NODE_ACTIVE ? BLOCK_NONE : BLOCK_INACTIVE
      if (why === BLOCK_NONE && this.isDead(i)) why = BLOCK_DEAD
      this.blocked[i] = why
      this.inverseCpu[i] = inverse(this.totalCpu[i])
      this.inverseMem[i] = inverse(this.totalMem[i])
      this.refreshPotential(i)
    }
    this.main = new Tree(n)
    for (let i = 0; i < this.main.size; i++) this.main.perm[i] = i < n ? i : -1
    this.build(this.main)
    this.spread = new Tree(n)
    this.spreadPos = new Int32Array(n)
    this.nodeRange = new Int32Array(n)
    this.rangeStart = new Int32Array(n + 1)
    this.rangeCount = new Int32Array(n)
    const pairs = batch.pairs
    for (let i = 0; i < batch.shape.pairs; i++) {
      const c = pairs[i * 3 + 2]
      if (c > 0) this.countAdd(pairs[i * 3], pairs[i * 3 + 1], c)
    }
    for (let node = 0; node < n; node++) if (this.status[node] === abi.NODE_ACTIVE) this.activeNodes++
    this.metrics = batch.plan.metrics
    this.metrics.fill(0)
    const seed = batch.seed >>> 0
    this.random = seed === 0 ? 0x9e3779b9 : seed
  }

  // ---- state ---------------------------------------------------------------------
  /** Cannot fit the batch's smallest request in some dimension, now or later in the batch. */
  isDead(node: number): boolean {
    return this.freeCpu[node] < this.smallestCpu || this.freeMem[node] < this.smallestMem || this.freeGpu[node] < this.smallestGpu
  }

  attrOf(node: number, attr: number): number {
    return this.attrs[attr * this.n + node]
  }

  refreshPotential(node: number): void {
    this.potential[node] = fraction(this.freeCpu[node], this.totalCpu[node]) + fraction(this.freeMem[node], this.totalMem[node])
  }

  nextRandom(): number {
    let x = this.random
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.random = x >>> 0
    return this.random
  }

  // ---- counts ----------------------------------------------------------------------
  countGet(group: number, node: number): number {
    return this.counts.get(group)?.get(node) ?? 0
  }

  countAdd(group: number, node: number, delta: number): void {
    let perNode = this.counts.get(group)
    if (perNode === undefined) {
      perNode = new Map()
      this.counts.set(group, perNode)
    }
    perNode.set(node, (perNode.get(node) ?? 0) + delta)
  }

  // ---- tree ---------------------------------------------------------------------------
  writeLeaf(t: Tree, pos: number): void {
    const k = t.size + pos
    const r = k * RI
    const f = k * RF
    const ri = t.ri
    const rf = t.rf
    const node = pos < t.leaves ? t.perm[pos] : -1
    if (node < 0 || this.blocked[node] !== BLOCK_NONE) {
      ri[r + MAX_CPU] = -1
      ri[r + MAX_MEM] = -1
      ri[r + MAX_GPU] = -1
      ri[r + MIN_AUX] = NONE
      rf[f + INV_CPU] = 0
      rf[f + INV_MEM] = 0
      for (let j = 0; j < CLASSES; j++) {
        ri[r + MIN_CPU + j] = NONE
        ri[r + MIN_MEM + j] = NONE
        rf[f + POT_CPU + j] = Infinity
        rf[f + POT_MEM + j] = Infinity
      }
      return
    }
    const fc = this.freeCpu[node]
    const fm = this.freeMem[node]
    const p = this.potential[node]
    ri[r + MAX_CPU] = fc
    ri[r + MAX_MEM] = fm
    ri[r + MAX_GPU] = this.freeGpu[node]
    ri[r + MIN_AUX] = this.aux[node]
    rf[f + INV_CPU] = this.inverseCpu[node]
    rf[f + INV_MEM] = this.inverseMem[node]
    for (let j = 0; j < CLASSES; j++) {
      const inCpu = fc >= this.cpuThresholds[j]
      const inMem = fm >= this.memThresholds[j]
      ri[r + MIN_CPU + j] = inCpu ? fc : NONE
      ri[r + MIN_MEM + j] = inMem ? fm : NONE
      rf[f + POT_CPU + j] = inCpu ? p : Infinity
      rf[f + POT_MEM + j] = inMem ? p : Infinity
    }
  }

  pull(t: Tree, k: number): void {
    const ri = t.ri
    const rf = t.rf
    const r = k * RI
    const a = 2 * r
    const b = a + RI
    ri[r] = Math.max(ri[a], ri[b])
    ri[r + 1] = Math.max(ri[a + 1], ri[b + 1])
    ri[r + 2] = Math.max(ri[a + 2], ri[b + 2])
    for (let i = MIN_AUX; i < MIN_MEM + CLASSES; i++) ri[r + i] = Math.min(ri[a + i], ri[b + i])
    const f = k * RF
    const fa = 2 * f
    const fb = fa + RF
    rf[f + INV_CPU] = rf[fa + INV_CPU] > rf[fb + INV_CPU] ? rf[fa + INV_CPU] : rf[fb + INV_CPU]
    rf[f + INV_MEM] = rf[fa + INV_MEM] > rf[fb + INV_MEM] ? rf[fa + INV_MEM] : rf[fb + INV_MEM]
    for (let i = POT_CPU; i < RF; i++) {
      const x = rf[fa + i]
      const y = rf[fb + i]
      rf[f + i] = x < y ? x : y
    }
  }

  build(t: Tree): void {
    for (let pos = 0; pos < t.size; pos++) this.writeLeaf(t, pos)
    for (let k = t.size - 1; k >= 1; k--) this.pull(t, k)
  }

  update(t: Tree, pos: number): void {
    this.writeLeaf(t, pos)
    let k = (t.size + pos) >> 1
    while (k >= 1) {
      this.pull(t, k)
      k >>= 1
    }
  }

  fitsRecord(t: Tree, k: number): boolean {
    const r = k * RI
    return t.ri[r] >= this.cpu && t.ri[r + 1] >= this.mem && t.ri[r + 2] >= this.gpu
  }

  // ---- search ----------------------------------------------------------------------
  lowerBound(t: Tree, k: number, lo: number, width: number): number {
    const r = k * RI
    switch (this.strategy) {
      case abi.STRATEGY_BESTFIT: {
        const pc = t.rf[k * RF + POT_CPU + this.cpuClass]
        const pm = t.rf[k * RF + POT_MEM + this.memClass]
        const f = k * RF
        const q = this.cpu * t.rf[f + INV_CPU] + this.mem * t.rf[f + INV_MEM]
        return (pc > pm ? pc : pm) - q
      }
      case abi.STRATEGY_BINPACK_CPU: return Math.max(t.ri[r + MIN_CPU + this.cpuClass], this.cpu) - this.cpu
      case abi.STRATEGY_BINPACK_MEMORY: return Math.max(t.ri[r + MIN_MEM + this.memClass], this.mem) - this.mem
      case abi.STRATEGY_SPREAD: return t.ri[r + MIN_AUX]
      default:
        if (lo >= this.randomStart) return lo - this.randomStart
        if (lo + width <= this.randomStart) return lo - this.randomStart + this.slots
        return 0
    }
  }

  leafScore(node: number, pos: number): number {
    switch (this.strategy) {
      case abi.STRATEGY_BESTFIT: {
        const q = this.cpu * this.inverseCpu[node] + this.mem * this.inverseMem[node]
        return this.potential[node] - q
      }
      case abi.STRATEGY_BINPACK_CPU: return this.freeCpu[node] - this.cpu
      case abi.STRATEGY_BINPACK_MEMORY: return this.freeMem[node] - this.mem
      case abi.STRATEGY_SPREAD: return this.aux[node]
      default: return pos >= this.randomStart ? pos - this.randomStart : pos - this.randomStart + this.slots
    }
  }

  pruned(lb: number, lo: number): boolean {
    return lb > this.bestScore || (lb === this.bestScore && lo >= this.bestPos)
  }

  visit(t: Tree, k: number, lo: number, width: number): void {
    this.metrics[abi.M_INDEX_VISITS]++
    if (width === 1) {
      const node = t.perm[lo]
      this.metrics[abi.M_NODES_EVALUATED]++
      if (!this.leafPasses(node)) return
      const s = this.leafScore(node, lo)
      if (s < this.bestScore || (s === this.bestScore && lo < this.bestPos)) {
        this.bestScore = s
        this.bestPos = lo
      }
      return
    }
    const half = width >> 1
    const l = k << 1
    const loR = lo + half
    const okL = lo < this.rangeHi && loR > this.rangeLo && this.fitsRecord(t, l)
    const okR = loR < this.rangeHi && lo + width > this.rangeLo && this.fitsRecord(t, l + 1)
    if (okL && okR) {
      const lbL = this.lowerBound(t, l, lo, half)
      const lbR = this.lowerBound(t, l + 1, loR, half)
      if (lbR < lbL) {
        if (!this.pruned(lbR, loR)) this.visit(t, l + 1, loR, half)
        if (!this.pruned(lbL, lo)) this.visit(t, l, lo, half)
      } else {
        if (!this.pruned(lbL, lo)) this.visit(t, l, lo, half)
        if (!this.pruned(lbR, loR)) this.visit(t, l + 1, loR, half)
      }
    } else if (okL) {
      if (!this.pruned(this.lowerBound(t, l, lo, half), lo)) this.visit(t, l, lo, half)
    } else if (okR) {
      if (!this.pruned(this.lowerBound(t, l + 1, loR, half), loR)) this.visit(t, l + 1, loR, half)
    }
  }

  search(t: Tree, lo: number, hi: number, start: number): number {
    this.bestScore = Infinity
    this.bestPos = -1
    this.rangeLo = lo
    this.rangeHi = hi
    this.randomStart = start
    this.slots = t.size
    if (lo >= hi || !this.fitsRecord(t, 1)) return -1
    this.visit(t, 1, 0, t.size)
    return this.bestPos
  }

  searchFromHint(t: Tree): number {
    this.bestScore = Infinity
    this.bestPos = -1
    this.rangeLo = 0
    this.rangeHi = t.leaves
    this.randomStart = 0
    this.slots = t.size
    if (t.leaves === 0 || !this.fitsRecord(t, 1)) return -1
    const hint = this.hint
    if (hint >= 0 && this.fitsRecord(t, t.size + hint)) {
      this.metrics[abi.M_NODES_EVALUATED]++
      if (this.leafPasses(hint)) {
        this.bestScore = this.leafScore(hint, hint)
        this.bestPos = hint
      }
    }
    this.visit(t, 1, 0, t.size)
    return this.bestPos
  }

  // ---- feasibility -------------------------------------------------------------------
  constrained(): boolean {
    return this.distinct || this.constraintAttr !== abi.CONSTRAINT_NONE || this.listLength > 0 || this.portLength > 0
  }

  inSet(v: number, offset: number, length: number): boolean {
    for (let j = offset; j < offset + length; j++) if (this.values[j] === v) return true
    return false
  }

  constraintsHold(node: number): boolean {
    if (this.distinct && this.countGet(this.group, node) > 0) return false
    if (this.constraintAttr !== abi.CONSTRAINT_NONE && !this.inSet(this.attrOf(node, this.constraintAttr), this.constraintOffset, this.constraintLength)) return false
    const lists = this.lists
    for (let l = this.listOffset; l < this.listOffset + this.listLength; l++) {
      if (!this.inSet(this.attrOf(node, lists[l * 3]), lists[l * 3 + 1], lists[l * 3 + 2])) return false
    }
    return true
  }

  portsFree(node: number): boolean {
    for (let j = this.portOffset; j < this.portOffset + this.portLength; j++) {
      if (this.portsTaken.has(node * 0x20000 + this.ports[j])) return false
    }
    return true
  }

  leafPasses(node: number): boolean {
    if (!this.constraintsHold(node)) {
      this.metrics[abi.M_FILTERED_CONSTRAINT]++
      return false
    }
    if (this.portLength > 0 && !this.portsFree(node)) {
      this.metrics[abi.M_FILTERED_PORTS]++
      return false
    }
    return true
  }

  classify(node: number): number {
    const m = this.metrics
    m[abi.M_NODES_EVALUATED]++
    if (this.status[node] !== abi.NODE_ACTIVE) {
      m[abi.M_FILTERED_INACTIVE]++
      return abi.REASON_NO_ACTIVE_NODE
    }
    if (this.blocked[node] === BLOCK_RESERVED || !this.constraintsHold(node)) {
      m[abi.M_FILTERED_CONSTRAINT]++
      return abi.REASON_CONSTRAINT
    }
    if (this.freeCpu[node] < this.cpu) {
      m[abi.M_FILTERED_CPU]++
      return abi.REASON_CPU
    }
    if (this.freeMem[node] < this.mem) {
      m[abi.M_FILTERED_MEMORY]++
      return abi.REASON_MEMORY
    }
    if (this.freeGpu[node] < this.gpu) {
      m[abi.M_FILTERED_GPU]++
      return abi.REASON_GPU
    }
    if (this.portLength > 0 && !this.portsFree(node)) {
      m[abi.M_FILTERED_PORTS]++
      return abi.REASON_PORTS
    }
    return 0
  }

  explainFailure(): number {
    let byCpu = 0, byMem = 0, byGpu = 0, byPorts = 0, active = 0
    for (let node = 0; node < this.n; node++) {
      const r = this.classify(node)
      if (r !== abi.REASON_NO_ACTIVE_NODE) active++
      if (r === abi.REASON_CPU) byCpu++
      else if (r === abi.REASON_MEMORY) byMem++
      else if (r === abi.REASON_GPU) byGpu++
      else if (r === abi.REASON_PORTS) byPorts++
    }
    this.scannedCpu = byCpu
    this.scannedMem = byMem
    this.scannedGpu = byGpu
    if (active === 0) return abi.REASON_NO_ACTIVE_NODE
    return reasonWithPorts(byCpu, byMem, byGpu, byPorts)
  }

  // ---- strategy chains: twin-chain.ts (core-as/chain.ts) --------------------------------
  groupCount(node: number): number {
    return this.group === 0 ? this.tasksOn[node] : this.countGet(this.group, node)
  }

  // ---- spread ----------------------------------------------------------------------
  sortByAttr(attr: number): void {
    const sorted = sortIndices(this.n, (a, b) => {
      const va = this.attrOf(a, attr)
      const vb = this.attrOf(b, attr)
      return va < vb || (va === vb && a < b)
    })
    this.spread.perm.set(sorted)
  }

  buildRanges(attr: number): void {
    this.ranges = 0
    let previous = 0
    for (let pos = 0; pos < this.n; pos++) {
      const node = this.spread.perm[pos]
      this.spreadPos[node] = pos
      const v = this.attrOf(node, attr)
      if (pos === 0 || v !== previous) {
        this.rangeStart[this.ranges++] = pos
        previous = v
      }
      this.nodeRange[node] = this.ranges - 1
    }
    this.rangeStart[this.ranges] = this.n
  }

  countRanges(): void {
    this.rangeCount.fill(0, 0, this.ranges)
    for (let node = 0; node < this.n; node++) this.rangeCount[this.nodeRange[node]] += this.aux[node]
  }

  ensureContext(group: number, attr: number): void {
    const regroup = !this.contextActive || this.contextGroup !== group
    if (regroup) {
      for (let node = 0; node < this.n; node++) this.aux[node] = group === 0 ? this.tasksOn[node] : this.countGet(group, node)
      this.contextGroup = group
      this.contextActive = true
      this.build(this.main)
      this.metrics[abi.M_CONTEXT_BUILDS]++
    }
    if (attr >= 0 && attr !== this.contextAttr) {
      this.sortByAttr(attr)
      this.buildRanges(attr)
      this.contextAttr = attr
      this.build(this.spread)
      this.countRanges()
    } else if (regroup && this.contextAttr >= 0) {
      this.build(this.spread)
      this.countRanges()
    }
  }

  noteTaskPlaced(node: number, group: number): void {
    if (!this.contextActive || (this.contextGroup !== 0 && this.contextGroup !== group)) return
    this.aux[node]++
    if (this.contextAttr >= 0) this.rangeCount[this.nodeRange[node]]++
  }

  refreshSpreadLeaf(node: number): void {
    if (this.contextAttr >= 0) this.update(this.spread, this.spreadPos[node])
  }

  selectSpread(): number {
    let bestCount = NONE
    let bestPos = -1
    for (let r = 0; r < this.ranges; r++) {
      const count = this.rangeCount[r]
      if (count >= bestCount) continue
      const pos = this.search(this.spread, this.rangeStart[r], this.rangeStart[r + 1], 0)
      if (pos >= 0) {
        bestCount = count
        bestPos = pos
      }
    }
    return bestPos < 0 ? -1 : this.spread.perm[bestPos]
  }

  // ---- pipeline --------------------------------------------------------------------
  selectRandom(): number {
    for (let p = 0; p < RANDOM_PROBES; p++) {
      const node = this.nextRandom() % this.n
      if (this.classify(node) === 0) return node
    }
    const start = this.nextRandom() % this.n
    return this.search(this.main, 0, this.n, start)
  }

  select(spreadAttr: number): number {
    if (this.strategy === abi.STRATEGY_SPREAD) {
      this.ensureContext(this.group, spreadAttr)
      if (spreadAttr !== abi.SPREAD_NODE) return this.selectSpread()
      return this.search(this.main, 0, this.n, 0)
    } else if (this.strategy === abi.STRATEGY_RANDOM) {
      return this.selectRandom()
    }
    return this.searchFromHint(this.main)
  }

  commit(node: number): void {
    const oldCpu = this.freeCpu[node]
    const oldMem = this.freeMem[node]
    this.freeCpu[node] = oldCpu - this.cpu
    this.freeMem[node] = oldMem - this.mem
    this.memo.noteNodeShrunk(oldCpu, oldMem, oldCpu - this.cpu, oldMem - this.mem)
    this.freeGpu[node] -= this.gpu
    this.tasksOn[node]++
    this.refreshPotential(node)
    if (this.group !== 0) this.countAdd(this.group, node, 1)
    this.noteTaskPlaced(node, this.group)
    if (this.isDead(node)) this.blocked[node] = BLOCK_DEAD
    for (let j = this.portOffset; j < this.portOffset + this.portLength; j++) this.portsTaken.add(node * 0x20000 + this.ports[j])
    this.update(this.main, node)
    this.refreshSpreadLeaf(node)
    this.hint = node
  }

  reserve(): number {
    let best = -1
    let bestDeficit = Infinity
    for (let node = 0; node < this.n; node++) {
      if (this.status[node] !== abi.NODE_ACTIVE || this.blocked[node] === BLOCK_RESERVED) continue
      const tc = this.totalCpu[node], tm = this.totalMem[node], tg = this.totalGpu[node]
      if (tc < this.cpu || tm < this.mem || tg < this.gpu || !this.constraintsHold(node)) continue
      const dc = Math.max(this.cpu - this.freeCpu[node], 0)
      const dm = Math.max(this.mem - this.freeMem[node], 0)
      const dg = Math.max(this.gpu - this.freeGpu[node], 0)
      const deficit = (tc > 0 ? dc / tc : 0) + (tm > 0 ? dm / tm : 0) + (tg > 0 ? dg / tg : 0)
      if (deficit < bestDeficit) {
        bestDeficit = deficit
        best = node
      }
    }
    if (best >= 0) {
      this.memo.noteNodeHeld(this.freeCpu[best], this.freeMem[best])
      this.blocked[best] = BLOCK_RESERVED
      this.update(this.main, best)
      this.refreshSpreadLeaf(best)
    }
    return best
  }

  placeTask(task: number, batch: PlacementBatch, outNode: Int32Array, outReason: Uint8Array, aged: boolean): void {
    const tasks = batch.tasks
    const m = this.metrics
    if (this.activeNodes === 0) {
      outNode[task] = -1
      outReason[task] = abi.REASON_NO_ACTIVE_NODE
      m[abi.M_FAILED]++
      return
    }
    this.cpu = tasks.cpu[task]
    this.mem = tasks.memory[task]
    this.gpu = tasks.gpu[task]
    this.strategy = tasks.strategy[task]
    this.cpuClass = classOf(this.cpuThresholds, this.cpu)
    this.memClass = classOf(this.memThresholds, this.mem)
    this.group = tasks.group[task]
    this.distinct = (tasks.flags[task] & abi.FLAG_DISTINCT_INSTANCE) !== 0
    this.constraintAttr = tasks.constraintAttribute[task]
    this.constraintOffset = tasks.constraintOffset[task]
    this.constraintLength = tasks.constraintLength[task]
    let chainOffset = 0, chainLength = 0
    if (batch.shape.extensions) {
      const ext = tasks.ext
      const at = task * abi.EXT_SLOTS
      chainOffset = ext[at + abi.EXT_CHAIN_OFFSET]
      chainLength = ext[at + abi.EXT_CHAIN_LENGTH]
      this.listOffset = ext[at + abi.EXT_LIST_OFFSET]
      this.listLength = ext[at + abi.EXT_LIST_LENGTH]
      this.portOffset = ext[at + abi.EXT_PORT_OFFSET]
      this.portLength = ext[at + abi.EXT_PORT_LENGTH]
    }
    // An unconstrained task covering a failed shape cannot fit: skip the search, not the rest.
    const unconstrained = !this.constrained() && chainLength === 0
    if (!unconstrained || !this.memo.coversFailed(this.cpu, this.mem, this.gpu)) {
      const node = chainLength > 0
        ? selectChained(this, this.strategy, tasks.spreadAttribute[task], chainOffset, chainLength)
        : this.select(tasks.spreadAttribute[task])
      if (node >= 0) {
        this.commit(node)
        outNode[task] = node
        outReason[task] = abi.REASON_PLACED
        m[abi.M_PLACED]++
        return
      }
      if (unconstrained) this.memo.rememberFailed(this.cpu, this.mem, this.gpu)
    }
    let reason = unconstrained ? this.memo.knownReason(this.cpu, this.mem) : chainLength > 0 ? this.chainReason : 0
    if (reason === 0) {
      m[abi.M_FAILURE_SCANS]++
      reason = this.explainFailure()
      if (unconstrained) this.memo.trackReason(this.cpu, this.mem, this.scannedCpu, this.scannedMem, this.scannedGpu)
    }
    m[abi.M_FAILED]++
    const held = aged ? this.reserve() : -1
    outNode[task] = held
    if (held >= 0) {
      m[abi.M_RESERVATIONS]++
      outReason[task] = reason | abi.REASON_RESERVED_BIT
    } else {
      outReason[task] = reason
    }
  }
}

/** Stable bottom-up merge sort of indices 0..count-1 by a strict order (core-as/sort.ts). */
function sortIndices(count: number, before: (a: number, b: number) => boolean): Int32Array {
  let src: Int32Array = new Int32Array(count)
  let dst: Int32Array = new Int32Array(count)
  for (let i = 0; i < count; i++) src[i] = i
  for (let width = 1; width < count; width <<= 1) {
    for (let lo = 0; lo < count; lo += width << 1) {
      const mid = Math.min(lo + width, count)
      const hi = Math.min(lo + (width << 1), count)
      let i = lo, j = mid, o = lo
      while (i < mid && j < hi) {
        if (before(src[j], src[i])) dst[o++] = src[j++]
        else dst[o++] = src[i++]
      }
      while (i < mid) dst[o++] = src[i++]
      while (j < hi) dst[o++] = src[j++]
    }
    const swap = src
    src = dst
    dst = swap
  }
  return src
}

/** Stable order by (priority desc, envOrder asc, sequence asc, index asc). */
export function orderJobsTs(priority: Int32Array, envOrder: Int32Array, sequence: Int32Array): Int32Array {
  return sortIndices(priority.length, (a, b) => {
    if (priority[a] !== priority[b]) return priority[a] > priority[b]
    if (envOrder[a] !== envOrder[b]) return envOrder[a] < envOrder[b]
    if (sequence[a] !== sequence[b]) return sequence[a] < sequence[b]
    return a < b
  })
}

export class TsPlacementCore implements PlacementCore {
  readonly kind = 'typescript' as const

  allocate(shape: BatchShape): PlacementBatch {
    validateShape(shape)
    const full = completeShape(shape)
    // The same arena layout as the WebAssembly core, in an ArrayBuffer of its own.
    const layout = layoutArena(full)
    const buffer = new ArrayBuffer(layout.bytes)
    return new PlacementBatch(full, () => buffer, 0, layout)
  }

  release(): void {}

  place(batch: PlacementBatch): PlanMetrics {
    validateBatch(batch)
    const p = new Placement(batch)
    const { node: outNode, reason: outReason } = batch.plan
    const tasks = batch.tasks
    const useWait = batch.useWait
    const aging = batch.agingRounds
    for (let j = 0; j < batch.taskCount; j++) {
      const i = batch.useOrder ? tasks.order[j] : j
      const aged = aging > 0 && useWait && tasks.wait[i] >= aging
      p.placeTask(i, batch, outNode, outReason, aged)
    }
    return readMetrics(batch.plan.metrics)
  }

  orderJobs(priority: Int32Array, envOrder: Int32Array, sequence: Int32Array): Int32Array {
    if (envOrder.length !== priority.length || sequence.length !== priority.length) {
      throw new InvalidArgumentError('SchedulerInvalidInput', 'priority, envOrder and sequence must have the same length', { field: 'jobs' })
    }
    return orderJobsTs(priority, envOrder, sequence)
  }
}

