// What of the host an ECS task may have. Regressions: a definition's
// host.sourcePath could be any host path (`/`, the Docker socket: host root
// for anyone allowed RegisterTaskDefinition and RunTask), privileged: true was
// silently dropped rather than refused. On the simulated runner (host mode on
// the docker runner: tasks-docker.test.ts).
import t, { type Test } from 'tap'
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Engine, EngineOptions } from '../../../runtime/engine.js'
import { seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

const app = (o: Record<string, unknown> = {}) => ({ name: 'app', image: 'busybox', memory: 32, environment: sim(3600), ...o })
const mounted = (sourcePath: string) => ({
  containers: [app({ mountPoints: [{ sourceVolume: 'h', containerPath: '/mnt/h' }] })],
  extra: { volumes: [{ name: 'h', host: { sourcePath } }] }
})

async function engineWith(t: Test, options: EngineOptions = {}): Promise<Engine> {
  const engine = await simulatedEngine(options)
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  return engine
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-host-access-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function refused(t: Test, engine: Engine, family: string, field: string, why: RegExp): Promise<void> {
  await t.rejects(engine.ecs.runTask({ cluster: 'work', taskDefinition: family }), { code: 'ClientException', field, message: why }, `${family}: refused naming ${field}`)
  t.same((await engine.ecs.listTasks({ cluster: 'work' })).taskArns, [], 'and no task was written')
}

t.test('host bind mounts: none by default, even with auth off', async (t) => {
  const engine = await engineWith(t)
  const dir = await tempDir(t)
  const m = mounted(dir)
  seedDefinition(engine, 'bind-tmp', m.containers, m.extra)
  await refused(t, engine, 'bind-tmp', 'volumes[0].host.sourcePath', /allows no host bind mounts/)
})

t.test('host bind mounts under ecs.hostVolumeRoots only; / and the Docker socket never', async (t) => {
  const root = await tempDir(t)
  const outside = await tempDir(t)
  await mkdir(join(root, 'data'))
  await symlink('/', join(root, 'escape'))
  const engine = await engineWith(t, { ecs: { hostVolumeRoots: [root] }, allowPrivileged: true })
  const cases: Array<[string, string, RegExp]> = [
    ['outside', outside, /outside the directories this engine allows/],
    ['root', '/', /host's root directory/],
    ['socket', '/var/run/docker.sock', /Docker socket/],
    ['socket-dir', '/run', /Docker socket/],
    ['escape', join(root, 'escape'), /host's root directory/],
    ['dotdot', `${root}/data/../../..`, /host's root directory|outside/]
  ]
  for (const [family, path, why] of cases) {
    const m = mounted(path)
    seedDefinition(engine, family, m.containers, m.extra)
    await refused(t, engine, family, 'volumes[0].host.sourcePath', why)
  }
  const m = mounted(join(root, 'data'))
  seedDefinition(engine, 'inside', m.containers, m.extra)
  const { tasks, failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'inside' })
  t.same(failures, [])
  const row = engine.launcher.get(`ecs:${tasks![0].taskArn!.split('/').pop()}#1`)!
  t.match(row.spec.containers[0].mounts, [{ sourcePath: join(root, 'data'), containerPath: '/mnt/h' }], 'a path under a root is mounted')
})

t.test('an engine allowing privileged containers (no roots given) mounts any host path but / and the Docker socket', async (t) => {
  const engine = await engineWith(t, { allowPrivileged: true })
  const dir = await tempDir(t)
  const ok = mounted(dir)
  seedDefinition(engine, 'anywhere', ok.containers, ok.extra)
  const { failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'anywhere' })
  t.same(failures, [])
  const sock = mounted('/var/run/docker.sock')
  seedDefinition(engine, 'sock', sock.containers, sock.extra)
  await t.rejects(engine.ecs.runTask({ cluster: 'work', taskDefinition: 'sock' }), { code: 'ClientException', field: 'volumes[0].host.sourcePath' })
})

t.test('privileged: true is refused unless the engine allows it, never dropped', async (t) => {
  const engine = await engineWith(t)
  seedDefinition(engine, 'priv', [app({ privileged: true })])
  await refused(t, engine, 'priv', 'containerDefinitions[0].privileged', /Privileged containers are not allowed/)

  const allowing = await engineWith(t, { allowPrivileged: true })
  seedDefinition(allowing, 'priv', [app({ privileged: true })])
  const { tasks, failures } = await allowing.ecs.runTask({ cluster: 'work', taskDefinition: 'priv' })
  t.same(failures, [])
  const row = allowing.launcher.get(`ecs:${tasks![0].taskArn!.split('/').pop()}#1`)!
  t.equal(row.spec.containers[0].privileged, true, 'handed to the runner as asked')
  await settle(allowing)
})
