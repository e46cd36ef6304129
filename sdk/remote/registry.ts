// RegistryService over the wire: ECR's operations as awsJson1_1
// (`X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>`, timestamps as
// epoch seconds, revived to the Dates the embedded shapes hold), the
// registry's Stratus-only calls over /stratus/, and the image builder pushing
// through /v2/.

import { ImageBuilder, type AuthorizationData, type LifecyclePolicyPreview, type QuarantinedBlob } from '../../runtime/index.js'
import type { RegistryService } from '../services.js'
import { ECR_TIMESTAMPS, encode, reviveDates } from './codec.js'
import { OciTarget } from './oci-target.js'
import type { StratusApi } from './stratus-api.js'
import type { WireClient } from './wire.js'

const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921'

export function remoteRegistry(wire: WireClient, stratus: StratusApi): RegistryService {
  const ecr = async <O>(operation: string, input: unknown): Promise<O> => reviveDates(await wire.json({
    service: 'ecr', path: '/', body: encode(input), family: 'registry',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ECR_TARGET}.${operation}` }
  }) as O, ECR_TIMESTAMPS)
  const extension = async <O>(operation: string, input: unknown): Promise<O> =>
    reviveDates(await stratus.call<O>(operation, input, { family: 'registry' }), ECR_TIMESTAMPS)
  const getAuthorizationToken = () => ecr<{ authorizationData: AuthorizationData[] }>('GetAuthorizationToken', {})
  const target = new OciTarget(wire, async () => (await getAuthorizationToken()).authorizationData[0].authorizationToken)
  return {
    endpoint: wire.host,
    async createRepository(input) {
      const { allowAnonymousPull, ...aws } = input
      const created = await ecr<Awaited<ReturnType<RegistryService['createRepository']>>>('CreateRepository', aws)
      // Not an ECR member: set through the extension right after (the repository refuses anonymous pulls until then).
      if (allowAnonymousPull === true) await extension('SetAnonymousPull', { repositoryName: created.repository.repositoryName, allowAnonymousPull })
      return created
    },
    describeRepositories: (input) => ecr('DescribeRepositories', input ?? {}),
    deleteRepository: (input) => ecr('DeleteRepository', input),
    describeImages: (input) => ecr('DescribeImages', input),
    putImageTagMutability: (input) => ecr('PutImageTagMutability', input),
    putLifecyclePolicy: (input) => ecr('PutLifecyclePolicy', input),
    getLifecyclePolicy: (input) => ecr('GetLifecyclePolicy', input),
    // ECR previews asynchronously (Start…, then Get…); the SDK's preview is immediate and may name a policy of its own.
    getLifecyclePolicyPreview: (input) => extension<LifecyclePolicyPreview>('LifecyclePolicyPreview', input),
    applyLifecyclePolicy: (input) => extension<LifecyclePolicyPreview>('ApplyLifecyclePolicy', input),
    getAuthorizationToken,
    setAnonymousPull: (input) => extension('SetAnonymousPull', input),
    scrub: () => extension('Scrub', {}),
    quarantinedBlobs: async () => (await extension<{ blobs: QuarantinedBlob[] }>('QuarantinedBlobs', {})).blobs,
    garbageCollect: (options) => extension('GarbageCollect', options ?? {}),
    image: (reference) => ImageBuilder.create(target, reference)
  }
}
