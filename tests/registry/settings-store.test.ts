// Repository settings records, on every settings store (the driver's `_repository.json`
// files, the default; the engine's Store, memory and SQLite, through runtime/registry-state) with one body of
// tests: a delete records its intent before it removes anything, so a delete interrupted
// after that first write leaves no repository half there (the next open, or a create of the
// same name, finishes it); a change that waited while its repository was deleted does not
// bring it back; a second writer is refused.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { FilesystemDriver, Registry, isRegistryError, type RegistryOptions } from '../../registry/index.js'
import { rm } from 'node:fs/promises'
import { MemoryStore } from '../../runtime/index.js'
import { SqliteStore } from '../../runtime/store/sqlite.js'
import { REPOSITORY_SETTINGS, StoreRepositorySettings } from '../../runtime/registry-state/index.js'
import { ManualClock, tempDir } from './helpers.js'

/** A real filesystem driver whose deletes of one kind of path fail while `failing` is set: a process stopped at that step. */
class InterruptedDriver extends FilesystemDriver {
  failing: RegExp | undefined
  override async delete (path: string): Promise<void> {
    if (this.failing?.test(path) === true) throw new Error(`interrupted before deleting ${path}`)
    return super.delete(path)
  }
}

interface Backend {
  name: string
  /** Options for each open over the same state: the settings store, if not the driver's. */
  options (): Partial<RegistryOptions> | Promise<Partial<RegistryOptions>>
  /** The names with a settings record, whatever state it is in. */
  records (root: string): string[]
  setUp?: (root: string) => void
  tearDown?: () => unknown
}

function backends (): Backend[] {
  return [{
    name: 'driver settings (_repository.json)',
    options: () => ({}),
    records: (root) => ['team/app', 'team/app/worker', 'other'].filter((n) => existsSync(join(root, 'repositories', n, '_repository.json')))
  }, (() => {
    const store = new MemoryStore()
    return {
      name: 'engine store (ecr:repositories)',
      options: () => ({ repositorySettings: new StoreRepositorySettings(store) }),
      records: () => store.scan(REPOSITORY_SETTINGS).map((r) => r.key)
    }
  })(), (() => {
    // Each open is a restart: the store file is closed and opened again.
    let store: SqliteStore | undefined
    let path = ''
    return {
      name: 'engine store on SQLite (ecr:repositories in state.db)',
      options: async () => {
        await store?.close()
        store = SqliteStore.open(path)
        return { repositorySettings: new StoreRepositorySettings(store) }
      },
      records: () => store!.scan(REPOSITORY_SETTINGS).map((r) => r.key),
      setUp: (root: string) => { path = join(root, '..', `${root.split('/').pop()}-state.db`) },
      tearDown: () => store?.close()
    }
  })()]
}

