// Where container runners get images: the built-in registry, named either by
// the engine's endpoint (`127.0.0.1:4750/team/app:1`) or by the ECR form of
// the repository URI (`000000000000.dkr.ecr.us-east-1.amazonaws.com/team/app:1`,
// which no DNS here resolves: it is rewritten to the endpoint). Any other
// reference (`busybox`, `nginx:1`) is the local engine's business: the docker
// runner uses it when the engine has it, and fails fast otherwise — there is
// no network beyond this machine.
import type { Registry } from '../../registry/index.js'

export interface RegistryImage {
  /** host:port of the built-in registry (the engine's endpoint). */
  registry: string
  repository: string
  /** A tag, or a digest (sha256:…). */
  reference: string
  /** The same image named by the endpoint: what a Docker engine pulls. */
  pullReference: string
}

export interface RegistryCredentials {
  username: string
  password: string
  serveraddress: string
}

export interface ImageSource {
  /** The built-in registry's image a reference names, or undefined when it names another registry (or none). */
  resolve(reference: string): RegistryImage | undefined
  /** Credentials for the built-in registry when its auth is on (AWS + an ECR token); undefined when it is off. */
  credentials(): RegistryCredentials | undefined
  /** The registry itself: the OCI runner reads manifests, configs and layers from its store, without HTTP. */
  readonly registry: Registry
}

const REFERENCE = /^(?<host>[^/]+)\/(?<repository>[a-z0-9][a-z0-9._/-]*?)(?:(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?)$/

/** The image source over an engine's registry (its endpoint is known once the engine listens). */
export function registryImageSource(registry: Registry, accountId: string, region: string, ecrSuffix = 'amazonaws.com'): ImageSource {
  const ecrHost = `${accountId}.dkr.ecr.${region}.${ecrSuffix}`
  return {
    registry,
    resolve(reference) {
      const endpoint = registry.endpoint
      const m = REFERENCE.exec(reference)
      if (m?.groups === undefined || endpoint === undefined) return undefined
      const { host, repository, tag, digest } = m.groups
      if (host !== endpoint && host !== ecrHost && !(host.startsWith('localhost:') && host.slice(10) === endpoint.split(':')[1])) return undefined
      const ref = digest ?? tag ?? 'latest'
      return { registry: endpoint, repository, reference: ref, pullReference: `${endpoint}/${repository}${digest ? `@${digest}` : `:${ref}`}` }
    },
    credentials() {
      if (!registry.authEnabled || registry.endpoint === undefined) return undefined
      const token = Buffer.from(registry.getAuthorizationToken().authorizationData[0].authorizationToken, 'base64').toString()
      const colon = token.indexOf(':')
      return { username: token.slice(0, colon), password: token.slice(colon + 1), serveraddress: registry.endpoint }
    }
  }
}
