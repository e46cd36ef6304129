// DescribeComputeEnvironments and DescribeJobQueues answer alike: by up to
// 100 names or ARNs (unknown ones left out, as on AWS), or a page of every
// record in key order, resumed by a page token.

import type { BatchContext } from './context.js'
import { checkInteger, clientError, localName } from './validation.js'

export interface DescribeInput {
  maxResults?: number
  nextToken?: string
}

export interface DescribeOf<R, D> {
  collection: string
  /** The ARN resource type (compute-environment, job-queue). */
  resourceType: string
  /** The request's list field (computeEnvironments, jobQueues). */
  field: string
  /** The operation: page tokens are bound to it. */
  scope: string
  detail: (record: R) => D
}

export function describeByNameOrPage<R, D>(ctx: BatchContext, of: DescribeOf<R, D>, names: unknown, input: DescribeInput): { items: D[]; nextToken?: string } {
  const max = input.maxResults === undefined ? 100 : checkInteger(input.maxResults, 'maxResults', 1, 100)
  if (names !== undefined) {
    if (!Array.isArray(names)) throw clientError(of.field, 'must be a list of names or ARNs')
    if (names.length > 100) throw clientError(of.field, `at most 100, got ${names.length}`, 100)
    const items: D[] = []
    for (const value of names) {
      const found = typeof value === 'string' && value.length > 0 ? ctx.store.get<R>(of.collection, localName(ctx.partition, value, of.resourceType, of.field)) : undefined
      if (found !== undefined) items.push(of.detail(found.value))
    }
    return { items }
  }
  const after = input.nextToken === undefined ? undefined : ctx.tokens.read(input.nextToken, of.scope, { code: 'ClientException' })
  const page = ctx.store.scan<R>(of.collection, { after, limit: max + 1 })
  const more = page.length > max
  const shown = more ? page.slice(0, max) : page
  return {
    items: shown.map((r) => of.detail(r.value)),
    ...(more ? { nextToken: ctx.tokens.issue(of.scope, shown[shown.length - 1].key) } : {})
  }
}
