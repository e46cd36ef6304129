// The registry's repositories and their settings are state of the engine's store when it is
// durable (the SQLite store of a data directory): an engine started again on the same data
// directory (state.db, and the registry storage that keeps the images) has every repository
// with its settings, policies, tags and images, through the official @aws-sdk/client-ecr, and
// skopeo pulls what was pushed before the restart. An engine on a memory store leaves the
// settings in the registry storage's own files: the storage outlives the memory store.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateRepositoryCommand, DeleteRepositoryCommand, DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand, ListTagsForResourceCommand, PutImageTagMutabilityCommand, PutLifecyclePolicyCommand, RepositoryNotFoundException,
  SetRepositoryPolicyCommand
} from '@aws-sdk/client-ecr'
import { MemoryStore } from '../../runtime/index.js'
import { REPOSITORY_SETTINGS } from '../../runtime/registry-state/index.js'
import { Registry } from '../../registry/index.js'
import { clientConfig, simulatedCloud } from './api/clients.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { requireTool } from '../tools.js'
import { flipBytes } from '../registry/helpers.js'

const run = promisify(execFile)

const policyText = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'all', Effect: 'Allow', Principal: '*', Action: ['ecr:*'] }] })
const lifecyclePolicyText = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 }, action: { type: 'expire' } }] })

