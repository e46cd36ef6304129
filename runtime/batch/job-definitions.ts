// Job definitions: RegisterJobDefinition (a new revision each time),
// DeregisterJobDefinition (the revision becomes INACTIVE: no new jobs) and
// DescribeJobDefinitions. A reference is a name (its latest ACTIVE revision),
// name:revision, or an ARN.

import { arns } from '../aws/arn.js'
import type { Partition } from '../aws/partition.js'
import { NotFoundError } from '../errors.js'
import type { StoreReader } from '../store/store.js'
import type { BatchContext } from './context.js'
import type {
  ContainerProperties, DeregisterJobDefinitionRequest, NodeProperties, DescribeJobDefinitionsRequest, DescribeJobDefinitionsResponse, JobDefinition, JobTimeout,
  RegisterJobDefinitionRequest, RegisterJobDefinitionResponse, ResourceRequirement
} from './model.js'
import { DEFINITIONS, definitionKey } from './records.js'
import { validateRetryStrategy } from './retry.js'
import { LIMITS, checkInteger, checkName, checkStringRecord, checkTags, clientError, localName } from './validation.js'
import { checkContainerProperties } from './container-properties.js'
import { checkNodeProperties } from './node-properties.js'

export function resource(reqs: ResourceRequirement[] | undefined, type: ResourceRequirement['type']): number | undefined {
  const r = Array.isArray(reqs) ? reqs.find((x) => x?.type === type) : undefined
  return r === undefined ? undefined : Number(r.value)
}

export function checkTimeout(timeout: JobTimeout | undefined, field: string): number | undefined {
  if (timeout === undefined) return undefined
  if (timeout === null || typeof timeout !== 'object' || Array.isArray(timeout)) throw clientError(field, 'must be an object { attemptDurationSeconds }')
  if (timeout.attemptDurationSeconds === undefined) return undefined
  return checkInteger(timeout.attemptDurationSeconds, `${field}.attemptDurationSeconds`, LIMITS.minTimeoutSeconds, 14 * 24 * 3600)
}

/**
 * name (latest ACTIVE revision), name:revision, or an ARN. Deregistering and
 * describing by reference name one revision: a bare name is refused there
 * (`revision: 'required'`), as AWS does.
 */
export function readDefinition(p: Partition, reader: StoreReader, reference: unknown, field: string, options: { revision?: 'required' } = {}): JobDefinition {
  if (typeof reference !== 'string' || reference.length === 0) throw clientError(field, 'must name a job definition')
  const plain = localName(p, reference, 'job-definition', field)
  const [name, rev] = plain.split(':')
  if (rev === undefined && options.revision === 'required') throw clientError(field, `must be name:revision or a job definition ARN, got ${reference}`)
  let def: JobDefinition | undefined
  if (rev === undefined) {
    const revisions = reader.scan<JobDefinition>(DEFINITIONS, { prefix: `${name}:` })
    def = revisions.map((r) => r.value).filter((d) => d.status === 'ACTIVE').at(-1)
  } else if (/^\d+$/.test(rev)) {
    def = reader.get<JobDefinition>(DEFINITIONS, definitionKey(name, Number(rev)))?.value
  }
  if (def === undefined) throw new NotFoundError('ClientException', `${field}: job definition ${reference} does not exist`, { field })
  return def
}

