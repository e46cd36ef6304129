// Attributes of container instances (targetType container-instance, the only
// target ECS has): PutAttributes, DeleteAttributes, ListAttributes. They live
// on the instance's node (cluster:nodes attributes), where placement
// constraints read them. ECS's rules: names up to 128 letters, digits,
// hyphens, underscores, slashes, backslashes and periods; values up to 128 of
// those plus @, colons and spaces (not at either end); at most 10 custom
// attributes per resource. Names of ECS's own (`ecs.`, `com.amazonaws.ecs.`)
// and Stratus's (`stratus.`) are not custom: they cannot be put or deleted.

import type { EcsContext } from './context.js'
import { EcsError, invalidParameter } from './errors.js'
import type { Attribute, DeleteAttributesRequest, ListAttributesRequest, PutAttributesRequest } from './model-clusters.js'
import { optionalList, pageSize } from './cluster-input.js'
import { getCluster } from './clusters.js'
import { CONTAINER_INSTANCES, findInstance, instanceIdOf, putInstance, type InstanceRecord } from './container-instances.js'

export const ATTRIBUTES_PER_RESOURCE = 10
const NAME = /^[A-Za-z0-9_./\\-]{1,128}$/
const VALUE = /^[A-Za-z0-9_./\\@: -]{1,128}$/
const RESERVED = ['ecs.', 'com.amazonaws.ecs.', 'stratus.']

/** Is this one of the attributes ECS or Stratus sets (not counted against the limit, not the user's to change)? */
export function isReserved(name: string): boolean {
  return RESERVED.some((p) => name.startsWith(p))
}

function checkOne(a: Attribute, at: string): { name: string; value?: string } {
  if (a === null || typeof a !== 'object') throw invalidParameter(at, `${at} must be an attribute object.`)
  if (typeof a.name !== 'string' || !NAME.test(a.name)) {
    throw invalidParameter(`${at}.name`, 'Attribute names can have up to 128 characters and can contain letters (uppercase and lowercase), numbers, hyphens, underscores, forward slashes, back slashes, or periods.', 128)
  }
  if (a.value !== undefined && a.value !== null) {
    if (typeof a.value !== 'string' || !VALUE.test(a.value) || a.value.trim() !== a.value) {
      throw invalidParameter(`${at}.value`, 'Attribute values can have up to 128 characters and can contain letters (uppercase and lowercase), numbers, hyphens, underscores, periods, at signs (@), forward slashes, back slashes, colons, or spaces. The value can\'t start or end with a space.', 128)
    }
  }
  if (a.targetType !== undefined && a.targetType !== null && a.targetType !== 'container-instance') {
    throw invalidParameter(`${at}.targetType`, 'The only supported target type is container-instance.')
  }
  return { name: a.name, ...(typeof a.value === 'string' ? { value: a.value } : {}) }
}

/** RegisterContainerInstance's attributes: checked as PutAttributes checks them (stratus.host allowed), as a map. */
export function checkAttributeList(value: unknown, field: string): Record<string, string> {
  const list = optionalList<Attribute>(value, field) ?? []
  const out: Record<string, string> = {}
  list.forEach((a, i) => {
    const one = checkOne(a, `${field}[${i}]`)
    if (isReserved(one.name) && one.name !== 'stratus.host') throw invalidParameter(`${field}[${i}].name`, `The attribute name ${one.name} is reserved.`)
    out[one.name] = one.value ?? ''
  })
  if (Object.keys(out).filter((n) => !isReserved(n)).length > ATTRIBUTES_PER_RESOURCE) {
    throw new EcsError('AttributeLimitExceededException', `You can apply up to ${ATTRIBUTES_PER_RESOURCE} custom attributes per resource.`, { field, limit: ATTRIBUTES_PER_RESOURCE })
  }
  return out
}

interface Targeted { id: string; attributes: Array<{ name: string; value?: string }>; given: Attribute[] }

/** Groups a request's attributes by target instance (targetId required, in the request's cluster). */
function byTarget(ctx: EcsContext, list: Attribute[] | undefined): Targeted[] {
  if (list === undefined || list.length === 0) throw invalidParameter('attributes', 'attributes can not be empty.')
  if (list.length > ATTRIBUTES_PER_RESOURCE) {
    throw new EcsError('AttributeLimitExceededException', `You can specify up to ${ATTRIBUTES_PER_RESOURCE} attributes in a single call.`, { field: 'attributes', limit: ATTRIBUTES_PER_RESOURCE })
  }
  const out = new Map<string, Targeted>()
  list.forEach((a, i) => {
    const at = `attributes[${i}]`
    const one = checkOne(a, at)
    if (isReserved(one.name)) throw invalidParameter(`${at}.name`, `The attribute name ${one.name} is reserved.`)
    if (a.targetId === undefined || a.targetId === null) throw invalidParameter(`${at}.targetId`, 'targetId is required for a container-instance attribute.')
    const id = instanceIdOf(ctx, a.targetId, `${at}.targetId`)
    const t = out.get(id) ?? { id, attributes: [], given: [] }
    t.attributes.push(one)
    t.given.push(a)
    out.set(id, t)
  })
  return [...out.values()]
}

