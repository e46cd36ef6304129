// A task definition's volumes, as ECS takes them:
//   (none of the three)          a volume of the task's own: an empty directory
//                                created for the task, deleted with it (EC2 and Fargate)
//   host.sourcePath              a bind mount of a host path (EC2 only)
//   dockerVolumeConfiguration    a Docker volume, scope task (removed with the task) or
//                                shared (kept; autoprovision creates it when missing),
//                                driver local (EC2 only)
//   efsVolumeConfiguration       an EFS file system: the tasks area mounts one shared
//                                directory per fileSystemId into every task naming it
// Returns the volume names (mountPoints must name one) and the Fargate
// problems (a reason the definition is not FARGATE-compatible, with its field).

import type { Volume } from './model-task-definitions.js'
import { checkAbsolutePath, checkBool, checkEnum, checkInt, checkList, checkNamed, checkObject, checkStringMap, refuse, show } from './validation-checks.js'

export const MAX_VOLUMES = 100
const VOLUME_NAME = /^[A-Za-z0-9_-]+$/
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,40}$/
const ACCESS_POINT_ID = /^fsap-[0-9a-f]{8,40}$/

const VOLUME = new Set(['name', 'host', 'dockerVolumeConfiguration', 'efsVolumeConfiguration'])
const HOST = new Set(['sourcePath'])
const DOCKER = new Set(['scope', 'autoprovision', 'driver', 'driverOpts', 'labels'])
const EFS = new Set(['fileSystemId', 'rootDirectory', 'transitEncryption', 'transitEncryptionPort', 'authorizationConfig'])
const EFS_AUTH = new Set(['accessPointId', 'iam'])

export interface FargateProblem { field: string; message: string }

export function checkVolumes(value: unknown, field: string): { volumes: Volume[]; names: Set<string>; fargate: FargateProblem[] } {
  const names = new Set<string>()
  const fargate: FargateProblem[] = []
  if (value === undefined) return { volumes: [], names, fargate }
  const list = checkList(value, field, MAX_VOLUMES)
  const volumes = list.map((raw, i) => {
    const f = `${field}[${i}]`
    const v = checkObject(raw, f, VOLUME, 'Volume')
    const name = checkNamed(v.name, `${f}.name`, VOLUME_NAME, 'must be 1 to 255 letters, digits, hyphens and underscores', 255)
    if (names.has(name)) refuse(`${f}.name`, `volume name ${name} is used twice; volume names must be unique in a task definition`)
    names.add(name)
    const kinds = (['host', 'dockerVolumeConfiguration', 'efsVolumeConfiguration'] as const).filter((k) => v[k] !== undefined)
    if (kinds.length > 1) refuse(f, `a volume is one of host, dockerVolumeConfiguration or efsVolumeConfiguration, got ${kinds.join(' and ')}`)
    const out: Volume = { name }
    if (v.host !== undefined) {
      const host = checkObject(v.host, `${f}.host`, HOST, 'HostVolumeProperties')
      out.host = {}
      if (host.sourcePath !== undefined) {
        out.host.sourcePath = checkAbsolutePath(host.sourcePath, `${f}.host.sourcePath`)
        fargate.push({ field: `${f}.host.sourcePath`, message: 'Fargate does not support host bind mounts (host.sourcePath); use a volume without a host, or EFS' })
      }
    }
    if (v.dockerVolumeConfiguration !== undefined) {
      const d = checkObject(v.dockerVolumeConfiguration, `${f}.dockerVolumeConfiguration`, DOCKER, 'DockerVolumeConfiguration')
      const df = `${f}.dockerVolumeConfiguration`
      const scope = d.scope === undefined ? 'task' : checkEnum(d.scope, `${df}.scope`, ['task', 'shared'] as const)
      const autoprovision = checkBool(d.autoprovision, `${df}.autoprovision`)
      if (autoprovision === true && scope !== 'shared') refuse(`${df}.autoprovision`, 'applies only to volumes of scope shared (a task-scoped volume is always created for its task)')
      if (d.driver !== undefined && d.driver !== 'local') refuse(`${df}.driver`, `Stratus has the local volume driver only, got ${show(d.driver)}`)
      out.dockerVolumeConfiguration = {
        scope,
        ...(autoprovision !== undefined ? { autoprovision } : {}),
        driver: 'local',
        ...(d.driverOpts !== undefined ? { driverOpts: checkStringMap(d.driverOpts, `${df}.driverOpts`) } : {}),
        ...(d.labels !== undefined ? { labels: checkStringMap(d.labels, `${df}.labels`) } : {})
      }
      fargate.push({ field: df, message: 'Fargate does not support Docker volumes (dockerVolumeConfiguration)' })
    }
    if (v.efsVolumeConfiguration !== undefined) out.efsVolumeConfiguration = checkEfs(v.efsVolumeConfiguration, `${f}.efsVolumeConfiguration`)
    return out
  })
  return { volumes, names, fargate }
}

function checkEfs(value: unknown, field: string): NonNullable<Volume['efsVolumeConfiguration']> {
  const e = checkObject(value, field, EFS, 'EFSVolumeConfiguration')
  const fileSystemId = checkNamed(e.fileSystemId, `${field}.fileSystemId`, FILE_SYSTEM_ID, 'must be an EFS file system id (fs- and 8 to 40 hex digits)', 43)
  const out: NonNullable<Volume['efsVolumeConfiguration']> = { fileSystemId }
  if (e.rootDirectory !== undefined) out.rootDirectory = checkAbsolutePath(e.rootDirectory, `${field}.rootDirectory`)
  if (e.transitEncryption !== undefined) out.transitEncryption = checkEnum(e.transitEncryption, `${field}.transitEncryption`, ['ENABLED', 'DISABLED'] as const)
  if (e.transitEncryptionPort !== undefined) {
    out.transitEncryptionPort = checkInt(e.transitEncryptionPort, `${field}.transitEncryptionPort`, 0, 65535)
    if (out.transitEncryption !== 'ENABLED') refuse(`${field}.transitEncryptionPort`, 'needs transitEncryption ENABLED')
  }
  if (e.authorizationConfig !== undefined) {
    const a = checkObject(e.authorizationConfig, `${field}.authorizationConfig`, EFS_AUTH, 'EFSAuthorizationConfig')
    const auth: NonNullable<typeof out.authorizationConfig> = {}
    if (a.accessPointId !== undefined) {
      auth.accessPointId = checkNamed(a.accessPointId, `${field}.authorizationConfig.accessPointId`, ACCESS_POINT_ID, 'must be an EFS access point id (fsap-…)', 45)
      // ECS: with an access point, the root directory is the access point's (omitted or /) and transit encryption is on.
      if (out.rootDirectory !== undefined && out.rootDirectory !== '/') refuse(`${field}.rootDirectory`, 'must be omitted or / when an access point is used (the access point sets the directory)')
      if (out.transitEncryption !== 'ENABLED') refuse(`${field}.transitEncryption`, 'must be ENABLED when an access point is used')
    }
    if (a.iam !== undefined) {
      auth.iam = checkEnum(a.iam, `${field}.authorizationConfig.iam`, ['ENABLED', 'DISABLED'] as const)
      if (auth.iam === 'ENABLED' && out.transitEncryption !== 'ENABLED') refuse(`${field}.transitEncryption`, 'must be ENABLED when authorizationConfig.iam is ENABLED')
    }
    out.authorizationConfig = auth
  }
  return out
}