export function registerJobDefinition(ctx: BatchContext, input: RegisterJobDefinitionRequest): RegisterJobDefinitionResponse {
  const name = checkName(input?.jobDefinitionName, 'jobDefinitionName')
  const type = input.type ?? 'container'
  if (type !== 'container' && type !== 'multinode') throw clientError('type', `must be container or multinode, got ${String(input.type)}`)
  const platformCapabilities = input.platformCapabilities ?? ['EC2']
  if (!Array.isArray(platformCapabilities) || platformCapabilities.length === 0 || platformCapabilities.some((p) => p !== 'EC2' && p !== 'FARGATE')) {
    throw clientError('platformCapabilities', 'must be a list of EC2 or FARGATE')
  }
  let containerProperties: ContainerProperties | undefined
  let nodeProperties: NodeProperties | undefined
  if (type === 'container') {
    if (input.nodeProperties !== undefined) throw clientError('nodeProperties', 'applies to multinode job definitions only (type multinode)')
    const command = checkContainerProperties(input.containerProperties, 'containerProperties')
    containerProperties = { ...structuredClone(input.containerProperties!), command }
  } else {
    if (input.containerProperties !== undefined) throw clientError('containerProperties', 'a multinode job definition gives each node range its container (nodeProperties.nodeRangeProperties[].container)')
    // AWS Fargate does not run multi-node parallel jobs.
    if (platformCapabilities.includes('FARGATE')) throw clientError('platformCapabilities', 'multi-node parallel jobs run on EC2 only (Fargate does not support them)')
    nodeProperties = checkNodeProperties(input.nodeProperties)
  }
  validateRetryStrategy(input.retryStrategy, 'retryStrategy')
  checkTimeout(input.timeout, 'timeout')
  const parameters = checkStringRecord(input.parameters, 'parameters')
  const tags = checkTags(input.tags, 'tags')
  return ctx.store.transaction((tx) => {
    const latest = tx.scan<JobDefinition>(DEFINITIONS, { prefix: `${name}:` }).at(-1)
    const revision = (latest?.value.revision ?? 0) + 1
    const definition: JobDefinition = {
      jobDefinitionName: name,
      jobDefinitionArn: arns.batch.jobDefinition(ctx.partition, name, revision),
      revision,
      status: 'ACTIVE',
      type,
      parameters,
      ...(input.retryStrategy ? { retryStrategy: structuredClone(input.retryStrategy) } : {}),
      ...(containerProperties ? { containerProperties } : {}),
      ...(nodeProperties ? { nodeProperties } : {}),
      ...(input.timeout ? { timeout: { ...input.timeout } } : {}),
      ...(tags ? { tags } : {}),
      ...(input.propagateTags !== undefined ? { propagateTags: input.propagateTags } : {}),
      platformCapabilities: [...platformCapabilities],
      containerOrchestrationType: 'ECS'
    }
    tx.put(DEFINITIONS, definitionKey(name, revision), definition, 0)
    return { jobDefinitionName: name, jobDefinitionArn: definition.jobDefinitionArn, revision }
  })
}

export function deregisterJobDefinition(ctx: BatchContext, input: DeregisterJobDefinitionRequest): void {
  ctx.store.transaction((tx) => {
    const def = readDefinition(ctx.partition, tx, input?.jobDefinition, 'jobDefinition', { revision: 'required' })
    const key = definitionKey(def.jobDefinitionName, def.revision)
    const current = tx.get<JobDefinition>(DEFINITIONS, key)!
    tx.put(DEFINITIONS, key, { ...current.value, status: 'INACTIVE' }, current.version)
  })
}

export function describeJobDefinitions(ctx: BatchContext, input: DescribeJobDefinitionsRequest = {}): DescribeJobDefinitionsResponse {
  const max = input.maxResults === undefined ? 100 : checkInteger(input.maxResults, 'maxResults', 1, 100)
  if (input.status !== undefined && input.status !== 'ACTIVE' && input.status !== 'INACTIVE') throw clientError('status', `must be ACTIVE or INACTIVE, got ${String(input.status)}`)
  if (input.jobDefinitions !== undefined) {
    if (!Array.isArray(input.jobDefinitions)) throw clientError('jobDefinitions', 'must be a list of name:revision or ARNs')
    if (input.jobDefinitions.length > 100) throw clientError('jobDefinitions', `at most 100, got ${input.jobDefinitions.length}`, 100)
    const out: JobDefinition[] = []
    for (const reference of input.jobDefinitions) {
      try {
        const def = readDefinition(ctx.partition, ctx.store, reference, 'jobDefinitions', { revision: 'required' })
        if (input.status === undefined || def.status === input.status) out.push(structuredClone(def))
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error
      }
    }
    return { jobDefinitions: out }
  }
  const name = input.jobDefinitionName
  if (name !== undefined) checkName(name, 'jobDefinitionName')
  const scope = `DescribeJobDefinitions|${name ?? ''}|${input.status ?? ''}`
  let after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'ClientException' })
  const out: JobDefinition[] = []
  let last: string | undefined
  // Filtered by status: scan in pages until the page is full or the definitions end.
  for (;;) {
    const page = ctx.store.scan<JobDefinition>(DEFINITIONS, { ...(name !== undefined ? { prefix: `${name}:` } : {}), after, limit: max + 1 })
    for (const r of page) {
      if (out.length === max) return { jobDefinitions: out, nextToken: ctx.tokens.issue(scope, last!) }
      last = r.key
      if (input.status === undefined || r.value.status === input.status) out.push(structuredClone(r.value))
    }
    if (page.length <= max) return { jobDefinitions: out }
    after = page[page.length - 1].key
    if (out.length === max) return { jobDefinitions: out, nextToken: ctx.tokens.issue(scope, last!) }
  }
}
