// IAM around a call: the operation says which action on which resources;
// this adds the global condition keys (request tags, tag keys, source IP,
// time, transport) and, per resource, its tags and its resource-based policy,
// and asks the Authorizer once per resource. The first denial stops the call
// before anything changes. The principal's own keys are the Authorizer's.

import { AccessDeniedError } from '../errors.js'
import type { Operation, ServiceTable } from './operation.js'
import type { AuditEntry, Authorizer } from './security.js'
import type { RequestContext } from './call-context.js'

type ConditionValue = string | readonly string[] | number | boolean

/** The global condition keys of a request, the same for the API and the registry's /v2/. */
export function globalConditions(sourceIp: string, userAgent: string, now: number, region: string): Record<string, ConditionValue> {
  return {
    'aws:SourceIp': sourceIp,
    'aws:CurrentTime': new Date(now).toISOString(),
    'aws:EpochTime': Math.floor(now / 1000),
    // The endpoint is plain HTTP on loopback.
    'aws:SecureTransport': false,
    'aws:RequestedRegion': region,
    'aws:UserAgent': userAgent
  }
}

export async function authorizeCall(
  authorizer: Authorizer, table: ServiceTable, op: Operation, input: unknown, ctx: RequestContext, now: number, region: string
): Promise<void> {
  const wanted = op.authorize(input, ctx)
  const base = globalConditions(ctx.sourceIp, ctx.userAgent, now, region)
  if (wanted.requestTags !== undefined) {
    for (const key in wanted.requestTags) base[`aws:RequestTag/${key}`] = wanted.requestTags[key]
  }
  const tagKeys = wanted.tagKeys ?? (wanted.requestTags !== undefined ? Object.keys(wanted.requestTags) : undefined)
  if (tagKeys !== undefined) base['aws:TagKeys'] = tagKeys
  if (wanted.context !== undefined) Object.assign(base, wanted.context)
  for (const resource of wanted.resources) {
    let context = base
    let resourcePolicy: string | undefined
    if (resource !== '*') {
      const tags = table.resourceTags === undefined ? undefined : await table.resourceTags(resource)
      if (tags !== undefined) {
        context = { ...base }
        for (const key in tags) context[`aws:ResourceTag/${key}`] = tags[key]
      }
      resourcePolicy = table.resourcePolicy === undefined ? undefined : await table.resourcePolicy(resource)
    }
    const decision = authorizer.authorize({
      principal: ctx.principal, action: wanted.action, resource, context, ...(resourcePolicy !== undefined ? { resourcePolicy } : {})
    })
    if (!decision.allowed) throw new AccessDeniedError('AccessDenied', decision.message, { field: resource })
  }
}

/** What CloudTrail writes in place of a secret member of requestParameters. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS'

/** requestParameters as CloudTrail keeps them: the decoded input, blobs replaced by their length, secret members hidden. */
export function auditedInput(op: Operation, input: Record<string, unknown> | undefined): unknown {
  if (input === undefined) return null
  if (op.blobs === undefined && op.secretInputs === undefined) return input
  const copy: Record<string, unknown> = { ...input }
  for (const member of op.blobs ?? []) {
    const v = copy[member]
    if (v instanceof Uint8Array) copy[member] = v.length
  }
  for (const path of op.secretInputs ?? []) replacePath(copy, path.split('.'), HIDDEN)
  return copy
}

export type { AuditEntry }

/** responseElements as CloudTrail keeps them: the output without the members the operation declares secret. */
export function auditedOutput(op: Operation | undefined, output: unknown): unknown {
  if (op?.secretOutputs === undefined || output === null || typeof output !== 'object') return output
  const copy: Record<string, unknown> = { ...(output as Record<string, unknown>) }
  for (const path of op.secretOutputs) dropPath(copy, path.split('.'))
  return copy
}

/** Deletes obj[a][b]…[last], copying each object on the way so the caller's output (already sent) is not touched. */
function dropPath(obj: Record<string, unknown>, path: readonly string[]): void {
  editPath(obj, path, (parent, key) => { delete parent[key] })
}

/** Sets obj[a][b]…[last] to value where it is present, copying each object on the way (the caller's input is not touched). */
function replacePath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  editPath(obj, path, (parent, key) => { parent[key] = value })
}

function editPath(obj: Record<string, unknown>, path: readonly string[], edit: (parent: Record<string, unknown>, key: string) => void): void {
  const [head, ...rest] = path
  if (!(head in obj)) return
  if (rest.length === 0) {
    edit(obj, head)
    return
  }
  const inner = obj[head]
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return
  const copy = { ...(inner as Record<string, unknown>) }
  obj[head] = copy
  editPath(copy, rest, edit)
}
