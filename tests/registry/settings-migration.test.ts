// A data directory from before repository settings moved into the engine's store (every
// repository's settings in `_repository.json` in the registry storage): the engine on its
// SQLite store imports them into the store once, removes the files and links the storage to
// the store, so a user's repositories keep their policies. A linked storage is then refused by
// a registry without that store (it would see no repositories), by an engine on another store
// or on a memory store, and a migration interrupted after its store write is finished by the
// next open.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { FilesystemDriver, Registry, type PutOptions } from '../../registry/index.js'
import { Engine, MemoryStore } from '../../runtime/index.js'
import { SqliteStore } from '../../runtime/store/sqlite.js'
import { REPOSITORY_SETTINGS, StoreRepositorySettings } from '../../runtime/registry-state/index.js'
import { ManualClock, tempDir } from './helpers.js'

const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }] })
const lifecycle = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } }] })

/** What a registry that kept settings in its storage left: two repositories with settings, policies, tags and an image. */
async function olderDataDir (root: string, clock: ManualClock): Promise<number> {
  const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, clock, scrubIntervalMs: 0 })
  const { repository } = await registry.createRepository({
    repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true },
    allowAnonymousPull: true, tags: [{ Key: 'team', Value: 'core' }]
  })
  await registry.setRepositoryPolicy({ repositoryName: 'team/app', policyText: policy })
  await registry.putLifecyclePolicy({ repositoryName: 'team/app', lifecyclePolicyText: lifecycle })
  await registry.createRepository({ repositoryName: 'team/app/worker' })
  await registry.image('team/app:1').fromScratch().addContent('v1', '/version').push()
  await registry.close()
  t.ok(existsSync(join(root, 'repositories/team/app/_repository.json')), 'the older layout: settings in the storage')
  return repository.createdAt.getTime()
}

