// Amazon ECS (awsJson1_1, X-Amz-Target AmazonEC2ContainerServiceV20141113)
// as a table: each operation is the EcsApi method of the same name, with the
// IAM action `ecs:<Name>` on the resources AWS's service authorization
// reference lists for it (`*` where it lists none) and the condition keys it
// names (ecs:cluster, ecs:task-definition, ecs:enable-execute-command…).
// Required members are the service model's (tests/runtime/api/models.test.ts
// checks them against @aws-sdk/client-ecs). The areas keep their times as
// epoch-ms numbers (the engine's clock); the table hands the protocol Dates,
// which go out as ECS's epoch seconds.

import type { Partition } from '../../aws/partition.js'
import type { EcsApi } from '../../ecs/api.js'
import { ECS_EXCEPTIONS } from '../../ecs/errors.js'
import { codedOf } from '../errors.js'
import { readOnlyByName, type Authorization, type CallContext, type Operation, type ServiceTable, type WireError } from '../operation.js'
import {
  capacityProviderArn, clusterArn, containerInstanceArn, each, requestTags, serviceArn, taggedArn, taskArn, taskDefinitionArn, taskSetArn
} from './ecs-resources.js'

export const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113'

type Input = Record<string, any>
type Keys = Record<string, string | string[]>

/** Every member of ECS's model that is a timestamp (epoch seconds on the wire). */
export const ECS_TIMESTAMP_MEMBERS: ReadonlySet<string> = new Set([
  'registeredAt', 'createdAt', 'startedAt', 'stoppedAt', 'finishedAt', 'updatedAt', 'deleteRequestedAt', 'expiresAt', 'lastUpdated',
  'lastStatusChange', 'lastStartedAt', 'expirationDate', 'pullStartedAt', 'pullStoppedAt', 'executionStoppedAt', 'connectivityAt',
  'stoppingAt', 'deregisteredAt', 'stabilityStatusAt'
])

/** A copy of an output with its timestamp members (epoch-ms numbers) as Dates; everything else as it is. */
export function ecsWireTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ecsWireTimes)
  if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = ECS_TIMESTAMP_MEMBERS.has(k) && typeof v === 'number' ? new Date(v) : ecsWireTimes(v)
  }
  return out
}

/** The IAM step of an operation: its action and resources, with the request's tags. */
type Authorize = (i: Input) => Omit<Authorization, 'action'>

type Method = keyof EcsApi

interface Spec {
  method: Method
  required?: readonly string[]
  authorize: Authorize
  /** What the service is given besides the input (the caller, for ExecuteCommand's session). */
  withCaller?: boolean
}

function operation(ecs: EcsApi, name: string, spec: Spec): Operation<Input> {
  const method = ecs[spec.method] as (input: Input, caller?: { principal: string }) => Promise<unknown>
  return {
    name,
    readOnly: readOnlyByName(name),
    ...(spec.required !== undefined ? { required: spec.required } : {}),
    authorize: (i) => ({ action: `ecs:${name}`, ...spec.authorize(i ?? {}) }),
    call: async (i, ctx: CallContext) => ecsWireTimes(await method.call(ecs, i ?? {}, spec.withCaller ? { principal: ctx.principal.arn } : undefined))
  }
}

