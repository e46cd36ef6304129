// Batch's tagging and scheduling-policy operations (restJson1, paths from the
// Batch service model), composed with batchOperations() into Batch's table
// in services.ts. IAM actions are batch:<Name> on the resources AWS's service
// authorization reference lists (the tagged resource; the policy).

import type { BatchService } from '../../batch/api.js'
import type { Partition } from '../../aws/partition.js'
import { arns } from '../../aws/arn.js'
import type { Authorization, Operation } from '../operation.js'

type Input = Record<string, any>

function policyArn(p: Partition, value: unknown): string {
  const v = String(value)
  return v.startsWith('arn:') ? v : arns.batch.schedulingPolicy(p, v)
}

function op(name: string, http: NonNullable<Operation['http']>, spec: Omit<Operation, 'name' | 'http' | 'readOnly'> & { readOnly?: boolean }): Operation {
  return { name, http, readOnly: spec.readOnly ?? /^(Describe|List|Get)/.test(name), ...spec }
}

function tagged(action: string, extra: (i: Input) => Partial<Authorization> = () => ({})) {
  return (i: Input): Authorization => ({ action, resources: [String(i.resourceArn)], ...extra(i) })
}

export function batchExtraOperations(batch: BatchService, p: Partition): Operation[] {
  const post = (path: string) => ({ method: 'POST' as const, path })
  return [
    op('TagResource', post('/v1/tags/{resourceArn}'), {
      required: ['resourceArn', 'tags'],
      authorize: tagged('batch:TagResource', (i) => (i.tags && typeof i.tags === 'object' ? { requestTags: i.tags, tagKeys: Object.keys(i.tags) } : {})),
      call: (i) => batch.tagResource(i)
    }),
    op('UntagResource', { method: 'DELETE', path: '/v1/tags/{resourceArn}', query: { tagKeys: 'tagKeys[]' } }, {
      required: ['resourceArn', 'tagKeys'],
      authorize: tagged('batch:UntagResource', (i) => (Array.isArray(i.tagKeys) ? { tagKeys: i.tagKeys.map(String) } : {})),
      call: (i) => batch.untagResource(i)
    }),
    op('ListTagsForResource', { method: 'GET', path: '/v1/tags/{resourceArn}' }, {
      required: ['resourceArn'], authorize: tagged('batch:ListTagsForResource'), call: (i) => batch.listTagsForResource(i)
    }),
    op('CreateSchedulingPolicy', post('/v1/createschedulingpolicy'), {
      required: ['name'],
      authorize: (i: Input) => ({
        action: 'batch:CreateSchedulingPolicy', resources: [policyArn(p, i.name)],
        ...(i.tags && typeof i.tags === 'object' ? { requestTags: i.tags, tagKeys: Object.keys(i.tags) } : {})
      }),
      call: (i) => batch.createSchedulingPolicy(i)
    }),
    op('UpdateSchedulingPolicy', post('/v1/updateschedulingpolicy'), {
      required: ['arn'], authorize: (i: Input) => ({ action: 'batch:UpdateSchedulingPolicy', resources: [policyArn(p, i.arn)] }), call: (i) => batch.updateSchedulingPolicy(i)
    }),
    op('DeleteSchedulingPolicy', post('/v1/deleteschedulingpolicy'), {
      required: ['arn'], authorize: (i: Input) => ({ action: 'batch:DeleteSchedulingPolicy', resources: [policyArn(p, i.arn)] }), call: (i) => batch.deleteSchedulingPolicy(i)
    }),
    op('DescribeSchedulingPolicies', post('/v1/describeschedulingpolicies'), {
      required: ['arns'],
      authorize: (i: Input) => ({ action: 'batch:DescribeSchedulingPolicies', resources: Array.isArray(i.arns) && i.arns.length > 0 ? i.arns.map((a: unknown) => policyArn(p, a)) : ['*'] }),
      call: (i) => batch.describeSchedulingPolicies(i)
    }),
    op('ListSchedulingPolicies', post('/v1/listschedulingpolicies'), {
      authorize: () => ({ action: 'batch:ListSchedulingPolicies', resources: ['*'] }), call: (i) => batch.listSchedulingPolicies(i ?? {})
    })
  ]
}

