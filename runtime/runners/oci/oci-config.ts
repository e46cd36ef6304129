// config.json of a container's bundle (OCI runtime spec 1.0), from the image
// config and the task's ContainerSpec:
//   argv      entryPoint/command with ECS's semantics: a task entryPoint replaces the
//             image's Entrypoint *and* Cmd; a task command replaces only Cmd
//   env       the image's Env, the task's variables over it; PATH and HOME when absent
//   cwd       workingDirectory, else the image's WorkingDir, else /
//   user      resolved by image-user.ts (names from the image's passwd and group)
//   limits    vCPUs as CFS quota/period and shares, memory as the hard limit (and no
//             swap), memoryReservation as the soft one; ulimits as rlimits
//   security  Docker's default capability set, no new privileges, runc's masked and
//             read-only /proc and /sys paths, devices denied but the defaults (the
//             runtime adds null, zero, full, random, urandom, tty); privileged (only
//             when the runner allows it) lifts all of that
//   mounts    runc's defaults, the init binary, /etc/hosts and /etc/hostname, and the
//             task's bind mounts; in overlay mode the root itself is an overlay at "/"
//   network   a new namespace (a sandbox of one container without ports: loopback only,
//             which the runtime brings up), or the sandbox's (netns.ts), or the host's
import type { ContainerSpec } from '../runner.js'
import type { ImageRunConfig } from './image-store.js'
import type { ProcessUser } from './image-user.js'

export const INIT_PATH = '/dev/.stratus-init'
/** The fd the init reports on (runc --preserve-fds 1: fds 0-2 are stdio). */
export const INIT_STATUS_FD = 3
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const CFS_PERIOD = 100_000
/** The kernel (and Docker) refuse smaller hard limits. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024
const UNLIMITED = 2 ** 64 - 1

/** Docker's default capabilities (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'
]
/** Linux's capabilities by number (capability.h), to read a bounding set. */
const CAPABILITY_NUMBERS = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE'
].map((name) => `CAP_${name}`)

/**
 * The capabilities this process may hand out (its bounding set, from /proc/self/status
 * CapBnd): a privileged container gets them all, which may be fewer than Linux has.
 */
export function boundingCapabilities(status: string): string[] {
  const match = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)
  if (match === null) return DEFAULT_CAPABILITIES
  const mask = BigInt(`0x${match[1]}`)
  return CAPABILITY_NUMBERS.filter((_, n) => (mask >> BigInt(n)) & 1n)
}
/** runc's spec defaults (and Docker's powercap). */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/powercap'
]
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

export interface BundleInputs {
  container: ContainerSpec
  image: ImageRunConfig
  user: ProcessUser
  hostname: string
  /** overlay: the lowerdir/upperdir/workdir options; copy: undefined (the rootfs is a directory). */
  overlay: string[] | undefined
  /** The root directory (copy mode: the assembled rootfs; overlay: an empty mount point). */
  rootPath: string
  /** The init binary on the host; undefined: no init (initProcessEnabled false). */
  init: string | undefined
  /** Host files bound at /etc/hosts and /etc/hostname. */
  hostsFile: string
  hostnameFile: string
  /** 'new': a namespace of its own; a path: join it; 'host': none. */
  network: 'new' | 'host' | string
  /** Relative: below the runtime's own cgroup. */
  cgroupsPath: string
  /** The machine accounts swap (memory.memsw.*): the limit then covers swap too. */
  swapAccounting: boolean
  privileged: boolean
  /** What the runner itself may hand out (boundingCapabilities): a privileged container's set, and a ceiling for the default one. */
  bounding: readonly string[]
}

/** The program and its arguments, ECS's way; empty means the image and the task gave none. */
export function processArgs(c: ContainerSpec, image: ImageRunConfig): string[] {
  if (c.entryPoint !== undefined && c.entryPoint.length > 0) return [...c.entryPoint, ...c.command]
  const entrypoint = image.Entrypoint ?? []
  const cmd = c.command.length > 0 ? c.command : (image.Cmd ?? [])
  return [...entrypoint, ...cmd]
}

