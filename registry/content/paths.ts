import { parseDigest } from '../digest.js'

/**
 * Where everything lives in a storage driver. The layout, as an ASCII tree, is documented
 * once in `registry/README.md`; every path the registry touches is built here.
 */
export const paths = Object.freeze({
  blobsRoot: '/blobs',
  blobDir (digest: string): string {
    const { algorithm, hex } = parseDigest(digest)
    return `/blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`
  },
  blobData (digest: string): string {
    return `${paths.blobDir(digest)}/data`
  },
  /** Present when repository settings live in an external store: its link token (settings/storage-link.ts). */
  settingsStoreMarker: '/settings-store.json',
  repositoriesRoot: '/repositories',
  repository (name: string): string {
    return `/repositories/${name}`
  },
  repositoryMeta (name: string): string {
    return `/repositories/${name}/_repository.json`
  },
  layerLinksRoot (name: string): string {
    return `/repositories/${name}/_layers`
  },
  layerLink (name: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest)
    return `/repositories/${name}/_layers/${algorithm}/${hex}/link`
  },
  revisionsRoot (name: string): string {
    return `/repositories/${name}/_manifests/revisions`
  },
  revision (name: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest)
    return `/repositories/${name}/_manifests/revisions/${algorithm}/${hex}/link`
  },
  tagsRoot (name: string): string {
    return `/repositories/${name}/_manifests/tags`
  },
  tagDir (name: string, tag: string): string {
    return `/repositories/${name}/_manifests/tags/${tag}`
  },
  tagLink (name: string, tag: string): string {
    return `/repositories/${name}/_manifests/tags/${tag}/current/link`
  },
  quarantineRoot: '/quarantine',
  quarantineDir (digest: string): string {
    const { algorithm, hex } = parseDigest(digest)
    return `/quarantine/${algorithm}/${hex.slice(0, 2)}/${hex}`
  },
  quarantineData (digest: string): string {
    return `${paths.quarantineDir(digest)}/data`
  },
  quarantineInfo (digest: string): string {
    return `${paths.quarantineDir(digest)}/info.json`
  },
  uploadsRoot: '/uploads',
  uploadDir (uuid: string): string {
    return `/uploads/${uuid}`
  },
  uploadData (uuid: string): string {
    return `/uploads/${uuid}/data`
  },
  uploadInfo (uuid: string): string {
    return `/uploads/${uuid}/info.json`
  }
})

/** `/blobs/sha256/ab/<hex>` → `sha256:<hex>`, for the garbage collector's walk. */
export function digestFromBlobDir (path: string): string | undefined {
  const m = /^\/blobs\/(sha256|sha512)\/[0-9a-f]{2}\/([0-9a-f]+)$/.exec(path)
  return m === null ? undefined : `${m[1]}:${m[2]}`
}

/** `/quarantine/sha256/ab/<hex>` → `sha256:<hex>`, for loading the quarantine at open. */
export function digestFromQuarantineDir (path: string): string | undefined {
  const m = /^\/quarantine\/(sha256|sha512)\/[0-9a-f]{2}\/([0-9a-f]+)$/.exec(path)
  return m === null ? undefined : `${m[1]}:${m[2]}`
}
