import { invalidParameter, ociError } from './errors.js'

/**
 * Repository names and tags.
 *
 * Repository names follow both the OCI distribution grammar and ECR's limits: lowercase
 * path components separated by `/`, each `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, 2 to 256
 * characters in all. Each component is also a directory name in storage, so it is at most
 * 255 characters (the file-name limit of common file systems; ECR would take a single
 * 256-character component, the one name this refuses). Tags follow the OCI grammar
 * `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
 */
export const REPOSITORY_NAME_LIMIT = '2..256 characters of lowercase path components of at most 255 characters matching [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)* separated by /'
export const TAG_LIMIT = '1..128 characters matching [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
const COMPONENT_MAX = 255

export function isRepositoryName (name: unknown): name is string {
  return typeof name === 'string' && name.length >= 2 && name.length <= 256 && NAME.test(name) &&
    (name.length <= COMPONENT_MAX || name.split('/').every((component) => component.length <= COMPONENT_MAX))
}

export function isTag (tag: unknown): boolean {
  return typeof tag === 'string' && TAG.test(tag)
}

/** SDK-level check: InvalidParameterException naming `field` and the limit. */
export function checkRepositoryName (name: unknown, field = 'repositoryName'): string {
  if (!isRepositoryName(name)) throw invalidParameter(field, `invalid repository name ${JSON.stringify(name)}`, REPOSITORY_NAME_LIMIT)
  return name
}

export function checkTag (tag: unknown, field = 'imageTag'): string {
  if (!isTag(tag)) throw invalidParameter(field, `invalid tag ${JSON.stringify(tag)}`, TAG_LIMIT)
  return tag as string
}

/** Wire-level check: NAME_INVALID (400). */
export function checkWireName (name: string): string {
  if (!isRepositoryName(name)) {
    throw ociError('NAME_INVALID', `invalid repository name (${REPOSITORY_NAME_LIMIT})`, { detail: { name: String(name).slice(0, 300) } })
  }
  return name
}

/** `name:tag` or `name@digest` (or `name`, meaning `:latest`) as used by the image builder. */
export interface ImageReference {
  readonly repositoryName: string
  readonly tag: string | undefined
  readonly digest: string | undefined
}

export function parseImageReference (ref: string, field = 'image'): ImageReference {
  if (typeof ref !== 'string') throw invalidParameter(field, 'must be a string like team/app:1')
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at) }
  let tag: string | undefined
  const slash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon) }
  checkRepositoryName(rest, field)
  if (tag !== undefined) checkTag(tag, field)
  if (digest === undefined && tag === undefined) tag = 'latest'
  return Object.freeze({ repositoryName: rest, tag, digest })
}
