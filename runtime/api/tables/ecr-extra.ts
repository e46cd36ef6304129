// ECR's layer, tagging, registry and lifecycle-preview operations (awsJson1_1),
// composed with ecrOperations() into ECR's table in services.ts. IAM actions
// are ecr:<Name> on the repository (DescribeRegistry: the registry, '*').

import type { Registry } from '../../../registry/index.js'
import type { Partition } from '../../aws/partition.js'
import type { Operation } from '../operation.js'
import { op, repository, repositoryArnOf, requestTags } from './ecr.js'

type Input = Record<string, any>


export function ecrExtraOperations(registry: Registry, p: Partition): Operation[] {
  return [
    op('BatchCheckLayerAvailability', {
      required: ['repositoryName', 'layerDigests'], authorize: repository(p, 'ecr:BatchCheckLayerAvailability'), call: (i) => registry.batchCheckLayerAvailability(i)
    }),
    op('InitiateLayerUpload', { required: ['repositoryName'], authorize: repository(p, 'ecr:InitiateLayerUpload'), call: (i) => registry.initiateLayerUpload(i) }),
    op('UploadLayerPart', {
      required: ['repositoryName', 'uploadId', 'partFirstByte', 'partLastByte', 'layerPartBlob'],
      blobs: ['layerPartBlob'],
      authorize: repository(p, 'ecr:UploadLayerPart'),
      call: (i) => registry.uploadLayerPart(i)
    }),
    op('CompleteLayerUpload', {
      required: ['repositoryName', 'uploadId', 'layerDigests'], authorize: repository(p, 'ecr:CompleteLayerUpload'), call: (i) => registry.completeLayerUpload(i)
    }),
    op('GetDownloadUrlForLayer', {
      required: ['repositoryName', 'layerDigest'], authorize: repository(p, 'ecr:GetDownloadUrlForLayer'), call: (i) => registry.getDownloadUrlForLayer(i)
    }),
    op('DescribeRegistry', { authorize: () => ({ action: 'ecr:DescribeRegistry', resources: ['*'] }), call: () => registry.describeRegistry() }),
    op('TagResource', {
      required: ['resourceArn', 'tags'],
      authorize: (i: Input) => ({ action: 'ecr:TagResource', resources: [repositoryArnOf(p, i.resourceArn)], ...requestTags(i) }),
      call: (i) => registry.tagResource(i)
    }),
    op('UntagResource', {
      required: ['resourceArn', 'tagKeys'],
      authorize: (i: Input) => ({ action: 'ecr:UntagResource', resources: [repositoryArnOf(p, i.resourceArn)], ...(Array.isArray(i.tagKeys) ? { tagKeys: i.tagKeys.map(String) } : {}) }),
      call: (i) => registry.untagResource(i)
    }),
    op('ListTagsForResource', {
      required: ['resourceArn'], authorize: (i: Input) => ({ action: 'ecr:ListTagsForResource', resources: [repositoryArnOf(p, i.resourceArn)] }), call: (i) => registry.listTagsForResource(i)
    }),
    op('StartLifecyclePolicyPreview', {
      required: ['repositoryName'], authorize: repository(p, 'ecr:StartLifecyclePolicyPreview'), call: (i) => registry.startLifecyclePolicyPreview(i)
    })
  ]
}
