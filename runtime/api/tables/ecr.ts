// Amazon ECR (awsJson1_1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921)
// as a table: each operation is the Registry method of the same name, with
// the IAM action `ecr:<Name>` on the repository it touches. Required members
// are the model's. RegistryError codes are ECR exception names already
// (every ECR exception is a 400 in its model but ServerException, 500); the
// OCI codes the content layer raises map to their ECR counterparts.

import { LAYER_LIMITS, type Registry } from '../../../registry/index.js'
import { RegistryError, invalidParameter } from '../../../registry/errors.js'
import { StratusError } from '../../errors.js'
import type { Partition } from '../../aws/partition.js'
import { arns, localId } from '../../aws/arn.js'
import { readOnlyByName, type Authorization, type Operation, type ServiceTable, type WireError } from '../operation.js'

type Input = Record<string, any>

export const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921'

/**
 * A resourceArn member as IAM is asked about it: a repository ARN of this
 * partition, region and account, rebuilt from its name. Any other ARN (of
 * another account or region, even one ending in a local repository's name)
 * is refused naming the member before IAM or a repository policy is asked.
 */
export function repositoryArnOf(p: Partition, value: unknown, field = 'resourceArn'): string {
  const v = String(value)
  if (!v.startsWith('arn:')) throw invalidParameter(field, `must be a repository ARN (${arns.ecr.repository(p, '<name>')}), got ${v.slice(0, 300)}`)
  const named = localId(p, 'ecr', 'repository/', v)
  if ('refused' in named) throw invalidParameter(field, named.refused)
  return arns.ecr.repository(p, named.id)
}

/**
 * registryId (registryIds), where a request gives it, must be this account:
 * the engine holds one registry, and a call naming another account's must not
 * act on the local repository of the same name.
 */
function checkRegistryId(p: Partition, input: unknown): void {
  if (input === null || typeof input !== 'object') return
  const i = input as Input
  const ids: Array<[string, unknown]> = i.registryId !== undefined ? [['registryId', i.registryId]] : []
  if (Array.isArray(i.registryIds)) i.registryIds.forEach((id: unknown, at: number) => ids.push([`registryIds[${at}]`, id]))
  for (const [field, id] of ids) {
    if (id !== p.accountId) throw invalidParameter(field, `${String(id).slice(0, 64)} is not this registry (${p.accountId}); the engine holds one registry`)
  }
}

/**
 * An UploadLayerPart of the part size InitiateLayerUpload advertises (20 MiB) is 4/3 of it as
 * base64 in the JSON body, with the other members beside it: past the router's default 10 MiB.
 */
export const ECR_MAX_BODY_BYTES = Math.ceil(LAYER_LIMITS.partBytes / 3) * 4 + 1024 * 1024

export function repository(p: Partition, action: string) {
  return (i: Input): Authorization => ({ action, resources: [arns.ecr.repository(p, String(i.repositoryName))] })
}

/** ECR's tag list ([{ Key, Value }]) as aws:RequestTag values. */
export function requestTags(i: Input): Pick<Authorization, 'requestTags'> {
  if (!Array.isArray(i.tags)) return {}
  const tags: Record<string, string> = {}
  for (const t of i.tags) if (t !== null && typeof t === 'object' && typeof t.Key === 'string') tags[t.Key] = String(t.Value ?? '')
  return { requestTags: tags }
}

export function op(name: string, spec: Omit<Operation, 'name' | 'readOnly'> & { readOnly?: boolean }): Operation {
  return { name, readOnly: spec.readOnly ?? readOnlyByName(name), ...spec }
}