/** The ECS operations of the Ecs service (every EcsApi method). */
export function ecsOperations(ecs: EcsApi, p: Partition): Operation[] {
  const any: Authorize = () => ({ resources: ['*'] })
  const cluster: Authorize = (i) => ({ resources: [clusterArn(p, i.cluster)] })
  const clusterKey = (i: Input): Keys => ({ 'ecs:cluster': clusterArn(p, i.cluster) })
  const serviceKey = (i: Input): Keys => ({ 'ecs:service': serviceArn(p, i.service, i.cluster) })
  const execKey = (i: Input): Keys => (typeof i.enableExecuteCommand === 'boolean' ? { 'ecs:enable-execute-command': String(i.enableExecuteCommand) } : {})
  const definitionKey = (i: Input): Keys => (i.taskDefinition !== undefined ? { 'ecs:task-definition': taskDefinitionArn(p, i.taskDefinition) } : {})
  const instances = (field: string): Authorize => (i) => ({
    resources: each(i[field], (v, f) => containerInstanceArn(p, v, i.cluster, f), field), context: clusterKey(i)
  })
  const specs: Array<[string, Spec]> = [
    // Clusters
    ['CreateCluster', { method: 'createCluster', authorize: (i) => ({ resources: [clusterArn(p, i.clusterName, 'clusterName')], ...requestTags(i) }) }],
    ['DescribeClusters', { method: 'describeClusters', authorize: (i) => ({ resources: each(i.clusters, (v, f) => clusterArn(p, v, f), 'clusters') }) }],
    ['ListClusters', { method: 'listClusters', authorize: any }],
    ['UpdateCluster', { method: 'updateCluster', required: ['cluster'], authorize: cluster }],
    ['UpdateClusterSettings', { method: 'updateClusterSettings', required: ['cluster', 'settings'], authorize: cluster }],
    ['PutClusterCapacityProviders', {
      method: 'putClusterCapacityProviders', required: ['cluster', 'capacityProviders', 'defaultCapacityProviderStrategy'], authorize: cluster
    }],
    ['DeleteCluster', { method: 'deleteCluster', required: ['cluster'], authorize: cluster }],
    // Container instances and attributes
    ['RegisterContainerInstance', { method: 'registerContainerInstance', authorize: (i) => ({ resources: [clusterArn(p, i.cluster)], ...requestTags(i) }) }],
    ['DeregisterContainerInstance', { method: 'deregisterContainerInstance', required: ['containerInstance'], authorize: cluster }],
    ['DescribeContainerInstances', { method: 'describeContainerInstances', required: ['containerInstances'], authorize: instances('containerInstances') }],
    ['ListContainerInstances', { method: 'listContainerInstances', authorize: cluster }],
    ['UpdateContainerInstancesState', {
      method: 'updateContainerInstancesState', required: ['containerInstances', 'status'], authorize: instances('containerInstances')
    }],
    ['PutAttributes', { method: 'putAttributes', required: ['attributes'], authorize: attributeTargets(p) }],
    ['DeleteAttributes', { method: 'deleteAttributes', required: ['attributes'], authorize: attributeTargets(p) }],
    ['ListAttributes', { method: 'listAttributes', required: ['targetType'], authorize: cluster }],
    // Capacity providers
    ['CreateCapacityProvider', { method: 'createCapacityProvider', required: ['name'], authorize: (i) => ({ resources: ['*'], ...requestTags(i) }) }],
    ['DescribeCapacityProviders', {
      method: 'describeCapacityProviders', authorize: (i) => ({ resources: each(i.capacityProviders, (v, f) => capacityProviderArn(p, v, f), 'capacityProviders') })
    }],
    ['UpdateCapacityProvider', { method: 'updateCapacityProvider', required: ['name'], authorize: (i) => ({ resources: [capacityProviderArn(p, i.name, 'name')] }) }],
    ['DeleteCapacityProvider', {
      method: 'deleteCapacityProvider', required: ['capacityProvider'], authorize: (i) => ({ resources: [capacityProviderArn(p, i.capacityProvider)] })
    }],
    // Tags
    ['TagResource', { method: 'tagResource', required: ['resourceArn', 'tags'], authorize: (i) => ({ resources: [taggedArn(p, i.resourceArn)], ...requestTags(i) }) }],
    ['UntagResource', {
      method: 'untagResource', required: ['resourceArn', 'tagKeys'],
      authorize: (i) => ({ resources: [taggedArn(p, i.resourceArn)], ...(Array.isArray(i.tagKeys) ? { tagKeys: i.tagKeys.map(String) } : {}) })
    }],
    ['ListTagsForResource', { method: 'listTagsForResource', required: ['resourceArn'], authorize: (i) => ({ resources: [taggedArn(p, i.resourceArn)] }) }],
    // Task definitions
    ['RegisterTaskDefinition', { method: 'registerTaskDefinition', required: ['family', 'containerDefinitions'], authorize: (i) => ({ resources: ['*'], ...requestTags(i) }) }],
    ['DescribeTaskDefinition', { method: 'describeTaskDefinition', required: ['taskDefinition'], authorize: any }],
    ['ListTaskDefinitions', { method: 'listTaskDefinitions', authorize: any }],
    ['ListTaskDefinitionFamilies', { method: 'listTaskDefinitionFamilies', authorize: any }],
    ['DeregisterTaskDefinition', { method: 'deregisterTaskDefinition', required: ['taskDefinition'], authorize: any }],
    ['DeleteTaskDefinitions', {
      method: 'deleteTaskDefinitions', required: ['taskDefinitions'],
      authorize: (i) => ({ resources: each(i.taskDefinitions, (v, f) => taskDefinitionArn(p, v, f), 'taskDefinitions') })
    }],
    // Tasks
    ['RunTask', {
      method: 'runTask', required: ['taskDefinition'],
      authorize: (i) => ({
        resources: [taskDefinitionArn(p, i.taskDefinition)], ...requestTags(i),
        context: { ...clusterKey(i), ...execKey(i), ...capacityKey(i) }
      })
    }],
    ['StartTask', {
      method: 'startTask', required: ['containerInstances', 'taskDefinition'],
      authorize: (i) => ({
        resources: [taskDefinitionArn(p, i.taskDefinition)], ...requestTags(i),
        context: { ...clusterKey(i), ...execKey(i), 'ecs:container-instances': each(i.containerInstances, (v, f) => containerInstanceArn(p, v, i.cluster, f), 'containerInstances') }
      })
    }],
    ['StopTask', { method: 'stopTask', required: ['task'], authorize: (i) => ({ resources: [taskArn(p, i.task, i.cluster)], context: clusterKey(i) }) }],
    ['DescribeTasks', {
      method: 'describeTasks', required: ['tasks'], authorize: (i) => ({ resources: each(i.tasks, (v, f) => taskArn(p, v, i.cluster, f), 'tasks'), context: clusterKey(i) })
    }],
    ['ListTasks', {
      method: 'listTasks',
      authorize: (i) => ({
        resources: i.containerInstance !== undefined ? [containerInstanceArn(p, i.containerInstance, i.cluster)] : ['*'], context: clusterKey(i)
      })
    }],
    // Services
    ['CreateService', {
      method: 'createService', required: ['serviceName'],
      authorize: (i) => ({
        resources: [serviceArn(p, i.serviceName, i.cluster, 'serviceName')], ...requestTags(i),
        context: { ...clusterKey(i), ...execKey(i), ...capacityKey(i), ...definitionKey(i) }
      })
    }],
    ['UpdateService', {
      method: 'updateService', required: ['service'],
      authorize: (i) => ({
        resources: [serviceArn(p, i.service, i.cluster)],
        context: { ...clusterKey(i), ...execKey(i), ...capacityKey(i), ...definitionKey(i) }
      })
    }],
    ['DeleteService', { method: 'deleteService', required: ['service'], authorize: (i) => ({ resources: [serviceArn(p, i.service, i.cluster)], context: clusterKey(i) }) }],
    ['DescribeServices', {
      method: 'describeServices', required: ['services'],
      authorize: (i) => ({ resources: each(i.services, (v, f) => serviceArn(p, v, i.cluster, f), 'services'), context: clusterKey(i) })
    }],
    ['ListServices', { method: 'listServices', authorize: (i) => ({ resources: ['*'], context: clusterKey(i) }) }],
    ['ListServicesByNamespace', { method: 'listServicesByNamespace', required: ['namespace'], authorize: any }],
    ['ListServiceDeployments', { method: 'listServiceDeployments', required: ['service'], authorize: (i) => ({ resources: [serviceArn(p, i.service, i.cluster)], context: clusterKey(i) }) }],
    ['DescribeServiceDeployments', { method: 'describeServiceDeployments', required: ['serviceDeploymentArns'], authorize: (i) => ({ resources: Array.isArray(i.serviceDeploymentArns) ? i.serviceDeploymentArns.map(String) : ['*'] }) }],
    ['StopServiceDeployment', { method: 'stopServiceDeployment', required: ['serviceDeploymentArn'], authorize: (i) => ({ resources: [String(i.serviceDeploymentArn)] }) }],
    // Task sets (EXTERNAL deployment controller): the service's ARN (ecs:service) and its task sets'
    ['CreateTaskSet', {
      method: 'createTaskSet', required: ['service', 'cluster', 'taskDefinition'],
      authorize: (i) => ({
        resources: [taskSetArn(p, undefined, i.service, i.cluster)], ...requestTags(i),
        context: { ...clusterKey(i), ...serviceKey(i), ...capacityKey(i), ...definitionKey(i) }
      })
    }],
    ['DescribeTaskSets', {
      method: 'describeTaskSets', required: ['cluster', 'service'],
      authorize: (i) => ({ resources: each(i.taskSets, (v, f) => taskSetArn(p, v, i.service, i.cluster, f), 'taskSets').map((r) => r === '*' ? taskSetArn(p, undefined, i.service, i.cluster) : r), context: { ...clusterKey(i), ...serviceKey(i) } })
    }],
    ['UpdateTaskSet', {
      method: 'updateTaskSet', required: ['cluster', 'service', 'taskSet', 'scale'],
      authorize: (i) => ({ resources: [taskSetArn(p, i.taskSet, i.service, i.cluster)], context: { ...clusterKey(i), ...serviceKey(i) } })
    }],
    ['UpdateServicePrimaryTaskSet', {
      method: 'updateServicePrimaryTaskSet', required: ['cluster', 'service', 'primaryTaskSet'],
      authorize: (i) => ({ resources: [taskSetArn(p, i.primaryTaskSet, i.service, i.cluster, 'primaryTaskSet')], context: { ...clusterKey(i), ...serviceKey(i) } })
    }],
    ['DeleteTaskSet', {
      method: 'deleteTaskSet', required: ['cluster', 'service', 'taskSet'],
      authorize: (i) => ({ resources: [taskSetArn(p, i.taskSet, i.service, i.cluster)], context: { ...clusterKey(i), ...serviceKey(i) } })
    }],
    // ECS Exec
    ['ExecuteCommand', {
      method: 'executeCommand', required: ['command', 'interactive', 'task'], withCaller: true,
      authorize: (i) => ({
        resources: [clusterArn(p, i.cluster), taskArn(p, i.task, i.cluster)],
        context: { ...clusterKey(i), 'ecs:task': taskArn(p, i.task, i.cluster), ...(typeof i.container === 'string' ? { 'ecs:container-name': i.container } : {}) }
      })
    }]
  ]
  return specs.map(([name, spec]) => operation(ecs, name, spec))
}

