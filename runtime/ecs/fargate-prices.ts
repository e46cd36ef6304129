// Fargate's published on-demand prices, us-east-1 (US East, N. Virginia), as a
// table the pricing code reads. Source: the AWS Fargate pricing page
// (aws.amazon.com/fargate/pricing), as republished in 2026 by Vantage
// (vantage.sh/blog/fargate-pricing) and CloudBurn (cloudburn.io/blog/aws-fargate-pricing):
// Linux/x86 $0.04048 per vCPU-hour and $0.004445 per GB-hour; Linux/ARM
// $0.03238 and $0.00356; ephemeral storage above the 20 GiB included
// $0.000111 per GB-hour. FARGATE_SPOT has no fixed published price (it floats
// with spare capacity; AWS says "up to 70% off"): the table takes 70% off the
// on-demand rates, rounded (x86 $0.01214 per vCPU-hour, $0.00133 per GB-hour).
//
// The seed (aws-compute-services.txt): "you pay for the amount of vCPU and
// memory resources that your containerized application requests … from the
// time your container images are pulled until the Amazon ECS Task terminates".
// AWS rounds up to the second with a one-minute minimum.

export interface FargatePriceRow {
  /** USD per vCPU-hour. */
  vcpuHour: number
  /** USD per GB-hour of task memory. */
  gbHour: number
}

export const FARGATE_PRICES = {
  region: 'us-east-1',
  currency: 'USD',
  FARGATE: {
    X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
    ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 }
  },
  FARGATE_SPOT: {
    X86_64: { vcpuHour: 0.01214, gbHour: 0.00133 },
    ARM64: { vcpuHour: 0.00971, gbHour: 0.00107 }
  },
  /** USD per GB-hour of ephemeral storage above the included amount. */
  ephemeralStorageGbHour: 0.000111,
  includedEphemeralGiB: 20,
  minimumBilledSeconds: 60
} as const satisfies {
  region: string
  currency: string
  FARGATE: Record<'X86_64' | 'ARM64', FargatePriceRow>
  FARGATE_SPOT: Record<'X86_64' | 'ARM64', FargatePriceRow>
  ephemeralStorageGbHour: number
  includedEphemeralGiB: number
  minimumBilledSeconds: number
}
