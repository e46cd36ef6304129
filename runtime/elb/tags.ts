// Tags of load balancers, target groups, listeners and rules: AddTags,
// RemoveTags, DescribeTags (up to 20 resources per call). Tags live in each
// resource's record; one call is one transaction (all resources or none).

import type { Transaction } from '../store/store.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkTags, kindOfArn, notFound, requireList, requireString, type ResourceKind } from './input.js'
import type { AddTagsInput, DescribeTagsInput, DescribeTagsOutput, Empty, RemoveTagsInput, Tag } from './model.js'
import { LISTENERS, LOAD_BALANCERS, RULES, TARGET_GROUPS } from './records.js'

const COLLECTION: Record<ResourceKind, string> = { loadbalancer: LOAD_BALANCERS, targetgroup: TARGET_GROUPS, listener: LISTENERS, 'listener-rule': RULES }

function checkResources(ctx: ElbContext, value: unknown): Array<{ arn: string; kind: ResourceKind; field: string }> {
  const list = requireList<string>(value, 'ResourceArns')
  if (list.length === 0) throw validation('ResourceArns', 'At least one resource ARN must be specified', 1)
  if (list.length > 20) throw validation('ResourceArns', 'At most 20 resource ARNs can be specified', 20)
  return list.map((a, i) => {
    const field = `ResourceArns[${i}]`
    const arn = requireString(a, field)
    const kind = kindOfArn(ctx, arn)
    if (kind === undefined) throw validation(field, `'${arn}' is not a valid load balancer, target group, listener or rule ARN`)
    return { arn, kind, field }
  })
}

function withTags(tx: Transaction, r: { arn: string; kind: ResourceKind; field: string }, change: (tags: Tag[]) => Tag[]): void {
  const coll = COLLECTION[r.kind]
  const found = tx.get<{ tags: Tag[] }>(coll, r.arn)
  if (found === undefined) throw notFound(r.kind, r.field)
  tx.put(coll, r.arn, { ...found.value, tags: change(found.value.tags) }, found.version)
}

export function tagOperations(ctx: ElbContext) {
  return {
    async addTags(input: AddTagsInput): Promise<Empty> {
      const resources = checkResources(ctx, input.ResourceArns)
      const tags = checkTags(ctx, input.Tags, 'Tags')
      if (tags.length === 0) throw validation('Tags', 'At least one tag must be specified', 1)
      ctx.store.transaction((tx) => {
        for (const r of resources) {
          withTags(tx, r, (current) => {
            const next = [...current.filter((t) => !tags.some((n) => n.Key === t.Key)), ...tags]
            if (next.length > ctx.quotas.tagsPerResource) {
              throw new Elbv2Error('TooManyTags', `The quota for the number of tags that can be assigned to a resource (${ctx.quotas.tagsPerResource}) has been reached for '${r.arn}'`, { field: r.field, limit: ctx.quotas.tagsPerResource })
            }
            return next
          })
        }
      })
      return {}
    },

    async removeTags(input: RemoveTagsInput): Promise<Empty> {
      const resources = checkResources(ctx, input.ResourceArns)
      const keys = requireList<string>(input.TagKeys, 'TagKeys').map((k, i) => requireString(k, `TagKeys[${i}]`))
      ctx.store.transaction((tx) => {
        for (const r of resources) withTags(tx, r, (current) => current.filter((t) => !keys.includes(t.Key)))
      })
      return {}
    },

    async describeTags(input: DescribeTagsInput): Promise<DescribeTagsOutput> {
      const resources = checkResources(ctx, input.ResourceArns)
      return {
        TagDescriptions: resources.map((r) => {
          const found = ctx.store.get<{ tags: Tag[] }>(COLLECTION[r.kind], r.arn)
          if (found === undefined) throw notFound(r.kind, r.field)
          return { ResourceArn: r.arn, Tags: found.value.tags }
        })
      }
    }
  }
}
