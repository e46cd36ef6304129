// The SDK conformance suite's body: one set of tests, run unchanged against
// every way of reaching a cloud — the embedded SDK (the engine in this
// process) and the remote SDK (`Stratus.connect` to a real engine's wire API
// on 127.0.0.1). Each test opens its own cloud and closes it. Not a test file
// (tap runs *.test.ts only): conformance.test.ts runs it per implementation.
import type { Test } from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Stratus, StratusClient, StratusError, NotFoundError, ConflictError, InvalidArgumentError, RegistryError,
  type CloudEvent, type EmbeddedOptions, type JobDetail, type JobStatus
} from '../../sdk/index.js'
import { iamConformance } from './conformance-iam-kit.js'
import { eventsConformance } from './conformance-events-kit.js'

export interface SdkUnderTest {
  readonly cloud: StratusClient
  close(): Promise<void>
}

/** Opens a cloud on an engine started with these options. */
export type OpenSdk = (options: EmbeddedOptions) => Promise<SdkUnderTest>

export const embeddedSdk: OpenSdk = async (options) => {
  const cloud = await Stratus.embedded(options)
  return { cloud, close: () => cloud.close() }
}

/** A real engine in this process, reached only through its wire API. */
export const remoteSdk: OpenSdk = async (options) => {
  const engine = await Stratus.embedded(options)
  try {
    const cloud = await Stratus.connect(`http://${engine.endpoint}`, { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
    return { cloud, close: async () => { await cloud.close(); await engine.close() } }
  } catch (error) {
    await engine.close()
    throw error
  }
}

const SIMULATED: EmbeddedOptions = { clock: 'manual', runner: 'simulated' }
const sim = (seconds: number) => ({ STRATUS_SIM_SECONDS: String(seconds) })

async function using(t: Test, open: OpenSdk, options: EmbeddedOptions): Promise<StratusClient> {
  const sdk = await open(options)
  t.teardown(() => sdk.close())
  return sdk.cloud
}

async function ownNode(cloud: StratusClient, vcpus = 4) {
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus, memory: 4096, id: 'node-1' })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('d').command('sh', '-c', 'echo hi').vcpus(1).memory(128).register()
  return { ce, queue, def }
}

/** What a caller can tell of an error: its class, kind, code and field. */
function shape(error: unknown) {
  const e = error as StratusError | RegistryError
  return {
    stratus: error instanceof StratusError, registry: error instanceof RegistryError,
    notFound: error instanceof NotFoundError, conflict: error instanceof ConflictError, invalid: error instanceof InvalidArgumentError,
    kind: e.kind, code: e.code, field: e.field
  }
}

async function failure(promise: Promise<unknown>): Promise<ReturnType<typeof shape>> {
  try {
    await promise
  } catch (error) {
    return shape(error)
  }
  throw new Error('expected a rejection')
}

