/**
 * The registry's authorization and audit hooks: with auth on, every /v2/ request made with
 * a principal-bound token (GetAuthorizationToken called by an IAM principal) is put to
 * `authorize` as the ECR action AWS checks for it, with the repository's policy and tags
 * and where the request came from, before anything is read or written. A denial answers the
 * OCI `DENIED` (403) with its message. Then `audit` is told once per such request, allowed
 * or denied, as the ECR event it stands for (what CloudTrail records for a docker pull or
 * push). Users of the registry's own Basic accounts and unbound tokens are neither asked
 * nor reported (they are not IAM principals). The engine connects the hooks to its IAM
 * evaluator and its audit trail.
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

/** One /v2/ request of a principal-bound token, as the ECR call it stands for. */
export interface RegistryRequestEvent {
  /** The ARN the token was bound to. */
  readonly principal: string
  readonly action: RegistryAction
  readonly repositoryName: string
  /** The ECR call's requestParameters, from the path and query (repositoryName, imageIds, layerDigest, uploadId…). */
  readonly requestParameters: Readonly<Record<string, unknown>>
  /** A pull (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability, ListImages). */
  readonly readOnly: boolean
  readonly sourceIp: string
  readonly userAgent: string
  /** Why it failed: the denial (OCI DENIED) or what the handler threw; undefined when it was answered with success. */
  readonly error?: unknown
}

/** Told once per request, after its answer; it must not throw (a throw is ignored). */
export type RegistryAudit = (event: RegistryRequestEvent) => void

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

type RouteKind = Parameters<typeof actionOf>[0]

/** requestParameters of the ECR call a /v2/ request stands for (`param` is the route's last path segment, decoded). */
export function requestParametersOf (route: RouteKind, method: string, repositoryName: string, param: string, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = { repositoryName }
  const reference = (ref: string): Record<string, string> => ref.includes(':') ? { imageDigest: ref } : { imageTag: ref }
  switch (route) {
    case 'manifests':
      if (method === 'PUT') Object.assign(out, reference(param))
      else out.imageIds = [reference(param)]
      break
    case 'uploads':
      out.uploadId = param
      if (method === 'PUT' && query.get('digest') !== null) out.layerDigests = [query.get('digest')]
      break
    case 'blobs':
      if (method === 'HEAD') out.layerDigests = [param]
      else out.layerDigest = param
      break
    case 'referrers':
      out.subjectDigest = param
      break
    case 'uploads-start':
    case 'tags':
      break
  }
  return out
}
