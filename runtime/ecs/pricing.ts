// What a Fargate task costs: its task-level vCPU and memory (and ephemeral
// storage above the included 20 GiB) for the seconds from the start of its
// image pull until it stopped (or now, while it runs), at the prices of
// fargate-prices.ts. AWS bills per second with a one-minute minimum; a task
// that never pulled costs nothing. The tasks and services areas call it for
// the SDK's cost per task and per service.

import { FARGATE_PRICES } from './fargate-prices.js'
import { parseCpu, parseMemory } from './fargate-sizes.js'
import { clientException } from './errors.js'

export interface TaskCostInput {
  /** Task-level cpu: units ("256", 256) or "0.25 vCPU". */
  cpu: string | number
  /** Task-level memory: MiB ("512", 512) or "0.5GB". */
  memory: string | number
  /** ephemeralStorage.sizeInGiB (default 20: nothing extra). */
  ephemeralGiB?: number
  capacityProvider?: 'FARGATE' | 'FARGATE_SPOT'
  cpuArchitecture?: 'X86_64' | 'ARM64'
  /** Epoch ms (or Date) the image pull started; undefined: not started, costs 0. */
  pullStartedAt?: number | Date
  /** Epoch ms (or Date) the task stopped; undefined: still running, billed up to `now`. */
  stoppedAt?: number | Date
  /** Epoch ms on the engine clock, for running tasks. */
  now?: number
}

export interface TaskCost {
  /** Total, USD. */
  usd: number
  /** Seconds billed (whole seconds, at least the one-minute minimum once pulling started). */
  billedSeconds: number
  vcpu: number
  memoryGB: number
  breakdown: { vcpuUsd: number; memoryUsd: number; ephemeralStorageUsd: number }
  rates: { vcpuHour: number; gbHour: number; ephemeralStorageGbHour: number }
  capacityProvider: 'FARGATE' | 'FARGATE_SPOT'
}

function ms(value: number | Date): number {
  return value instanceof Date ? value.getTime() : value
}

export function taskCost(input: TaskCostInput): TaskCost {
  const units = parseCpu(input.cpu)
  if (units === undefined || units === 0) throw clientException('cpu', `cpu: ${String(input.cpu)} is not a number of CPU units or vCPUs`)
  const mib = parseMemory(input.memory)
  if (mib === undefined || mib === 0) throw clientException('memory', `memory: ${String(input.memory)} is not a number of MiB or GB`)
  const provider = input.capacityProvider ?? 'FARGATE'
  const arch = input.cpuArchitecture ?? 'X86_64'
  const row = FARGATE_PRICES[provider][arch]
  const vcpu = units / 1024
  const memoryGB = mib / 1024
  const extraGiB = Math.max(0, (input.ephemeralGiB ?? FARGATE_PRICES.includedEphemeralGiB) - FARGATE_PRICES.includedEphemeralGiB)
  let billedSeconds = 0
  if (input.pullStartedAt !== undefined) {
    const end = input.stoppedAt !== undefined ? ms(input.stoppedAt) : input.now
    if (end === undefined) throw clientException('now', 'now: a task that has not stopped is billed up to now, which is required')
    const seconds = Math.ceil(Math.max(0, end - ms(input.pullStartedAt)) / 1000)
    billedSeconds = Math.max(FARGATE_PRICES.minimumBilledSeconds, seconds)
  }
  const hours = billedSeconds / 3600
  const vcpuUsd = vcpu * row.vcpuHour * hours
  const memoryUsd = memoryGB * row.gbHour * hours
  const ephemeralStorageUsd = extraGiB * FARGATE_PRICES.ephemeralStorageGbHour * hours
  return {
    usd: vcpuUsd + memoryUsd + ephemeralStorageUsd,
    billedSeconds,
    vcpu,
    memoryGB,
    breakdown: { vcpuUsd, memoryUsd, ephemeralStorageUsd },
    rates: { vcpuHour: row.vcpuHour, gbHour: row.gbHour, ephemeralStorageGbHour: FARGATE_PRICES.ephemeralStorageGbHour },
    capacityProvider: provider
  }
}
