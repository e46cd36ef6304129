// Batch's tagging and scheduling-policy operations (restJson1, paths from the
// Batch service model), composed with batchOperations() into Batch's table
// in services.ts. IAM actions are batch:<Name> on the resources AWS's service
// authorization reference lists (the tagged resource; the policy).

import type { BatchService } from '../../batch/api.js'
import type { Partition } from '../../aws/partition.js'
import { localId } from '../../aws/arn.js'
import { clientError } from '../../batch/validation.js'
import { readOnlyByName, type Authorization, type Operation } from '../operation.js'
import { schedulingPolicyArn } from './batch.js'

type Input = Record<string, any>

/** A tagged resource's ARN as IAM is asked about it: one of another partition, region, account or service is refused first. */
function taggedArn(p: Partition, value: unknown): string {
  const v = String(value)
  const named = v.startsWith('arn:') ? localId(p, 'batch', '', v) : undefined
  if (named !== undefined && 'refused' in named) throw clientError('resourceArn', named.refused)
  return v
}

function op(name: string, http: NonNullable<Operation['http']>, spec: Omit<Operation, 'name' | 'http' | 'readOnly'> & { readOnly?: boolean }): Operation {
  return { name, http, readOnly: spec.readOnly ?? readOnlyByName(name), ...spec }
}

function tagged(p: Partition, action: string, extra: (i: Input) => Partial<Authorization> = () => ({})) {
  return (i: Input): Authorization => ({ action, resources: [taggedArn(p, i.resourceArn)], ...extra(i) })
}

export function batchExtraOperations(batch: BatchService, p: Partition): Operation[] {
  const post = (path: string) => ({ method: 'POST' as const, path })
  return [
    op('TagResource', post('/v1/tags/{resourceArn}'), {
      required: ['resourceArn', 'tags'],
      authorize: tagged(p, 'batch:TagResource', (i) => (i.tags && typeof i.tags === 'object' ? { requestTags: i.tags, tagKeys: Object.keys(i.tags) } : {})),
      call: (i) => batch.tagResource(i)
    }),
    op('UntagResource', { method: 'DELETE', path: '/v1/tags/{resourceArn}', query: { tagKeys: 'tagKeys[]' } }, {
      required: ['resourceArn', 'tagKeys'],
      authorize: tagged(p, 'batch:UntagResource', (i) => (Array.isArray(i.tagKeys) ? { tagKeys: i.tagKeys.map(String) } : {})),
      call: (i) => batch.untagResource(i)
    }),
    op('ListTagsForResource', { method: 'GET', path: '/v1/tags/{resourceArn}' }, {
      required: ['resourceArn'], authorize: tagged(p, 'batch:ListTagsForResource'), call: (i) => batch.listTagsForResource(i)
    }),
    op('CreateSchedulingPolicy', post('/v1/createschedulingpolicy'), {
      required: ['name'],
      authorize: (i: Input) => ({
        action: 'batch:CreateSchedulingPolicy', resources: [schedulingPolicyArn(p, i.name, 'name')],
        ...(i.tags && typeof i.tags === 'object' ? { requestTags: i.tags, tagKeys: Object.keys(i.tags) } : {})
      }),
      call: (i) => batch.createSchedulingPolicy(i)
    }),
    op('UpdateSchedulingPolicy', post('/v1/updateschedulingpolicy'), {
      required: ['arn'], authorize: (i: Input) => ({ action: 'batch:UpdateSchedulingPolicy', resources: [schedulingPolicyArn(p, i.arn, 'arn')] }), call: (i) => batch.updateSchedulingPolicy(i)
    }),
    op('DeleteSchedulingPolicy', post('/v1/deleteschedulingpolicy'), {
      required: ['arn'], authorize: (i: Input) => ({ action: 'batch:DeleteSchedulingPolicy', resources: [schedulingPolicyArn(p, i.arn, 'arn')] }), call: (i) => batch.deleteSchedulingPolicy(i)
    }),
    op('DescribeSchedulingPolicies', post('/v1/describeschedulingpolicies'), {
      required: ['arns'],
      authorize: (i: Input) => ({ action: 'batch:DescribeSchedulingPolicies', resources: Array.isArray(i.arns) && i.arns.length > 0 ? i.arns.map((a: unknown) => schedulingPolicyArn(p, a, 'arns')) : ['*'] }),
      call: (i) => batch.describeSchedulingPolicies(i)
    }),
    op('ListSchedulingPolicies', post('/v1/listschedulingpolicies'), {
      authorize: () => ({ action: 'batch:ListSchedulingPolicies', resources: ['*'] }), call: (i) => batch.listSchedulingPolicies(i ?? {})
    })
  ]
}

