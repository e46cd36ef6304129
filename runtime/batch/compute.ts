// Compute environments and their virtual instances. A managed environment
// launches instances when runnable jobs need capacity (choosing types with the
// placement core) and removes idle ones down to minvCpus; an unmanaged one
// holds the nodes its user registers.

import { randomBytes } from 'node:crypto'
import type { Scheduler } from '../scheduler/scheduler.js'
import type { ComputeEnvironmentDetail } from './model.js'
import type { InstanceType } from '../cluster/instance-types.js'

export interface VirtualNode {
  /** EC2-style instance id (i-…) or the id an unmanaged node was registered with. */
  id: string
  containerInstanceArn: string
  instanceType: string
  zone: string
  /** Millicores, MiB, GPUs. */
  totalCpu: number
  totalMemory: number
  totalGpu: number
  usedCpu: number
  usedMemory: number
  usedGpu: number
  /** Attempts placed and not yet ended. */
  running: number
  launchedAt: number
  /** Set while the node has nothing running (scale-in timer). */
  idleTimer: unknown
  managed: boolean
}

export interface NodeDemand {
  cpu: number
  memory: number
  gpu: number
}

export class ComputeEnvironmentState {
  detail: ComputeEnvironmentDetail
  /** Allowed instance types (managed), cheapest per vCPU first. */
  readonly types: InstanceType[]
  /** Its nodes; add and remove them through addNode / removeNode (they keep the vCPU total). */
  readonly nodes = new Map<string, VirtualNode>()
  #totalMillicpu = 0
  readonly #zones: string[]
  #zoneCursor = 0

  constructor(detail: ComputeEnvironmentDetail, types: InstanceType[], region: string) {
    this.detail = detail
    this.types = [...types].sort((a, b) => a.price / a.vcpus - b.price / b.vcpus || a.vcpus - b.vcpus || a.name.localeCompare(b.name))
    this.#zones = [`${region}a`, `${region}b`, `${region}c`]
  }

  get name(): string {
    return this.detail.computeEnvironmentName
  }

  get managed(): boolean {
    return this.detail.type === 'MANAGED'
  }

  get usable(): boolean {
    return this.detail.state === 'ENABLED' && this.detail.status === 'VALID'
  }

  /** vCPUs of every instance the environment holds. */
  vcpus(): number {
    return this.#totalMillicpu / 1000
  }

  addNode(spec: { id?: string; instanceType: string; vcpus: number; memory: number; gpus: number; managed: boolean }, now: number, arn: (id: string) => string): VirtualNode {
    const id = spec.id ?? `i-${randomBytes(8).toString('hex').slice(0, 17)}`
    const node: VirtualNode = {
      id,
      containerInstanceArn: arn(id),
      instanceType: spec.instanceType,
      zone: this.#zones[this.#zoneCursor++ % this.#zones.length],
      totalCpu: Math.round(spec.vcpus * 1000),
      totalMemory: spec.memory,
      totalGpu: spec.gpus,
      usedCpu: 0,
      usedMemory: 0,
      usedGpu: 0,
      running: 0,
      launchedAt: now,
      idleTimer: undefined,
      managed: spec.managed
    }
    this.nodes.set(id, node)
    this.#totalMillicpu += node.totalCpu
    return node
  }

  removeNode(id: string): void {
    const node = this.nodes.get(id)
    if (node === undefined) return
    this.nodes.delete(id)
    this.#totalMillicpu -= node.totalCpu
  }

  /** Could any instance type of this environment ever hold the demand (managed), or any node now (unmanaged)? */
  canEverHold(d: NodeDemand): boolean {
    if (!this.managed) return true
    const maxCpu = (this.detail.computeResources?.maxvCpus ?? 0) * 1000
    return d.cpu <= maxCpu && this.types.some((t) => t.vcpus * 1000 <= maxCpu && t.vcpus * 1000 >= d.cpu && t.memory >= d.memory && t.gpus >= d.gpu)
  }

  /** The largest instance the environment can launch, for error messages. */
  largestType(): InstanceType | undefined {
    return [...this.types].sort((a, b) => b.vcpus - a.vcpus || b.memory - a.memory)[0]
  }
}

/**
 * Which instances a managed environment should launch for demands that did not
 * fit, with at most `headroom` vCPUs more, decided by the placement core over
 * hypothetical instances:
 *
 *   BEST_FIT              for each allowed type, pack the demands onto
 *                         hypothetical instances of that type alone (bestfit);
 *                         launch the type whose instances cost least in all
 *                         (ties: fewer instances), as many as were used
 *   BEST_FIT_PROGRESSIVE  one pool of every allowed type, cheapest per vCPU
 *                         first; launch the instances the packing used
 *
 * Demands no allowed type can hold are ignored (they are refused at submit).
 */
export function planScaleOut(
  scheduler: Scheduler, ce: ComputeEnvironmentState, demands: readonly NodeDemand[], headroom: number
): InstanceType[] {
  const fits = (t: InstanceType, d: NodeDemand) => t.vcpus * 1000 >= d.cpu && t.memory >= d.memory && t.gpus >= d.gpu
  const wanted = demands.filter((d) => ce.types.some((t) => fits(t, d)))
  if (wanted.length === 0 || headroom <= 0) return []
  const demandCpu = wanted.reduce((sum, d) => sum + d.cpu, 0)
  const demandMemory = wanted.reduce((sum, d) => sum + d.memory, 0)
  // Enough hypothetical instances of each type to hold every demand, within the headroom.
  const pool = (types: InstanceType[]): InstanceType[] => {
    const out: InstanceType[] = []
    for (const t of types) {
      const enough = Math.ceil(demandCpu / (t.vcpus * 1000)) + Math.ceil(demandMemory / t.memory) + 1
      const count = Math.min(Math.floor(headroom / t.vcpus), wanted.length, enough)
      for (let i = 0; i < count; i++) out.push(t)
    }
    return out
  }
  const pack = (candidates: InstanceType[]): InstanceType[] => {
    if (candidates.length === 0) return []
    const plan = scheduler.place({
      nodes: candidates.map((t) => ({ cpu: t.vcpus * 1000, memory: t.memory, gpus: t.gpus })),
      tasks: wanted.map((d) => ({ cpu: d.cpu, memory: d.memory, gpus: d.gpu, strategy: { type: 'bestfit' } }))
    })
    const used = new Set<number>()
    for (const p of plan.placements) if (p.node !== null) used.add(p.node)
    // Launch within the headroom, in pool order (cheapest per vCPU first).
    const launch: InstanceType[] = []
    let vcpus = 0
    for (const index of [...used].sort((a, b) => a - b)) {
      if (vcpus + candidates[index].vcpus > headroom) continue
      vcpus += candidates[index].vcpus
      launch.push(candidates[index])
    }
    return launch
  }
  if (ce.detail.computeResources?.allocationStrategy === 'BEST_FIT_PROGRESSIVE') return pack(pool(ce.types))
  let best: InstanceType[] = []
  let bestCost = Infinity
  for (const t of ce.types) {
    if (!wanted.every((d) => fits(t, d))) continue
    const launch = pack(pool([t]))
    if (launch.length === 0) continue
    const cost = launch.length * t.price
    if (cost < bestCost || (cost === bestCost && launch.length < best.length)) {
      best = launch
      bestCost = cost
    }
  }
  if (best.length === 0) {
    // No single type holds every demand: fall back to the progressive pool.
    return pack(pool(ce.types))
  }
  return best
}
