/**
 * The registry's authorization hook: with auth on, every /v2/ request made with a
 * principal-bound token (GetAuthorizationToken called by an IAM principal) is put to
 * `authorize` as the ECR action AWS checks for it, with the repository's policy and tags
 * and where the request came from, before
 * anything is read or written. A denial answers the OCI `DENIED` (403) with its message.
 * Users of the registry's own Basic accounts and unbound tokens are not asked (they are
 * not IAM principals). The engine connects the hook to its IAM evaluator.
 */
export type RegistryAction =
  | 'ecr:BatchGetImage'
  | 'ecr:GetDownloadUrlForLayer'
  | 'ecr:BatchCheckLayerAvailability'
  | 'ecr:InitiateLayerUpload'
  | 'ecr:UploadLayerPart'
  | 'ecr:CompleteLayerUpload'
  | 'ecr:PutImage'
  | 'ecr:BatchDeleteImage'
  | 'ecr:ListImages'

export interface RegistryAuthorizationRequest {
  /** The ARN the token was bound to. */
  readonly principal: string
  readonly action: RegistryAction
  readonly repositoryName: string
  readonly repositoryArn: string
  /** The repository's policy (resource-based), when it exists and has one. */
  readonly policyText?: string
  /** The repository's tags (aws:ResourceTag/…); empty when it has none or does not exist yet. */
  readonly repositoryTags: Readonly<Record<string, string>>
  /** The client's address (aws:SourceIp), IPv4-mapped IPv6 written as IPv4. */
  readonly sourceIp: string
  /** The User-Agent header ('' when none). */
  readonly userAgent: string
}

export type RegistryDecision = { readonly allowed: true } | { readonly allowed: false, readonly message: string }

export type RegistryAuthorize = (request: RegistryAuthorizationRequest) => RegistryDecision | Promise<RegistryDecision>

/** The ECR action AWS authorizes for a /v2/ request (as ECR's "Registry authentication" and IAM reference pair them). */
export function actionOf (route: 'manifests' | 'uploads-start' | 'uploads' | 'blobs' | 'tags' | 'referrers', method: string): RegistryAction {
  switch (route) {
    case 'manifests': return method === 'PUT' ? 'ecr:PutImage' : method === 'DELETE' ? 'ecr:BatchDeleteImage' : 'ecr:BatchGetImage'
    case 'uploads-start': return 'ecr:InitiateLayerUpload'
    case 'uploads': return method === 'PUT' ? 'ecr:CompleteLayerUpload' : 'ecr:UploadLayerPart'
    case 'blobs': return method === 'HEAD' ? 'ecr:BatchCheckLayerAvailability' : method === 'DELETE' ? 'ecr:BatchDeleteImage' : 'ecr:GetDownloadUrlForLayer'
    case 'tags':
    case 'referrers': return 'ecr:ListImages'
  }
}
