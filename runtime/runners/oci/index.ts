// The OCI runner (runc or crun, images from the built-in registry): see README.md.
export { OciRunner, type OciRunnerOptions } from './runner.js'
export { ImageStore, type CachedLayer, type ImageRunConfig, type PulledImage, type ResolvedImage } from './image-store.js'
export { DEFAULT_UNPACK_LIMITS, unpackLayer, UnsafeLayerError, type UnpackedLayer, type UnpackLimits } from './unpack.js'
export type { RootfsMode } from './rootfs.js'
export type { RuntimeName } from './runtime.js'