t.test('an older data directory: settings move into the engine store once, and keep working', async (t) => {
  const dataDir = await tempDir(t, 'stratus-migrate-')
  const root = join(dataDir, 'registry')
  const clock = new ManualClock()
  const createdAt = await olderDataDir(root, clock)
  const start = (options: { store?: MemoryStore | SqliteStore } = {}) => Engine.start({ ...options, dataDir, clock: 'manual', runner: 'simulated' })

  const engine = await start()
  t.equal(engine.store.kind, 'sqlite', 'the data directory\'s own store')
  const registry = engine.registry
  const [app] = (await registry.describeRepositories({ repositoryNames: ['team/app'] })).repositories
  t.equal(app.createdAt.getTime(), createdAt, 'creation time kept')
  t.equal(app.imageTagMutability, 'IMMUTABLE')
  t.same(app.imageScanningConfiguration, { scanOnPush: true })
  t.equal((await registry.getRepositoryPolicy({ repositoryName: 'team/app' })).policyText, policy)
  t.equal((await registry.getLifecyclePolicy({ repositoryName: 'team/app' })).lifecyclePolicyText, lifecycle)
  t.same((await registry.listTagsForResource({ resourceArn: app.repositoryArn })).tags, [{ Key: 'team', Value: 'core' }])
  t.same((await registry.describeImages({ repositoryName: 'team/app' })).imageDetails.map((i) => i.imageTags), [['1']], 'its image is there')
  t.same((await registry.describeRepositories()).repositories.map((r) => r.repositoryName), ['team/app', 'team/app/worker'])
  await t.rejects(registry.image('team/app:1').fromScratch().addContent('other', '/version').push(), { code: 'ImageTagAlreadyExistsException' }, 'still immutable')
  const pulled = await fetch(`http://${engine.endpoint}/v2/team/app/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
  t.equal(pulled.status, 200, 'its manifest is served on /v2/')

  t.same(engine.store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['team/app', 'team/app/worker'], 'the settings are records of the store')
  t.notOk(existsSync(join(root, 'repositories/team/app/_repository.json')), 'the settings files are gone')
  t.notOk(existsSync(join(root, 'repositories/team/app/worker/_repository.json')))
  t.ok(existsSync(join(root, 'repositories/team/app/_manifests')), 'manifests and tags stay in the storage')
  t.ok(existsSync(join(root, 'settings-store.json')), 'the storage names the store that holds its settings')
  await registry.putImageTagMutability({ repositoryName: 'team/app', imageTagMutability: 'MUTABLE' })
  await engine.close()

  const again = await start()
  t.equal((await again.registry.describeRepositories({ repositoryNames: ['team/app'] })).repositories[0].imageTagMutability, 'MUTABLE',
    'a change made after the import survives the next restart (nothing is imported twice)')
  await again.close()

  await t.rejects(Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0 }),
    { code: 'RepositorySettingsElsewhere', kind: 'Conflict', field: 'repositorySettings' },
    'a registry without the store is refused: it would see no repositories, and its GC would sweep their images')
  const fresh = SqliteStore.open(join(dataDir, 'other.db'))
  t.teardown(() => fresh.close())
  await t.rejects(start({ store: fresh }), { code: 'RepositorySettingsStoreMismatch', kind: 'Conflict', message: /holds none/ },
    'an engine over another (here: an empty) store is refused rather than showing no repositories')
  t.same(fresh.scan(REPOSITORY_SETTINGS), [], 'and nothing was written to it')
  const memory = new MemoryStore()
  t.teardown(() => memory.close())
  await t.rejects(start({ store: memory }), { code: 'RepositorySettingsElsewhere', kind: 'Conflict', field: 'store' },
    'so is an engine on a memory store, which never holds repository settings')
  t.same(memory.scan(REPOSITORY_SETTINGS), [], 'and nothing was written to it either')
  t.ok(existsSync(join(root, 'settings-store.json')), 'the storage is still linked')
  const last = await start()
  t.equal((await last.registry.describeRepositories({ repositoryNames: ['team/app'] })).repositories[0].imageTagMutability, 'MUTABLE',
    'and still opens with its own store')
  await last.close()
})

/** A real filesystem driver that fails one write: the process stopped just before it. */
class StopsBeforeMarker extends FilesystemDriver {
  override async putContent (path: string, content: Uint8Array | string, options?: PutOptions): Promise<void> {
    if (path === '/settings-store.json') throw new Error('stopped before the marker')
    return super.putContent(path, content, options)
  }
}

t.test('a migration interrupted after its store write is finished by the next open', async (t) => {
  const root = await tempDir(t)
  const clock = new ManualClock()
  const createdAt = await olderDataDir(root, clock)
  const store = new MemoryStore()
  const settings = new StoreRepositorySettings(store)
  await t.rejects(Registry.open({ storage: new StopsBeforeMarker({ rootDirectory: root }), clock, repositorySettings: settings, scrubIntervalMs: 0 }), /stopped before the marker/)
  t.equal(store.count(REPOSITORY_SETTINGS), 2, 'the import is one write: both records are there')
  t.ok(existsSync(join(root, 'repositories/team/app/_repository.json')), 'the files are still there')

  const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, clock, repositorySettings: settings, scrubIntervalMs: 0 })
  t.teardown(() => registry.close())
  const [app] = (await registry.describeRepositories({ repositoryNames: ['team/app'] })).repositories
  t.equal(app.createdAt.getTime(), createdAt)
  t.equal(app.imageTagMutability, 'IMMUTABLE')
  t.equal((await registry.getRepositoryPolicy({ repositoryName: 'team/app' })).policyText, policy)
  t.ok(existsSync(join(root, 'settings-store.json')), 'linked now')
  t.notOk(existsSync(join(root, 'repositories/team/app/_repository.json')), 'and the files are gone')
})

t.test('an open refused for a bad option moves nothing', async (t) => {
  const root = await tempDir(t)
  await olderDataDir(root, new ManualClock())
  const store = new MemoryStore()
  await t.rejects(Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, accountId: '12', repositorySettings: new StoreRepositorySettings(store) }),
    { code: 'InvalidParameterException', field: 'accountId' })
  t.equal(store.count(REPOSITORY_SETTINGS), 0)
  t.notOk(existsSync(join(root, 'settings-store.json')))
  t.ok(existsSync(join(root, 'repositories/team/app/_repository.json')))
})