export function conformance(t: Test, open: OpenSdk): void {
  t.test('compute environments, queues, definitions and nodes', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { ce, queue, def } = await ownNode(cloud)
    t.match(await ce.describe(), { computeEnvironmentName: 'own', type: 'UNMANAGED', status: 'VALID', state: 'ENABLED' })
    t.match(await ce.nodes(), [{ id: 'node-1', totalCpu: 4000, totalMemory: 4096, managed: false, status: 'ACTIVE' }])
    await ce.registerNode({ vcpus: 2, memory: 2048, id: 'node-2' })
    t.same((await ce.nodes()).map((n) => n.id).sort(), ['node-1', 'node-2'])
    await ce.deregisterNode('node-2')
    t.same((await ce.nodes()).map((n) => n.id), ['node-1'], 'a deregistered node is gone')
    t.match(await queue.describe(), { jobQueueName: 'q', priority: 1, state: 'ENABLED', computeEnvironmentOrder: [{ computeEnvironment: ce.arn }] })
    await queue.setPriority(5)
    t.equal((await queue.describe()).priority, 5)
    t.match(await def.describe(), { jobDefinitionName: 'd', revision: 1, status: 'ACTIVE', containerProperties: { command: ['sh', '-c', 'echo hi'] } })
    const managed = await cloud.batch.computeEnvironment('auto').managed().maxVcpus(8).instanceTypes('m5').create()
    t.match(await managed.describe(), { type: 'MANAGED', computeResources: { maxvCpus: 8 } })
  })

  t.test('submit, wait, describe and list', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { queue, def } = await ownNode(cloud)
    const job = await cloud.batch.job('one').queue(queue).definition(def).env(sim(5)).submit()
    await cloud.clock.advance(0)
    t.equal(await job.status(), 'RUNNING')
    const waited = job.wait()
    await cloud.clock.advance(5_000)
    const done = await waited
    t.equal(done.status, 'SUCCEEDED')
    t.equal(done.stoppedAt, cloud.clock.now(), 'stopped when the clock reached the end of its run')
    t.same((await cloud.batch.describeJobs(job.id)).map((d) => [d.jobName, d.status]), [['one', 'SUCCEEDED']])
    t.same((await cloud.batch.listJobs({ queue, status: 'SUCCEEDED' })).map((s) => s.jobId), [job.id])
    t.same((await cloud.batch.listJobs({ queue: 'q', name: 'on*' })).map((s) => s.jobName), ['one'])
    t.equal((await cloud.batch.jobById(job.id)).arn, job.arn)
    t.equal(await cloud.batch.service.countJobs(), 1)
  })

  t.test('array jobs', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { queue, def } = await ownNode(cloud)
    const job = await cloud.batch.job('arr').queue(queue).definition(def).array(3).env(sim(2)).submit()
    const waited = job.wait()
    await cloud.clock.advance(2_000)
    t.equal((await waited).status, 'SUCCEEDED')
    t.same((await job.children()).map((c) => [c.jobId, c.status]), [0, 1, 2].map((i) => [`${job.id}:${i}`, 'SUCCEEDED']))
    t.equal((await job.child(2).describe()).arrayProperties?.index, 2)
  })

  t.test('logs, followed while the job runs', async (t) => {
    const cloud = await using(t, open, { runner: 'process' })
    const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
    await ce.registerNode({ vcpus: 2, memory: 2048 })
    const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
    const def = await cloud.batch.jobDefinition('talk').command('sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.05; done; echo "$GREETING"').vcpus(1).memory(64).register()
    const job = await cloud.batch.job('talk').queue(queue).definition(def).env({ GREETING: 'bye' }).submit()
    const lines: string[] = []
    for await (const line of job.logs({ follow: true })) lines.push(line)
    t.same(lines, ['line 1', 'line 2', 'line 3', 'bye'], 'every line, in order, and the stream ends with the attempt')
    t.equal((await job.wait()).status, 'SUCCEEDED')
    const again: string[] = []
    for await (const line of job.logs({ follow: false })) again.push(line)
    t.same(again, lines, 'read again after the end')
  })

  t.test('a follow that the caller leaves early ends', async (t) => {
    const cloud = await using(t, open, { runner: 'process' })
    const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
    await ce.registerNode({ vcpus: 2, memory: 2048 })
    const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
    const def = await cloud.batch.jobDefinition('long').command('sh', '-c', 'echo first; exec sleep 60').vcpus(1).memory(64).register()
    const job = await cloud.batch.job('long').queue(queue).definition(def).submit()
    for await (const line of job.logs({ follow: true })) {
      t.equal(line, 'first')
      break
    }
    await job.terminate('done reading')
    t.equal((await job.wait()).status, 'FAILED')
  })

  t.test('why a job waits', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { queue } = await ownNode(cloud, 2)
    const big = await cloud.batch.jobDefinition('big').command('x').vcpus(4).memory(128).register()
    const job = await cloud.batch.job('big').queue(queue).definition(big).submit()
    await cloud.clock.advance(0)
    t.equal(await job.status(), 'RUNNABLE')
    t.match(await job.explain(), { computeEnvironment: 'own', reason: 'INSUFFICIENT_CPU', nodesNow: { nodes: 1, cpu: 1 } })
    const small = await cloud.batch.job('small').queue(queue).definition('d').env(sim(1)).submit()
    await cloud.clock.advance(0)
    t.equal(await small.explain(), undefined, 'a job that started has nothing to explain')
  })

  t.test('the manual clock', async (t) => {
    const start = Date.UTC(2030, 0, 1)
    const cloud = await using(t, open, { ...SIMULATED, startTime: start })
    t.equal(cloud.clock.kind, 'manual')
    t.equal(cloud.clock.now(), start)
    await cloud.clock.advance(60_000)
    t.equal(cloud.clock.now(), start + 60_000)
    t.equal(await cloud.clock.read(), start + 60_000)
    const { queue, def } = await ownNode(cloud)
    const job = await cloud.batch.job('timed').queue(queue).definition(def).timeout(60).env(sim(3600)).submit()
    const waited = job.wait()
    await cloud.clock.advance(61_000)
    t.match(await waited, { status: 'FAILED', statusReason: /timeout|Timeout/ }, 'a timeout fires on the manual clock')
  })

  t.test('events', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { queue, def } = await ownNode(cloud)
    const seen: JobStatus[] = []
    let succeeded!: () => void
    const done = new Promise<void>((resolve) => { succeeded = resolve })
    const subscription = cloud.events.subscribe({ source: ['aws.batch'], 'detail-type': ['Batch Job State Change'] }, (event: CloudEvent) => {
      const detail = event.detail as JobDetail
      seen.push(detail.status)
      if (detail.status === 'SUCCEEDED') succeeded()
    })
    await subscription.ready
    const job = await cloud.batch.job('watched').queue(queue).definition(def).env(sim(1)).submit()
    await cloud.clock.advance(1_000)
    await job.wait()
    await done
    subscription()
    t.same(seen, ['RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'], 'every state change of the job, in order (as AWS Batch sends them: from RUNNABLE on)')
    t.throws(() => cloud.events.subscribe({ source: 'aws.batch' } as never, () => undefined), { code: 'InvalidEventPattern', kind: 'InvalidArgument', field: 'pattern.source' }, 'a bad pattern is refused at once')
  })

  t.test('repositories and images', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const dir = await mkdtemp(join(tmpdir(), 'stratus-sdk-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'hello.sh'), '#!/bin/sh\necho hello\n', { mode: 0o755 })
    const repo = cloud.registry.repository('team/app')
    const created = await repo.create({ tagMutability: 'IMMUTABLE' })
    t.match(created, { repositoryName: 'team/app', repositoryUri: `${cloud.endpoint}/team/app`, imageTagMutability: 'IMMUTABLE' })
    t.type(created.createdAt, Date)
    const pushed = await cloud.registry.image('team/app:1').fromScratch().addFile(join(dir, 'hello.sh'), '/hello.sh').cmd(['/hello.sh']).push()
    t.match(pushed, { repositoryName: 'team/app', imageTag: '1', imageUri: `${cloud.endpoint}/team/app:1`, imageDigest: /^sha256:/ })
    const layered = await cloud.registry.image('team/app:2').from('team/app:1').addContent('v2', '/version').env({ V: '2' }).push()
    t.equal(layered.layers.length, 2, 'the base layer and one more')
    t.equal(layered.layers[0].digest, pushed.layers[0].digest)
    t.same(await repo.tags(), ['1', '2'])
    const images = await repo.images()
    t.equal(images.find((i) => i.imageTags?.includes('1'))?.imageDigest, pushed.imageDigest)
    t.type(images[0].imagePushedAt, Date)
    t.equal(images.find((i) => i.imageTags?.includes('1'))?.imageSizeInBytes, pushed.imageSizeInBytes)
    t.match(await failure(cloud.registry.image('team/app:1').fromScratch().addContent('other', '/x').push()),
      { registry: true, code: 'ImageTagAlreadyExistsException', kind: 'Conflict' }, 'an immutable tag is not pushed over')
    t.match(await failure(repo.delete()), { registry: true, code: 'RepositoryNotEmptyException', kind: 'Conflict' })
    const token = await repo.authorizationToken()
    t.match(Buffer.from(token.authorizationToken, 'base64').toString(), /^AWS:/)
    t.equal(token.expiresAt.getTime() - cloud.clock.now(), 12 * 3600 * 1000, 'valid 12 hours of clock time')
    t.equal((await repo.delete({ force: true })).repositoryName, 'team/app')
  })

  t.test('images push and pull with registry auth on', async (t) => {
    const cloud = await using(t, open, { ...SIMULATED, registry: { auth: { enabled: true } } })
    await cloud.registry.repository('base/one').create()
    const base = await cloud.registry.image('base/one:1').fromScratch().addContent('base', '/base').push()
    const app = await cloud.registry.image('team/two:1').from('base/one:1').addContent('app', '/app').push()
    t.equal(app.layers[0].digest, base.layers[0].digest, 'the base layer is shared across repositories')
    t.same(await cloud.registry.repository('team/two').tags(), ['1'], 'the repository was created on push')
    const res = await fetch(`http://${cloud.endpoint}/v2/team/two/manifests/1`)
    t.equal(res.status, 401, 'the registry does want credentials')
  })

  t.test('lifecycle policies, scrub, garbage collection', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const repo = cloud.registry.repository('team/life')
    await repo.create()
    const old = await cloud.registry.image('team/life:1').fromScratch().addContent('one', '/v').push()
    await cloud.clock.advance(3 * 24 * 3600 * 1000)
    await cloud.registry.image('team/life:2').fromScratch().addContent('two', '/v').push()
    const policy = { rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }] }
    t.equal(await repo.getLifecyclePolicy(), undefined)
    await repo.lifecyclePolicy(policy)
    t.same(JSON.parse((await repo.getLifecyclePolicy())!), policy)
    const preview = await repo.preview()
    t.match(preview, { summary: { expiringImageTotalCount: 1 }, previewResults: [{ imageDigest: old.imageDigest }] })
    t.type(preview.previewResults[0].imagePushedAt, Date)
    await repo.expire()
    t.same(await repo.tags(), ['2'])
    const report = await cloud.registry.scrub()
    t.same(report.blobsCorrupted, [])
    t.ok(report.blobsChecked > 0)
    t.same(await cloud.registry.quarantinedBlobs(), [])
    const gc = await cloud.registry.garbageCollect({ gracePeriodMs: 0, dryRun: true })
    t.ok(gc.blobsDeleted.length >= 1, 'the expired image\'s blobs are garbage')
  })

  t.test('errors: the same class, kind, code and field both ways', async (t) => {
    const cloud = await using(t, open, SIMULATED)
    const { ce, queue, def } = await ownNode(cloud)
    t.match(await failure(cloud.batch.jobById('no-such-job')), { stratus: true, notFound: true, kind: 'NotFound', code: 'ClientException', field: 'jobId' })
    t.match(await failure(cloud.batch.jobQueue('q').computeEnvironments(ce).create()), { stratus: true, kind: 'Conflict', code: 'ClientException' })
    t.match(await failure(cloud.batch.jobDefinition('bad').command('x').vcpus(0).memory(128).register()), { stratus: true, invalid: true, kind: 'InvalidArgument', code: 'ClientException' })
    t.match(await failure(cloud.batch.job('arr').queue(queue).definition(def).array(1).submit()), { stratus: true, kind: 'InvalidArgument', field: 'arrayProperties.size' })
    t.match(await failure(ce.registerNode({ vcpus: -1, memory: 1 })), { stratus: true, kind: 'InvalidArgument' })
    t.match(await failure(cloud.batch.service.waitForJob('no-such-job')), { stratus: true, kind: 'NotFound', field: 'jobId' })
    t.match(await failure(cloud.clock.advance(-1)), { stratus: true, invalid: true, code: 'InvalidDuration', field: 'ms' })
    t.match(await failure(cloud.registry.repository('nope').describe()), { registry: true, kind: 'NotFound', code: 'RepositoryNotFoundException' })
    t.match(await failure(cloud.registry.repository('Bad Name').create()), { registry: true, kind: 'InvalidArgument' })
  })

  iamConformance(t, (t) => using(t, open, SIMULATED))
  eventsConformance(t, (t) => using(t, open, SIMULATED))

  t.test('a real clock refuses advance()', async (t) => {
    const cloud = await using(t, open, { runner: 'simulated' })
    t.equal(cloud.clock.kind, 'real')
    t.ok(Math.abs((await cloud.clock.read()) - Date.now()) < 60_000, 'reads the engine\'s real clock')
    t.match(await failure(cloud.clock.advance(1)), { stratus: true, kind: 'InvalidArgument', code: 'ClockNotManual', field: 'clock' })
  })
}