function change(ctx: EcsContext, input: PutAttributesRequest | DeleteAttributesRequest, put: boolean): Attribute[] {
  const targets = byTarget(ctx, optionalList<Attribute>(input?.attributes, 'attributes'))
  return ctx.store.transaction((tx) => {
    const cluster = getCluster(ctx, input.cluster, 'cluster', tx)
    const name = String(cluster.cluster.clusterName)
    const out: Attribute[] = []
    for (const t of targets) {
      const found = findInstance(ctx, tx, name, t.id)
      if (found === undefined || found.node === undefined) {
        throw new EcsError('TargetNotFoundException', `Could not find ${t.given[0].targetId}. Verify that the container instance is in the cluster and try again.`, { field: 'attributes.targetId' })
      }
      const next: Record<string, string> = { ...found.node.attributes }
      for (const a of t.attributes) {
        if (put) next[a.name] = a.value ?? ''
        else delete next[a.name]
      }
      const custom = Object.keys(next).filter((n) => !isReserved(n)).length
      if (put && custom > ATTRIBUTES_PER_RESOURCE) {
        throw new EcsError('AttributeLimitExceededException', `You can apply up to ${ATTRIBUTES_PER_RESOURCE} custom attributes per resource.`, { field: 'attributes', limit: ATTRIBUTES_PER_RESOURCE })
      }
      const node = ctx.pools.setAttributes(tx, found.record.poolId, t.id, next)
      putInstance(ctx, tx, found.record, found.version, node)
      for (const a of t.attributes) out.push({ name: a.name, ...(a.value !== undefined ? { value: a.value } : {}), targetType: 'container-instance', targetId: found.record.containerInstanceArn })
    }
    return out
  })
}

function listAttributes(ctx: EcsContext, input: ListAttributesRequest) {
  const cluster = getCluster(ctx, input.cluster)
  const name = String(cluster.cluster.clusterName)
  if (input.targetType !== 'container-instance') throw invalidParameter('targetType', 'targetType is required and must be container-instance.')
  if (input.attributeValue !== undefined && input.attributeValue !== null && (input.attributeName === undefined || input.attributeName === null)) {
    throw invalidParameter('attributeName', 'attributeName is required when attributeValue is given.')
  }
  const max = pageSize(input.maxResults)
  const scope = `ecs:ListAttributes:${name}:${input.attributeName ?? ''}:${input.attributeValue ?? ''}`
  const after = input.nextToken === undefined || input.nextToken === null ? undefined : ctx.tokens.read(input.nextToken, scope, { code: 'InvalidParameterException' })
  const rows: Array<{ key: string; attribute: Attribute }> = []
  const instances = ctx.store.scan<InstanceRecord>(CONTAINER_INSTANCES, { index: { name: 'cluster', value: name } }).map((r) => r.value)
    .filter((r) => r.status !== 'INACTIVE').sort((a, b) => (a.id < b.id ? -1 : 1))
  for (const r of instances) {
    const node = ctx.pools.node(r.poolId, r.id)
    if (node === undefined) continue
    const all: Record<string, string> = { 'ecs.availability-zone': node.zone, 'ecs.instance-type': node.instanceType, ...node.attributes }
    for (const [n, v] of Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (input.attributeName && n !== input.attributeName) continue
      if (input.attributeValue && v !== input.attributeValue) continue
      rows.push({ key: `${r.id}\u0000${n}`, attribute: { name: n, ...(v !== '' ? { value: v } : {}), targetType: 'container-instance', targetId: r.containerInstanceArn } })
    }
  }
  const rest = after === undefined ? rows : rows.filter((r) => r.key > after)
  const page = rest.slice(0, max)
  return { attributes: page.map((r) => r.attribute), ...(rest.length > max ? { nextToken: ctx.tokens.issue(scope, page[page.length - 1].key) } : {}) }
}

export function attributeOperations(ctx: EcsContext) {
  return {
    putAttributes: async (input: PutAttributesRequest) => ({ attributes: change(ctx, input, true) }),
    deleteAttributes: async (input: DeleteAttributesRequest) => ({ attributes: change(ctx, input, false) }),
    listAttributes: async (input: ListAttributesRequest) => listAttributes(ctx, input ?? ({} as ListAttributesRequest))
  }
}
