// The registry's repositories and their settings are state of the engine's store: an engine
// started again over the same store (and the same data directory, which keeps the images)
// has every repository with its settings, policies, tags and images, through the official
// @aws-sdk/client-ecr, and skopeo pulls what was pushed before the restart.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
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
  const store = new MemoryStore()
  t.teardown(() => store.close())
  const start = () => simulatedCloud({ store, dataDir })

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
  await first.close()
  t.same(store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['scratch', 'team/app'], 'each repository is one record of the store')
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
  t.same(store.scan(REPOSITORY_SETTINGS).map((r) => r.key), ['team/app'], 'a deleted repository leaves no record')
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
