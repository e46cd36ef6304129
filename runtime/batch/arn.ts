// ARNs in AWS's format, with the engine's account id and region.
export interface Partition {
  accountId: string
  region: string
}

export const batchArn = (p: Partition, resource: string) => `arn:aws:batch:${p.region}:${p.accountId}:${resource}`
export const jobArn = (p: Partition, jobId: string) => batchArn(p, `job/${jobId}`)
export const jobQueueArn = (p: Partition, name: string) => batchArn(p, `job-queue/${name}`)
export const computeEnvironmentArn = (p: Partition, name: string) => batchArn(p, `compute-environment/${name}`)
export const jobDefinitionArn = (p: Partition, name: string, revision: number) => batchArn(p, `job-definition/${name}:${revision}`)
export const ecsClusterArn = (p: Partition, name: string) => `arn:aws:ecs:${p.region}:${p.accountId}:cluster/${name}`
export const containerInstanceArn = (p: Partition, cluster: string, id: string) => `arn:aws:ecs:${p.region}:${p.accountId}:container-instance/${cluster}/${id}`

/** The name in an ARN of the given resource type, or the string itself when it is a plain name. */
export function nameFromArn(value: string, resource: string): string {
  const marker = `:${resource}/`
  const at = value.indexOf(marker)
  return value.startsWith('arn:') && at >= 0 ? value.slice(at + marker.length) : value
}
