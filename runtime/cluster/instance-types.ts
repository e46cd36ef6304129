// The EC2 instance types a managed compute environment may launch: vCPUs,
// memory and GPUs as the AWS catalog lists them, and the us-east-1 Linux
// on-demand price per hour, which BEST_FIT and BEST_FIT_PROGRESSIVE use to
// prefer cheaper capacity. "optimal" means the c, m and r families, as on AWS.

export interface InstanceType {
  name: string
  family: string
  vcpus: number
  /** MiB */
  memory: number
  gpus: number
  /** USD per hour, on demand, us-east-1, Linux. */
  price: number
}

const SIZES: Array<[string, number]> = [
  ['large', 2], ['xlarge', 4], ['2xlarge', 8], ['4xlarge', 16], ['8xlarge', 32], ['12xlarge', 48], ['16xlarge', 64], ['24xlarge', 96]
]

function family(name: string, gibPerVcpu: number, pricePerLarge: number): InstanceType[] {
  return SIZES.map(([size, vcpus]) => ({
    name: `${name}.${size}`,
    family: name,
    vcpus,
    memory: vcpus * gibPerVcpu * 1024,
    gpus: 0,
    price: Math.round(pricePerLarge * (vcpus / 2) * 1000) / 1000
  }))
}

export const INSTANCE_TYPES: readonly InstanceType[] = [
  ...family('m5', 4, 0.096),
  ...family('c5', 2, 0.085).filter((t) => t.name !== 'c5.8xlarge' && t.name !== 'c5.16xlarge'),
  { name: 'c5.9xlarge', family: 'c5', vcpus: 36, memory: 73728, gpus: 0, price: 1.53 },
  { name: 'c5.18xlarge', family: 'c5', vcpus: 72, memory: 147456, gpus: 0, price: 3.06 },
  ...family('r5', 8, 0.126),
  { name: 't3.micro', family: 't3', vcpus: 2, memory: 1024, gpus: 0, price: 0.0104 },
  { name: 't3.small', family: 't3', vcpus: 2, memory: 2048, gpus: 0, price: 0.0208 },
  { name: 't3.medium', family: 't3', vcpus: 2, memory: 4096, gpus: 0, price: 0.0416 },
  { name: 'g4dn.xlarge', family: 'g4dn', vcpus: 4, memory: 16384, gpus: 1, price: 0.526 },
  { name: 'g4dn.12xlarge', family: 'g4dn', vcpus: 48, memory: 196608, gpus: 4, price: 3.912 },
  { name: 'p3.2xlarge', family: 'p3', vcpus: 8, memory: 62464, gpus: 1, price: 3.06 },
  { name: 'p3.8xlarge', family: 'p3', vcpus: 32, memory: 249856, gpus: 4, price: 12.24 }
]

const BY_NAME = new Map(INSTANCE_TYPES.map((t) => [t.name, t]))
const FAMILIES = new Set(INSTANCE_TYPES.map((t) => t.family))

/**
 * The instance types a computeResources.instanceTypes entry stands for: a
 * type name, a family ("m5": every size), or "optimal"; undefined if unknown.
 */
export function expandInstanceType(entry: string): InstanceType[] | undefined {
  if (entry === 'optimal') return INSTANCE_TYPES.filter((t) => t.family === 'c5' || t.family === 'm5' || t.family === 'r5')
  const one = BY_NAME.get(entry)
  if (one) return [one]
  if (FAMILIES.has(entry)) return INSTANCE_TYPES.filter((t) => t.family === entry)
  return undefined
}