for (const backend of backends()) {
  t.test(backend.name, async (t) => {
    const root = await tempDir(t)
    backend.setUp?.(root)
    t.teardown(async () => {
      await backend.tearDown?.()
      await rm(join(root, '..', `${root.split('/').pop()}-state.db`), { force: true })
    })
    const clock = new ManualClock()
    const open = async (driver = new FilesystemDriver({ rootDirectory: root })) =>
      Registry.open({ storage: driver, clock, scrubIntervalMs: 0, lifecycleIntervalMs: 0, ...(await backend.options()) })
    const names = async (registry: Registry) => (await registry.describeRepositories()).repositories.map((r) => r.repositoryName)

    await t.test('a delete interrupted after its intent is finished by the next open', async (t) => {
      const driver = new InterruptedDriver({ rootDirectory: root })
      const registry = await open(driver)
      await registry.createRepository({ repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE' })
      await registry.createRepository({ repositoryName: 'team/app/worker' })
      await registry.image('team/app:1').fromScratch().addContent('one', '/one').push()
      await registry.image('team/app/worker:1').fromScratch().addContent('w', '/w').push()
      t.ok(existsSync(join(root, 'repositories/team/app/_manifests')))

      driver.failing = /\/team\/app\/_manifests$/
      await t.rejects(registry.deleteRepository({ repositoryName: 'team/app', force: true }), /interrupted/)
      t.same(await names(registry), ['team/app/worker'], 'once its intent is recorded the repository is gone')
      await t.rejects(registry.describeImages({ repositoryName: 'team/app' }), { code: 'RepositoryNotFoundException' })
      t.ok(backend.records(root).includes('team/app'), 'its record (marked deleting) is still there')
      await registry.close()

      const reopened = await open()
      t.same(await names(reopened), ['team/app/worker'], 'not back after the restart')
      t.notOk(existsSync(join(root, 'repositories/team/app/_manifests')), 'its manifests and tags were removed at open')
      t.notOk(backend.records(root).includes('team/app'), 'and then its record')
      t.equal((await reopened.describeImages({ repositoryName: 'team/app/worker' })).imageDetails.length, 1, 'the nested repository keeps its image')
      const again = await reopened.createRepository({ repositoryName: 'team/app' })
      t.equal(again.repository.imageTagMutability, 'MUTABLE', 'a new repository of that name has its own settings')
      t.same((await reopened.describeImages({ repositoryName: 'team/app' })).imageDetails, [], 'and no images of the old one')
      await reopened.deleteRepository({ repositoryName: 'team/app' })
      await reopened.deleteRepository({ repositoryName: 'team/app/worker', force: true })
      await reopened.close()
    })

    await t.test('a create of the name finishes an interrupted delete first', async (t) => {
      const driver = new InterruptedDriver({ rootDirectory: root })
      const registry = await open(driver)
      await registry.createRepository({ repositoryName: 'other', imageScanningConfiguration: { scanOnPush: true } })
      await registry.image('other:1').fromScratch().addContent('old', '/old').push()
      driver.failing = /\/other\/_layers$/
      await t.rejects(registry.deleteRepository({ repositoryName: 'other', force: true }), /interrupted/)
      driver.failing = undefined
      const created = await registry.createRepository({ repositoryName: 'other' })
      t.same(created.repository.imageScanningConfiguration, { scanOnPush: false })
      t.same((await registry.describeImages({ repositoryName: 'other' })).imageDetails, [])
      await registry.close()
      const reopened = await open()
      t.same(await names(reopened), ['other'])
      t.same((await reopened.describeImages({ repositoryName: 'other' })).imageDetails, [], 'the old images stay gone after a restart')
      t.same((await reopened.describeRepositories({ repositoryNames: ['other'] })).repositories[0].imageScanningConfiguration, { scanOnPush: false })
      await reopened.deleteRepository({ repositoryName: 'other' })
      await reopened.close()
    })

    await t.test('a settings change that waited while its repository was deleted does not bring it back', async (t) => {
      const registry = await open()
      await registry.createRepository({ repositoryName: 'team/app' })
      // Hold the repository's lock so the delete, then the change, queue on it in that order.
      const state = (await registry.distribution.repositories.get('team/app'))!
      let release = (): void => {}
      const held = state.lock.run(() => new Promise<void>((resolve) => { release = resolve }))
      const deleting = registry.deleteRepository({ repositoryName: 'team/app' })
      await new Promise((resolve) => setImmediate(resolve))
      const change = registry.putImageTagMutability({ repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE' })
      await new Promise((resolve) => setImmediate(resolve))
      release()
      await held
      await deleting
      await t.rejects(change, { code: 'RepositoryNotFoundException' })
      await registry.close()
      const reopened = await open()
      t.same(await names(reopened), [], 'no record was written for it')
      t.same(backend.records(root), [])
      await reopened.close()
    })
  })
}

t.test('a second writer of the same settings is refused, not overwritten', async (t) => {
  const store = new MemoryStore()
  const settings = new StoreRepositorySettings(store)
  const registry = await Registry.open({ repositorySettings: settings, scrubIntervalMs: 0 })
  t.teardown(() => registry.close())
  await registry.createRepository({ repositoryName: 'shared' })
  const [{ version }] = await settings.list()
  await settings.put({ ...(await settings.list())[0].settings, imageTagMutability: 'IMMUTABLE' }, version)
  const err = await registry.putImageScanningConfiguration({ repositoryName: 'shared', imageScanningConfiguration: { scanOnPush: true } }).catch((e: unknown) => e)
  t.match(err, { code: 'StoreVersionConflict', kind: 'Conflict' }, 'the registry wrote against the version it read')
  t.equal(store.get<{ imageTagMutability: string, scanOnPush: boolean }>(REPOSITORY_SETTINGS, 'shared')?.value.imageTagMutability, 'IMMUTABLE', 'the other write stands')
  t.notOk(isRegistryError(err))
})
