/** Media types the registry understands. */
export const MediaType = Object.freeze({
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws'
} as const)

export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest])
export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList])
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES])

/** `type/subtype; params` → `type/subtype`, lowercased. */
export function baseMediaType (value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const semi = value.indexOf(';')
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase()
}
