// One container's OCI bundle: <stateDir>/bundles/<container id>/
//   config.json   oci-config.ts
//   rootfs/       overlay: an empty mount point (the runtime mounts the overlay on it)
//                 copy:    the assembled layers
//   upper/ work/  overlay: the container's writable layer
//   hosts hostname   bound at /etc/hosts and /etc/hostname
//   events pid runtime.log   the shim's events, the init's host pid, the runtime's log
import { lstat, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ContainerSpec } from '../runner.js'
import type { CachedLayer, PulledImage } from './image-store.js'
import { resolveUser, type ProcessUser } from './image-user.js'
import { ociConfig } from './oci-config.js'
import { assembleCopy, overlayOptions, type RootfsMode } from './rootfs.js'

export interface BundleContext {
  stateDir: string
  mode: RootfsMode
  /** The init binary (bound into containers that want one). */
  init: string
  /** Container cgroups go below this (relative to the runtime's own cgroup). */
  cgroupParent: string
  swapAccounting: boolean
  /** The runner's own bounding capabilities (oci-config.ts boundingCapabilities). */
  bounding: readonly string[]
  /** Short layer links known to exist. */
  linked: Set<string>
}

export interface BundleRequest {
  runtimeId: string
  container: ContainerSpec
  pulled: PulledImage
  hostname: string
  /** The address /etc/hosts gives the hostname. */
  address: string
  network: 'new' | 'host' | string
  privileged: boolean
  /** The benchmark's raw bundle: in this directory, a copied rootfs, the runtime's default cgroup (one per container id). */
  raw?: { dir: string }
}

export interface Bundle {
  dir: string
  events: string
  pidFile: string
  runtimeLog: string
  withInit: boolean
  user: ProcessUser
}

export function bundleDir(stateDir: string, runtimeId: string): string {
  return join(stateDir, 'bundles', runtimeId)
}

/**
 * A short name for a layer (<stateDir>/l/<16 hex>, a symlink to it): the overlay's
 * options are one page at most, and a long state dir times forty layers is more.
 */
async function shortLayerPath(context: BundleContext, layer: CachedLayer): Promise<string> {
  const hex = layer.digest.slice(layer.digest.indexOf(':') + 1, layer.digest.indexOf(':') + 17)
  const path = join(context.stateDir, 'l', hex)
  if (context.linked.has(path)) return path
  try {
    await lstat(path)
  } catch {
    await mkdir(join(context.stateDir, 'l'), { recursive: true })
    await symlink(layer.root, path).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'EEXIST') throw error })
  }
  context.linked.add(path)
  return path
}

const users = new Map<string, ProcessUser>()

/** The user a container runs as, cached per image and user string (the image cannot change under a digest). */
async function containerUser(pulled: PulledImage, user: string | undefined, view: readonly CachedLayer[]): Promise<ProcessUser> {
  const key = `${pulled.image.digest}\0${user ?? ''}`
  let found = users.get(key)
  if (found === undefined) {
    found = await resolveUser(view, user)
    users.set(key, found)
  }
  return found
}

export async function prepareBundle(context: BundleContext, request: BundleRequest): Promise<Bundle> {
  const { container: c, pulled } = request
  const dir = request.raw?.dir ?? bundleDir(context.stateDir, request.runtimeId)
  const rootfs = join(dir, 'rootfs')
  // The bundle holds the task's environment (config.json): only root reads it.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await mkdir(rootfs, { recursive: true })
  let overlay: string[] | undefined
  let view: readonly CachedLayer[] = pulled.layers
  if (context.mode === 'overlay' && request.raw === undefined) {
    const lowers = await Promise.all(pulled.layers.map((l) => shortLayerPath(context, l)))
    if (lowers.length === 0) {
      lowers.push(join(dir, 'empty'))
      await mkdir(lowers[0])
    }
    await Promise.all([mkdir(join(dir, 'upper')), mkdir(join(dir, 'work'))])
    overlay = overlayOptions(lowers, join(dir, 'upper'), join(dir, 'work'))
  } else {
    await assembleCopy(pulled.layers, rootfs)
    view = [{ digest: pulled.image.digest, root: rootfs, unpacked: { whiteouts: [], opaque: [], skipped: [], entries: 0, bytes: 0 } }]
  }
  const user = await containerUser(pulled, c.user ?? pulled.image.config.User, view)
  const withInit = c.initProcessEnabled !== false
  const hostsFile = join(dir, 'hosts')
  const hostnameFile = join(dir, 'hostname')
  const config = ociConfig({
    container: c, image: pulled.image.config, user, hostname: request.hostname, overlay, rootPath: rootfs,
    init: withInit ? context.init : undefined, hostsFile, hostnameFile, network: request.network,
    cgroupsPath: request.raw !== undefined ? '' : `${context.cgroupParent}/${request.runtimeId}`,
    swapAccounting: context.swapAccounting, privileged: request.privileged, bounding: context.bounding
  })
  // Bind sources the task names must exist: a missing host directory is made, as Docker does for volumes.
  for (const m of c.mounts ?? []) await mkdir(m.sourcePath, { recursive: true }).catch(() => {})
  await Promise.all([
    writeFile(join(dir, 'config.json'), JSON.stringify(config)),
    writeFile(hostsFile, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${request.address}\t${request.hostname}\n`),
    writeFile(hostnameFile, `${request.hostname}\n`)
  ])
  return { dir, events: join(dir, 'events'), pidFile: join(dir, 'pid'), runtimeLog: join(dir, 'runtime.log'), withInit, user }
}

export async function removeBundle(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** The benchmark's raw bundle (OciRunner.prepareRawBundle): a container as the runner makes it, rootfs copied and read-only. */
export async function prepareRawBundle(context: BundleContext, pulled: PulledImage, options: { image: string; command: readonly string[]; dir: string; memoryMiB?: number }): Promise<void> {
  const container: ContainerSpec = {
    name: 'raw', image: options.image, command: options.command, env: {}, vcpus: 1, memoryMiB: options.memoryMiB ?? 0, gpus: 0,
    logPath: join(options.dir, 'raw.log'), workDir: options.dir, readonlyRootFilesystem: true
  }
  await prepareBundle(context, {
    runtimeId: 'raw', container, pulled, hostname: 'raw', address: '127.0.0.1', network: 'new', privileged: false, raw: { dir: options.dir }
  })
}