/** The ECR operations of the Registry. */
export function ecrOperations(registry: Registry, p: Partition): Operation[] {
  return [
    op('CreateRepository', {
      required: ['repositoryName'],
      authorize: (i: Input) => ({ ...repository(p, 'ecr:CreateRepository')(i), ...requestTags(i) }),
      call: (i) => registry.createRepository(i)
    }),
    op('DeleteRepository', { required: ['repositoryName'], authorize: repository(p, 'ecr:DeleteRepository'), call: (i) => registry.deleteRepository(i) }),
    op('DescribeRepositories', {
      authorize: (i: Input) => ({
        action: 'ecr:DescribeRepositories',
        resources: Array.isArray(i.repositoryNames) && i.repositoryNames.length > 0 ? i.repositoryNames.map((n: unknown) => arns.ecr.repository(p, String(n))) : ['*']
      }),
      call: (i) => registry.describeRepositories(i)
    }),
    op('ListImages', { required: ['repositoryName'], authorize: repository(p, 'ecr:ListImages'), call: (i) => registry.listImages(i) }),
    op('DescribeImages', { required: ['repositoryName'], authorize: repository(p, 'ecr:DescribeImages'), call: (i) => registry.describeImages(i) }),
    op('BatchGetImage', { required: ['repositoryName', 'imageIds'], authorize: repository(p, 'ecr:BatchGetImage'), call: (i) => registry.batchGetImage(i) }),
    op('BatchDeleteImage', { required: ['repositoryName', 'imageIds'], authorize: repository(p, 'ecr:BatchDeleteImage'), call: (i) => registry.batchDeleteImage(i) }),
    op('PutImage', { required: ['repositoryName', 'imageManifest'], authorize: repository(p, 'ecr:PutImage'), call: (i) => registry.putImage(i) }),
    op('PutImageTagMutability', {
      required: ['repositoryName', 'imageTagMutability'], authorize: repository(p, 'ecr:PutImageTagMutability'), call: (i) => registry.putImageTagMutability(i)
    }),
    op('PutImageScanningConfiguration', {
      required: ['repositoryName', 'imageScanningConfiguration'],
      authorize: repository(p, 'ecr:PutImageScanningConfiguration'),
      call: (i) => registry.putImageScanningConfiguration(i)
    }),
    op('PutLifecyclePolicy', {
      required: ['repositoryName', 'lifecyclePolicyText'], authorize: repository(p, 'ecr:PutLifecyclePolicy'), call: (i) => registry.putLifecyclePolicy(i)
    }),
    op('GetLifecyclePolicy', { required: ['repositoryName'], authorize: repository(p, 'ecr:GetLifecyclePolicy'), call: (i) => registry.getLifecyclePolicy(i) }),
    op('DeleteLifecyclePolicy', { required: ['repositoryName'], authorize: repository(p, 'ecr:DeleteLifecyclePolicy'), call: (i) => registry.deleteLifecyclePolicy(i) }),
    op('GetLifecyclePolicyPreview', {
      required: ['repositoryName'], authorize: repository(p, 'ecr:GetLifecyclePolicyPreview'), call: (i) => registry.getLifecyclePolicyPreview(i)
    }),
    op('SetRepositoryPolicy', { required: ['repositoryName', 'policyText'], authorize: repository(p, 'ecr:SetRepositoryPolicy'), call: (i) => registry.setRepositoryPolicy(i) }),
    op('GetRepositoryPolicy', { required: ['repositoryName'], authorize: repository(p, 'ecr:GetRepositoryPolicy'), call: (i) => registry.getRepositoryPolicy(i) }),
    op('DeleteRepositoryPolicy', { required: ['repositoryName'], authorize: repository(p, 'ecr:DeleteRepositoryPolicy'), call: (i) => registry.deleteRepositoryPolicy(i) }),
    op('GetAuthorizationToken', { readOnly: true, authorize: () => ({ action: 'ecr:GetAuthorizationToken', resources: ['*'] }), call: (_input, ctx) => registry.getAuthorizationToken({ principal: ctx.principal.arn }) })
  ]
}

/** The OCI distribution codes the content layer raises, as ECR's exceptions. */
const ECR_OF_OCI: Record<string, string> = {
  NAME_INVALID: 'InvalidParameterException',
  NAME_UNKNOWN: 'RepositoryNotFoundException',
  MANIFEST_UNKNOWN: 'ImageNotFoundException',
  MANIFEST_INVALID: 'InvalidParameterException',
  MANIFEST_BLOB_UNKNOWN: 'LayersNotFoundException',
  BLOB_UNKNOWN: 'LayersNotFoundException',
  BLOB_UPLOAD_UNKNOWN: 'UploadNotFoundException',
  BLOB_UPLOAD_INVALID: 'InvalidLayerException',
  DIGEST_INVALID: 'ImageDigestDoesNotMatchException',
  SIZE_INVALID: 'InvalidLayerException',
  UNSUPPORTED: 'UnsupportedImageTypeException',
  TOOMANYREQUESTS: 'LimitExceededException'
}

const ECR_OF_KIND: Record<string, string> = {
  NotFound: 'RepositoryNotFoundException',
  InvalidArgument: 'InvalidParameterException',
  Conflict: 'InvalidParameterException',
  LimitExceeded: 'LimitExceededException',
  Unsupported: 'UnsupportedImageTypeException'
}

export function ecrError(err: unknown): WireError {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof RegistryError || err instanceof StratusError) {
    const kind = err.kind as string
    if (kind === 'AccessDenied' || kind === 'Forbidden' || kind === 'Unauthorized') return { type: 'AccessDeniedException', status: 403, message }
    if (err instanceof RegistryError && err.code.endsWith('Exception')) {
      // ECR's own exceptions carry their model's members in detail (where an upload resumes…).
      const members = typeof err.detail === 'object' && err.detail !== null ? err.detail as Record<string, unknown> : undefined
      return { type: err.code, status: err.code === 'ServerException' ? 500 : 400, message, ...(members !== undefined ? { members } : {}) }
    }
    const type = (err instanceof RegistryError ? ECR_OF_OCI[err.code] : undefined) ?? ECR_OF_KIND[kind]
    if (type !== undefined) return { type, status: 400, message }
  }
  return { type: 'ServerException', status: 500, message }
}

export function ecrTable(registry: Registry, p: Partition, operations: readonly Operation[] = ecrOperations(registry, p)): ServiceTable {
  return {
    signingName: 'ecr',
    eventSource: 'ecr.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [ECR_TARGET],
    // Every operation refuses another account's registryId before IAM is asked.
    operations: operations.map((o) => ({ ...o, authorize: (input, ctx) => { checkRegistryId(p, input); return o.authorize(input, ctx) } })),
    maxBodyBytes: ECR_MAX_BODY_BYTES,
    error: ecrError,
    invalid: (member, message) => ({ type: 'InvalidParameterException', status: 400, message: message || `${member} is required` }),
    resourceTags: (resourceArn) => registry.resourceTags(resourceArn),
    // Only this account's exact repository ARN has a policy (Registry.resourcePolicy checks it, without throwing).
    resourcePolicy: (resourceArn) => registry.resourcePolicy(resourceArn)
  }
}