/** PutAttributes / DeleteAttributes: the container instances the attributes target (targetId), in the request's cluster. */
function attributeTargets(p: Partition): Authorize {
  return (i) => {
    const attributes = Array.isArray(i.attributes) ? i.attributes : []
    const targets = attributes.flatMap((a: Input, at: number) => (a !== null && typeof a === 'object' && typeof a.targetId === 'string'
      ? [containerInstanceArn(p, a.targetId, i.cluster, `attributes[${at}].targetId`)]
      : []))
    return { resources: targets.length > 0 ? [...new Set(targets)] : [clusterArn(p, i.cluster)] }
  }
}

/** ecs:capacity-provider: the capacity providers a strategy names. */
function capacityKey(i: Input): Keys {
  const strategy = i.capacityProviderStrategy
  if (!Array.isArray(strategy)) return {}
  return { 'ecs:capacity-provider': strategy.flatMap((s: Input) => (s !== null && typeof s === 'object' && typeof s.capacityProvider === 'string' ? [s.capacityProvider] : [])) }
}

/** ECS's client exception for each error kind that has no exception of its own. */
const ECS_OF_KIND: Record<string, string> = {
  InvalidArgument: 'InvalidParameterException',
  NotFound: 'ClientException',
  Conflict: 'ClientException',
  LimitExceeded: 'LimitExceededException',
  AccessDenied: 'AccessDeniedException'
}

