// The AWS partition the engine answers as: partition name, account id and
// region. Every ARN and every event carries them, so they are decided once,
// at engine start, and handed to every service.

import { InvalidArgumentError } from '../errors.js'

export type PartitionName = 'aws' | 'aws-cn' | 'aws-us-gov'

export interface Partition {
  readonly partition: PartitionName
  readonly accountId: string
  readonly region: string
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/

/** The partition a region belongs to, as AWS assigns them. */
export function partitionOfRegion(region: string): PartitionName {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

export function makePartition(accountId = '000000000000', region = 'us-east-1'): Partition {
  if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) {
    throw new InvalidArgumentError('InvalidAccountId', `accountId must be 12 digits, got ${String(accountId)}`, { field: 'accountId' })
  }
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new InvalidArgumentError('InvalidRegion', `region must look like us-east-1, got ${String(region)}`, { field: 'region' })
  }
  return Object.freeze({ partition: partitionOfRegion(region), accountId, region })
}