t.test('repositories and their settings survive an engine restart over the same store', async (t) => {
  await requireTool('skopeo')
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ecr-restart-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const start = () => simulatedCloud({ dataDir })

  const first = await start()
  const ecr = new ECRClient(clientConfig(first))
  const { repository } = await ecr.send(new CreateRepositoryCommand({
    repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true }, tags: [{ Key: 'env', Value: 'test' }]
  }))
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'scratch' }))
  await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'team/app', policyText }))
  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'team/app', lifecyclePolicyText }))
  const image = await first.registry.image('team/app:1').fromScratch().addContent('v1', '/version').push()
  ecr.destroy()
  t.same(first.engine.store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['scratch', 'team/app'], 'each repository is one record of the store')
  await first.close()
  t.notOk(existsSync(join(dataDir, 'registry/repositories/team/app/_repository.json')), 'and no settings file in the storage')

  const second = await start()
  t.teardown(() => second.close())
  const again = new ECRClient(clientConfig(second))
  t.teardown(() => again.destroy())
  const { repositories } = await again.send(new DescribeRepositoriesCommand({}))
  t.same(repositories?.map((r) => r.repositoryName), ['scratch', 'team/app'])
  const app = repositories!.find((r) => r.repositoryName === 'team/app')!
  t.equal(app.createdAt?.getTime(), repository?.createdAt?.getTime(), 'creation time kept')
  t.equal(app.imageTagMutability, 'IMMUTABLE')
  t.same(app.imageScanningConfiguration, { scanOnPush: true })
  t.equal(app.repositoryUri, `${second.endpoint}/team/app`, 'at the new engine\'s endpoint')
  t.equal((await again.send(new GetRepositoryPolicyCommand({ repositoryName: 'team/app' }))).policyText, policyText)
  t.equal((await again.send(new GetLifecyclePolicyCommand({ repositoryName: 'team/app' }))).lifecyclePolicyText, lifecyclePolicyText)
  t.same((await again.send(new ListTagsForResourceCommand({ resourceArn: app.repositoryArn }))).tags, [{ Key: 'env', Value: 'test' }])
  const images = (await again.send(new DescribeImagesCommand({ repositoryName: 'team/app' }))).imageDetails
  t.same(images?.map((i) => [i.imageDigest, i.imageTags]), [[image.imageDigest, ['1']]], 'its image is there')
  await t.rejects(second.registry.image('team/app:1').fromScratch().addContent('other', '/version').push(), { code: 'ImageTagAlreadyExistsException' }, 'the tag is still immutable')

  const layout = join(dataDir, 'pulled')
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${second.endpoint}/team/app:1`, `oci:${layout}:1`])
  const inspected = JSON.parse((await run('skopeo', ['inspect', `oci:${layout}:1`])).stdout) as { Digest: string }
  t.equal(inspected.Digest, image.imageDigest, 'skopeo pulls the image pushed before the restart')

  await again.send(new PutImageTagMutabilityCommand({ repositoryName: 'team/app', imageTagMutability: 'MUTABLE' }))
  await again.send(new DeleteRepositoryCommand({ repositoryName: 'scratch' }))
  t.same(second.engine.store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['team/app'], 'a deleted repository leaves no record')
  await second.close()

  const third = await start()
  t.teardown(() => third.close())
  const last = new ECRClient(clientConfig(third))
  t.teardown(() => last.destroy())
  t.equal((await last.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/app'] }))).repositories?.[0].imageTagMutability, 'MUTABLE', 'changes after a restart are kept too')
  await t.rejects(last.send(new DescribeRepositoriesCommand({ repositoryNames: ['scratch'] })), RepositoryNotFoundException, 'and deletes')
})

t.test('a data directory (SQLite store): repositories kept across restarts, scrubbed by the CLI with their settings', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ecr-datadir-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const first = await simulatedCloud({ dataDir })
  t.equal(first.engine.store.kind, 'sqlite')
  await first.registry.repository('kept').create({ tagMutability: 'IMMUTABLE' })
  const image = await first.registry.image('kept:1').fromScratch().addContent('kept\n'.repeat(100), '/kept').push()
  await first.close()
  const second = await simulatedCloud({ dataDir })
  t.equal((await second.registry.repository('kept').describe()).imageTagMutability, 'IMMUTABLE', 'the settings are in state.db')
  t.same(second.engine.store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['kept'])
  await second.close()

  // The CLI's scrub finds which repositories link a corrupted blob in the engine's store.
  const layer = image.layers[0].digest
  await flipBytes(join(dataDir, 'registry'), layer, 10)
  const cli = join(process.cwd(), 'dist', 'runtime', 'cli', 'main.js')
  const scrub = await run(process.execPath, [cli, 'registry', 'scrub', '--data-dir', dataDir, '--json']).then(
    () => ({ code: 0, out: '' }), (error: { code: number, stdout: string }) => ({ code: error.code, out: error.stdout }))
  t.equal(scrub.code, 1, 'corruption found: exit 1')
  t.match(JSON.parse(scrub.out).quarantined, [{ digest: layer, repositories: ['kept'] }])
})

/** The repository names an engine (or a standalone registry) sees. */
async function repositoryNames(registry: Registry): Promise<string[]> {
  return (await registry.describeRepositories({})).repositories.map((r) => r.repositoryName)
}

t.test('a registry storage given to an engine on a memory store keeps its repositories across restarts', async (t) => {
  t.test('registry.storage without a data directory', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'stratus-ecr-memory-storage-'))
    t.teardown(() => rm(root, { recursive: true, force: true }))
    const storage = { driver: 'filesystem' as const, rootDirectory: root }
    const standalone = await Registry.open({ storage, scrubIntervalMs: 0 })
    await standalone.createRepository({ repositoryName: 'app', imageTagMutability: 'IMMUTABLE' })
    await standalone.close()

    const first = await simulatedCloud({ registry: { storage } })
    t.equal(first.engine.store.kind, 'memory')
    t.same(await repositoryNames(first.engine.registry), ['app'], 'the engine sees the storage\'s repository')
    await first.registry.repository('web').create()
    await first.close()
    t.ok(existsSync(join(root, 'repositories/app/_repository.json')), 'the settings files stay in the storage')
    t.ok(existsSync(join(root, 'repositories/web/_repository.json')), 'with the one the engine created')
    t.notOk(existsSync(join(root, 'settings-store.json')), 'and the storage is not linked to the memory store')

    const second = await simulatedCloud({ registry: { storage } })
    t.same(await repositoryNames(second.engine.registry), ['app', 'web'], 'a new engine on a new memory store sees both')
    t.equal((await second.registry.repository('app').describe()).imageTagMutability, 'IMMUTABLE', 'with their settings')
    await second.close()
    const again = await Registry.open({ storage, scrubIntervalMs: 0 })
    t.same(await repositoryNames(again), ['app', 'web'], 'and so does a standalone registry')
    await again.close()
  })

  t.test('a data directory with an explicit MemoryStore, then the SQLite default on it', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ecr-memory-datadir-'))
    t.teardown(() => rm(dataDir, { recursive: true, force: true }))
    const first = await simulatedCloud({ dataDir, store: new MemoryStore() })
    await first.registry.repository('app').create({ tagMutability: 'IMMUTABLE' })
    await first.close()
    t.notOk(existsSync(join(dataDir, 'registry/settings-store.json')), 'the storage is not linked to the memory store')

    const second = await simulatedCloud({ dataDir, store: new MemoryStore() })
    t.equal((await second.registry.repository('app').describe()).imageTagMutability, 'IMMUTABLE', 'a second memory store sees it')
    await second.close()

    const third = await simulatedCloud({ dataDir })
    t.equal(third.engine.store.kind, 'sqlite')
    t.equal((await third.registry.repository('app').describe()).imageTagMutability, 'IMMUTABLE', 'the SQLite default opens with it')
    t.same(third.engine.store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['app'], 'its settings moved into state.db')
    await third.close()
    t.notOk(existsSync(join(dataDir, 'registry/repositories/app/_repository.json')), 'and out of the storage')
  })
})

t.test('a registry storage linked to a SQLite store is refused by an engine on a memory store, and nothing is moved', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ecr-linked-datadir-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const first = await simulatedCloud({ dataDir })
  await first.registry.repository('app').create({ tagMutability: 'IMMUTABLE' })
  await first.close()
  const marker = await readFile(join(dataDir, 'registry/settings-store.json'), 'utf8')

  const store = new MemoryStore()
  t.teardown(() => store.close())
  await t.rejects(simulatedCloud({ dataDir, store }), {
    code: 'RepositorySettingsElsewhere', kind: 'Conflict', field: 'store', message: /memory store.*data directory whose state\.db holds them/
  }, 'refused, saying which store holds the settings')
  t.equal(await readFile(join(dataDir, 'registry/settings-store.json'), 'utf8'), marker, 'the link is as it was')
  t.same(store.scan(REPOSITORY_SETTINGS), [], 'nothing went into the memory store')

  const again = await simulatedCloud({ dataDir })
  t.teardown(() => again.close())
  t.equal((await again.registry.repository('app').describe()).imageTagMutability, 'IMMUTABLE', 'the SQLite store still opens with the repository')
})