/**
 * An engine error as ECS sends it: a code that is one of ECS's exceptions goes
 * out as that `__type` (ServerException with 500, the rest 400, as the model
 * says); other coded errors by kind; anything else (and Internal, Unavailable) ServerException.
 */
export function ecsError(err: unknown): WireError {
  const coded = codedOf(err)
  const message = err instanceof Error ? err.message : String(err)
  if (coded === undefined) return { type: 'ServerException', status: 500, message }
  if (coded.code in ECS_EXCEPTIONS) return { type: coded.code, status: coded.code === 'ServerException' ? 500 : 400, message }
  const type = ECS_OF_KIND[coded.kind]
  if (type === undefined || coded.kind === 'Internal' || coded.kind === 'Unavailable') return { type: 'ServerException', status: 500, message }
  return { type, status: 400, message }
}

/** The ECS service as the table needs it: the API, and (optionally) the tags of a resource for aws:ResourceTag/<key>. */
export function ecsTable(operations: readonly Operation[] = [], ecs?: Pick<EcsApi, 'listTagsForResource'>): ServiceTable {
  return {
    signingName: 'ecs',
    eventSource: 'ecs.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [ECS_TARGET],
    operations,
    error: ecsError,
    invalid: (member, message) => ({ type: 'InvalidParameterException', status: 400, message: message || `${member} is required` }),
    ...(ecs !== undefined ? {
      resourceTags: async (resourceArn: string) => {
        try {
          const { tags } = await ecs.listTagsForResource({ resourceArn }) as { tags?: Array<{ key?: string; value?: string }> }
          if (!Array.isArray(tags) || tags.length === 0) return undefined
          return Object.fromEntries(tags.filter((t) => typeof t.key === 'string').map((t) => [t.key!, String(t.value ?? '')]))
        } catch {
          return undefined
        }
      }
    } : {})
  }
}
