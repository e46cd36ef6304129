// Fargate's task sizes: the cpu/memory pairs a FARGATE task definition may
// declare (ECS's table: "Task CPU and memory" in the Developer Guide; the
// same as the issue lists), and the unit strings ECS accepts for them.
//
//   cpu     "256" (CPU units, 1024 to a vCPU) or "0.25 vCPU" / "1 vcpu"
//   memory  "512" (MiB) or "0.5GB" / "1 GB" / "2 gb"
//
// ECS stores the converted numbers ("1 vCPU" is shown as "1024"), so do we.

/** cpu units → the memory sizes (MiB) Fargate allows with it, ascending. */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)]
])

function range(from: number, to: number, step: number): number[] {
  const out: number[] = []
  for (let v = from; v <= to; v += step) out.push(v)
  return out
}

/** Whether cpu units and memory MiB are one of Fargate's sizes. */
export function isFargateSize(cpu: number, memory: number): boolean {
  return FARGATE_SIZES.get(cpu)?.includes(memory) ?? false
}

/** The memory sizes allowed with `cpu`, for an error message ("512, 1024 or 2048" / "2048 to 8192 in steps of 1024"). */
export function describeFargateMemory(cpu: number): string {
  const sizes = FARGATE_SIZES.get(cpu)
  if (sizes === undefined) return ''
  if (sizes.length <= 3) return sizes.join(', ')
  return `${sizes[0]} to ${sizes.at(-1)} in steps of ${sizes[1] - sizes[0]}`
}

const CPU_UNITS = /^\s*(\d+)\s*$/
const CPU_VCPUS = /^\s*(\d+(?:\.\d+)?)\s*vcpu\s*$/i
const MEMORY_MIB = /^\s*(\d+)\s*$/
const MEMORY_GB = /^\s*(\d+(?:\.\d+)?)\s*gb\s*$/i

/** "256" or "0.25 vCPU" → 256 CPU units; undefined when it is neither (or not a whole number of units). */
export function parseCpu(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const units = CPU_UNITS.exec(value)
  if (units) return Number(units[1])
  const vcpus = CPU_VCPUS.exec(value)
  if (!vcpus) return undefined
  const n = Number(vcpus[1]) * 1024
  return Number.isInteger(n) ? n : undefined
}

/** "512" or "0.5GB" / "1 GB" → MiB; undefined when it is neither (or not a whole number of MiB). */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const mib = MEMORY_MIB.exec(value)
  if (mib) return Number(mib[1])
  const gb = MEMORY_GB.exec(value)
  if (!gb) return undefined
  const n = Number(gb[1]) * 1024
  return Number.isInteger(n) ? n : undefined
}
