/**
 * ECR API shapes, field for field (the subset the registry serves), so the SDK and the
 * AWS-compatible edge hand them out as they are. Times are `Date`s, as AWS SDK v3 returns.
 */
export type ImageTagMutability = 'MUTABLE' | 'IMMUTABLE'

export interface Repository {
  repositoryArn: string
  registryId: string
  repositoryName: string
  repositoryUri: string
  createdAt: Date
  imageTagMutability: ImageTagMutability
  imageScanningConfiguration: { scanOnPush: boolean }
  encryptionConfiguration: { encryptionType: 'AES256' }
}

export interface ImageIdentifier {
  imageDigest?: string
  imageTag?: string
}

export interface ImageDetail {
  registryId: string
  repositoryName: string
  imageDigest: string
  imageTags?: string[]
  imageSizeInBytes: number
  imagePushedAt: Date
  imageManifestMediaType: string
  artifactMediaType?: string
}

export interface ImageFailure {
  imageId: ImageIdentifier
  failureCode: 'InvalidImageDigest' | 'InvalidImageTag' | 'ImageTagDoesNotMatchDigest' | 'ImageNotFound' | 'MissingDigestAndTag'
  failureReason: string
}

export interface Image {
  registryId: string
  repositoryName: string
  imageId: ImageIdentifier
  imageManifest: string
  imageManifestMediaType: string
}

export interface LifecyclePolicyPreviewResult {
  imageTags: string[]
  imageDigest: string
  imagePushedAt: Date
  action: { type: 'EXPIRE' }
  appliedRulePriority: number
}

export interface LifecyclePolicyPreview {
  registryId: string
  repositoryName: string
  lifecyclePolicyText: string
  status: 'COMPLETE'
  previewResults: LifecyclePolicyPreviewResult[]
  summary: { expiringImageTotalCount: number }
}

export interface AuthorizationData {
  /** base64("AWS:<token>"). */
  authorizationToken: string
  expiresAt: Date
  /** `http://127.0.0.1:<port>` */
  proxyEndpoint: string
}

export type TagStatusFilter = 'TAGGED' | 'UNTAGGED' | 'ANY'