/** The image's environment with the task's over it, as KEY=value lines. */
export function processEnv(c: ContainerSpec, image: ImageRunConfig, user: ProcessUser): string[] {
  const env = new Map<string, string>()
  for (const line of image.Env ?? []) {
    const eq = line.indexOf('=')
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1))
  }
  for (const [k, v] of Object.entries(c.env)) env.set(k, v)
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH)
  if (!env.has('HOME')) env.set('HOME', user.home)
  return [...env].map(([k, v]) => `${k}=${v}`)
}

function workingDirectory(c: ContainerSpec, image: ImageRunConfig): string {
  const dir = c.workingDirectory ?? (image.WorkingDir || '/')
  return dir.startsWith('/') ? dir : `/${dir}`
}

function rlimits(c: ContainerSpec): Array<{ type: string; hard: number; soft: number }> {
  return (c.ulimits ?? []).map((u) => ({
    type: `RLIMIT_${u.name.toUpperCase()}`,
    hard: u.hardLimit === -1 ? UNLIMITED : u.hardLimit,
    soft: u.softLimit === -1 ? UNLIMITED : u.softLimit
  }))
}

function resources(c: ContainerSpec, swapAccounting: boolean, privileged: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { devices: privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }] }
  const memory: Record<string, number> = {}
  if (c.memoryMiB > 0) {
    memory.limit = Math.max(MIN_MEMORY_BYTES, c.memoryMiB * 1024 * 1024)
    if (swapAccounting) memory.swap = memory.limit
  }
  if (c.memoryReservationMiB !== undefined && c.memoryReservationMiB > 0) memory.reservation = c.memoryReservationMiB * 1024 * 1024
  if (Object.keys(memory).length > 0) out.memory = memory
  if (c.vcpus > 0) out.cpu = { shares: Math.max(2, Math.round(c.vcpus * 1024)), quota: Math.max(1000, Math.round(c.vcpus * CFS_PERIOD)), period: CFS_PERIOD }
  return out
}

function mounts(inputs: BundleInputs): Array<Record<string, unknown>> {
  const { container: c, privileged } = inputs
  const list: Array<Record<string, unknown>> = []
  if (inputs.overlay !== undefined) list.push({ destination: '/', type: 'overlay', source: 'overlay', options: inputs.overlay })
  list.push(
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] }
  )
  // sysfs belongs to a network namespace: a container in the host's gets the host's, bound read-only.
  if (inputs.network === 'host') list.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] })
  else list.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] })
  list.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] })
  if (inputs.init !== undefined) list.push({ destination: INIT_PATH, type: 'bind', source: inputs.init, options: ['bind', 'ro', 'nosuid', 'nodev'] })
  list.push(
    { destination: '/etc/hosts', type: 'bind', source: inputs.hostsFile, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
    { destination: '/etc/hostname', type: 'bind', source: inputs.hostnameFile, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] }
  )
  for (const m of c.mounts ?? []) {
    list.push({ destination: m.containerPath, type: 'bind', source: m.sourcePath, options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'] })
  }
  return list
}

/** The whole config.json, as an object (the caller serialises it). */
export function ociConfig(inputs: BundleInputs): Record<string, unknown> {
  const { container: c, image, user, privileged } = inputs
  const args = processArgs(c, image)
  const caps = privileged ? [...inputs.bounding] : DEFAULT_CAPABILITIES.filter((c) => inputs.bounding.includes(c))
  const namespaces: Array<Record<string, string>> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]
  if (inputs.network === 'new') namespaces.push({ type: 'network' })
  else if (inputs.network !== 'host') namespaces.push({ type: 'network', path: inputs.network })
  const linux: Record<string, unknown> = {
    resources: resources(c, inputs.swapAccounting, privileged),
    cgroupsPath: inputs.cgroupsPath,
    namespaces
  }
  if (!privileged) {
    linux.maskedPaths = MASKED_PATHS
    linux.readonlyPaths = READONLY_PATHS
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
      args: inputs.init === undefined ? args : [INIT_PATH, '-s', String(INIT_STATUS_FD), '--', ...args],
      env: processEnv(c, image, user),
      cwd: workingDirectory(c, image),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(c),
      noNewPrivileges: !privileged
    },
    root: { path: inputs.rootPath, readonly: c.readonlyRootFilesystem === true },
    hostname: inputs.hostname,
    mounts: mounts(inputs),
    linux
  }
}
