// Container properties of a job definition reach the runner as AWS means
// them, are shown back by DescribeJobs, and are validated as AWS does: the
// runner's spec is read from the stratus:runner:start channel (simulated
// runner), the task's address from the tasks collection while it runs.
import t, { type Test } from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus, InvalidArgumentError, type ContainerProperties } from '../../../sdk/index.js'
import type { ContainerSpec } from '../../../runtime/runners/runner.js'
import { oneNode, settle, sim, simulatedCloud, type Cloud } from './fixtures.js'

interface Started { id: string; containers: ContainerSpec[] }

/** Every spec the runners accept while `fn` runs. */
function recordStarts(t: Test): Started[] {
  const starts: Started[] = []
  const listener = (message: unknown) => {
    starts.push(message as Started)
  }
  subscribe('stratus:runner:start', listener)
  t.teardown(() => {
    unsubscribe('stratus:runner:start', listener)
  })
  return starts
}

const host = await mkdtemp(join(tmpdir(), 'stratus-container-props-'))
t.teardown(() => rm(host, { recursive: true, force: true }))

t.test('volumes, mount points, ulimits, user, read-only root, init process and awslogs reach the runner', async (t) => {
  const starts = recordStarts(t)
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const def = await cloud.batch.jobDefinition('full').image('busybox:1.36').command('sh', '-c', 'true').vcpus(1).memory(128)
    .volume('data', host).volume('scratch')
    .mount('data', '/data', { readOnly: true }).mount('scratch', '/scratch')
    .ulimit('nofile', 1024, 4096).ulimit('core', 0)
    .user('nobody').readonlyRootFilesystem().initProcess(false)
    .logConfiguration({ logDriver: 'awslogs', options: { 'awslogs-group': '/aws/batch/job', 'awslogs-stream-prefix': 'full' } })
    .register()
  const job = await cloud.batch.job('full').queue(queue).definition(def).env(sim(10)).submit()
  await settle(cloud)
  const running = await job.describe()
  t.equal(running.status, 'RUNNING')
  const spec = starts.find((s) => s.id.includes(job.id))!.containers[0]
  t.equal(spec.image, 'busybox:1.36')
  t.same(spec.mounts, [
    { sourcePath: host, containerPath: '/data', readOnly: true },
    { sourcePath: join(spec.workDir, 'volumes', 'scratch'), containerPath: '/scratch' }
  ], 'a host volume is its path; a volume without host is a directory of the attempt')
  t.ok(statSync(spec.mounts![1].sourcePath).isDirectory(), 'the scratch directory exists before the container starts')
  t.same(spec.ulimits, [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }, { name: 'core', softLimit: 0, hardLimit: 0 }])
  t.equal(spec.user, 'nobody')
  t.equal(spec.readonlyRootFilesystem, true)
  t.equal(spec.initProcessEnabled, false)
  t.equal(spec.privileged, undefined)

  // DescribeJobs shows the properties, and the live attempt's task and address.
  const task = cloud.engine.store.scan<{ runId: string; address: string }>('tasks').map((r) => r.value).find((r) => r.runId.includes(job.id))!
  t.match(task.address, /^127\.\d+\.\d+\.\d+$/)
  const c = running.container
  t.equal(c.image, 'busybox:1.36')
  t.same(c.volumes, [{ name: 'data', host: { sourcePath: host } }, { name: 'scratch' }])
  t.same(c.mountPoints, [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }, { sourceVolume: 'scratch', containerPath: '/scratch' }])
  t.same(c.ulimits, spec.ulimits)
  t.equal(c.user, 'nobody')
  t.equal(c.readonlyRootFilesystem, true)
  t.same(c.linuxParameters, { initProcessEnabled: false })
  t.same(c.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': '/aws/batch/job', 'awslogs-stream-prefix': 'full' } })
  t.same(c.networkInterfaces, [{ privateIpv4Address: task.address }], 'awsvpc: the task\'s 127.x address')
  t.match(c.taskArn, /^arn:aws:ecs:.*:task\//)
  t.match(c.containerInstanceArn, /^arn:aws:ecs:.*:container-instance\//)
  t.equal(c.logStreamName, `full/default/${job.id}-1`, 'the stream name stays <jobDefinition>/default/<task>')

  await cloud.clock.advance(10_000)
  const done = await job.wait()
  t.equal(done.status, 'SUCCEEDED')
  const [attempt] = done.attempts
  t.same(attempt.container.networkInterfaces, [{ privateIpv4Address: task.address }])
  t.equal(attempt.container.taskArn, c.taskArn)
  t.equal(attempt.container.containerInstanceArn, c.containerInstanceArn)
  t.equal(attempt.container.logStreamName, c.logStreamName)
})

t.test('each attempt has a scratch directory of its own', async (t) => {
  const starts = recordStarts(t)
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const def = await cloud.batch.jobDefinition('twice').image('busybox').command('true').vcpus(1).memory(128)
    .volume('tmp').mount('tmp', '/tmp').retry({ attempts: 2 }).register()
  const job = await cloud.batch.job('twice').queue(queue).definition(def).env(sim(1, 3)).submit()
  await cloud.clock.advance(5_000)
  const d = await job.wait()
  t.same(d.attempts.map((a) => a.container.exitCode), [3, 3])
  const sources = starts.filter((s) => s.id.includes(job.id)).map((s) => s.containers[0].mounts![0].sourcePath)
  t.equal(sources.length, 2)
  t.not(sources[0], sources[1], 'two attempts, two directories')
  for (const source of sources) t.ok(existsSync(source))
})

t.test('command with Ref:: parameters, environment and resources, from the definition and from the overrides', async (t) => {
  const starts = recordStarts(t)
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud, { vcpus: 4 })
  const def = await cloud.batch.jobDefinition('ref').image('busybox').command('echo', 'Ref::greeting', 'to-Ref::who')
    .parameters({ greeting: 'hello', who: 'world' }).env({ A: 'from-definition', B: 'kept' }).vcpus(1).memory(128).register()
  const plain = await cloud.batch.job('plain').queue(queue).definition(def).submit()
  const overridden = await cloud.batch.job('over').queue(queue).definition(def).parameters({ who: 'you' }).env({ A: 'from-override' })
    .vcpus(2).memory(256).submit()
  const replaced = await cloud.batch.job('cmd').queue(queue).definition(def).command('printf', 'Ref::greeting').submit()
  await Promise.all([plain.wait(), overridden.wait(), replaced.wait()])
  const specOf = (id: string) => starts.find((s) => s.id.includes(id))!.containers[0]
  t.same(specOf(plain.id).command, ['echo', 'hello', 'to-world'])
  t.same(specOf(overridden.id).command, ['echo', 'hello', 'to-you'], 'a submitted parameter wins over the definition\'s')
  t.same(specOf(replaced.id).command, ['printf', 'hello'], 'an overriding command takes parameters too')
  t.match(specOf(overridden.id).env, { A: 'from-override', B: 'kept', AWS_BATCH_JOB_ID: overridden.id, AWS_BATCH_JOB_ATTEMPT: '1' })
  t.match(specOf(overridden.id), { vcpus: 2, memoryMiB: 256 })
  t.match(specOf(plain.id), { vcpus: 1, memoryMiB: 128 })
})

t.test('privileged is passed through, and refused by a runner that does not allow it: the attempt FAILS with the reason', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue } = await oneNode(cloud)
  const def = await cloud.batch.jobDefinition('root').image('busybox').command('true').vcpus(1).memory(128).privileged().register()
  t.equal(def.detail.containerProperties?.privileged, true, 'registered as asked')
  const job = await cloud.batch.job('root').queue(queue).definition(def).submit()
  const d = await job.wait()
  t.equal(d.status, 'FAILED')
  t.equal(d.container.privileged, true)
  t.match(d.container.reason, /^CannotStartContainerError: .*privileged/)
  t.equal(d.attempts.length, 1)
  t.equal(d.statusReason, 'Task failed to start')
  // The engine carries on: the next job runs.
  const next = await cloud.batch.job('next').queue(queue).definition(await cloud.batch.jobDefinition('ok').command('true').vcpus(1).memory(128).register()).submit()
  t.equal((await next.wait()).status, 'SUCCEEDED')
})

t.test('on the process runner a job that asks for mounts fails with the runner\'s reason (it has no container filesystem)', async (t) => {
  await using cloud = await Stratus.embedded({ runner: 'process' })
  const ce = await cloud.batch.computeEnvironment('local').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 2048 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('mounts').command('true').vcpus(1).memory(128).volume('v').mount('v', '/v').register()
  const d = await (await cloud.batch.job('mounts').queue(queue).definition(def).submit()).wait()
  t.equal(d.status, 'FAILED')
  t.match(d.container.reason, /^CannotStartContainerError: .*mounts.*no container filesystem/)
})

async function refusedRegistration(t: Test, cloud: Cloud, props: ContainerProperties, field: string, message: string, limit?: number) {
  const before = (await cloud.batch.service.describeJobDefinitions({})).jobDefinitions.length
  const error = await cloud.batch.service.registerJobDefinition({ jobDefinitionName: 'bad', type: 'container', containerProperties: props })
    .then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof InvalidArgumentError, `${message}: an InvalidArgument error`)
  t.match(error, { code: 'ClientException', field, ...(limit !== undefined ? { limit } : {}) }, message)
  t.match((error as Error).message, field, `${message}: the message names the field`)
  t.equal((await cloud.batch.service.describeJobDefinitions({})).jobDefinitions.length, before, `${message}: nothing stored`)
}

t.test('RegisterJobDefinition: container properties validated as AWS does, naming the field', async (t) => {
  await using cloud = await simulatedCloud()
  const base: ContainerProperties = { image: 'busybox', command: ['true'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }] }
  const cp = 'containerProperties'
  const cases: Array<[ContainerProperties, string, string, number?]> = [
    [{ ...base, volumes: [{ name: 'a' }], mountPoints: [{ sourceVolume: 'b', containerPath: '/b' }] }, `${cp}.mountPoints[0].sourceVolume`, 'a mount point naming an unknown volume'],
    [{ ...base, mountPoints: [{ sourceVolume: 'a', containerPath: '/a' }] }, `${cp}.mountPoints[0].sourceVolume`, 'a mount point without any volume'],
    [{ ...base, volumes: [{ name: 'a' }], mountPoints: [{ sourceVolume: 'a', containerPath: 'relative/path' }] }, `${cp}.mountPoints[0].containerPath`, 'containerPath not absolute'],
    [{ ...base, volumes: [{ name: 'a' }, { name: 'b' }], mountPoints: [{ sourceVolume: 'a', containerPath: '/x' }, { sourceVolume: 'b', containerPath: '/x' }] },
      `${cp}.mountPoints[1].containerPath`, 'one containerPath mounted twice'],
    [{ ...base, volumes: [{ name: 'a' }, { name: 'a' }] }, `${cp}.volumes[1].name`, 'duplicate volume names'],
    [{ ...base, volumes: [{ name: 'bad name' }] }, `${cp}.volumes[0].name`, 'a volume name with a space', 255],
    [{ ...base, volumes: [{ name: 'a', host: { sourcePath: 'tmp' } }] }, `${cp}.volumes[0].host.sourcePath`, 'a host path not absolute'],
    [{ ...base, volumes: [{ name: 'a', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }] }, `${cp}.volumes[0].efsVolumeConfiguration`, 'an EFS volume'],
    [{ ...base, ulimits: [{ name: 'files', softLimit: 1, hardLimit: 1 }] }, `${cp}.ulimits[0].name`, 'an unknown ulimit name'],
    [{ ...base, ulimits: [{ name: 'nofile', softLimit: 2048, hardLimit: 1024 }] }, `${cp}.ulimits[0].softLimit`, 'softLimit above hardLimit', 1024],
    [{ ...base, ulimits: [{ name: 'nofile', softLimit: 1, hardLimit: 1 }, { name: 'nofile', softLimit: 2, hardLimit: 2 }] }, `${cp}.ulimits[1].name`, 'one ulimit twice'],
    [{ ...base, ulimits: [{ name: 'nproc', softLimit: 1.5, hardLimit: 2 }] }, `${cp}.ulimits[0].softLimit`, 'a fractional limit'],
    [{ ...base, user: '' }, `${cp}.user`, 'an empty user', 255],
    [{ ...base, privileged: 'yes' as unknown as boolean }, `${cp}.privileged`, 'privileged not a boolean'],
    [{ ...base, readonlyRootFilesystem: 1 as unknown as boolean }, `${cp}.readonlyRootFilesystem`, 'readonlyRootFilesystem not a boolean'],
    [{ ...base, linuxParameters: { initProcessEnabled: 'no' as unknown as boolean } }, `${cp}.linuxParameters.initProcessEnabled`, 'initProcessEnabled not a boolean'],
    [{ ...base, linuxParameters: { devices: [{ hostPath: '/dev/fuse' }] } }, `${cp}.linuxParameters.devices`, 'devices (no runner has them)'],
    [{ ...base, logConfiguration: { logDriver: 'bogus' as 'awslogs' } }, `${cp}.logConfiguration.logDriver`, 'an unknown log driver'],
    [{ ...base, logConfiguration: { logDriver: 'splunk' } }, `${cp}.logConfiguration.logDriver`, 'a log driver Stratus has not'],
    [{ ...base, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-colour': 'blue' } } }, `${cp}.logConfiguration.options.awslogs-colour`, 'an unknown awslogs option'],
    [{ ...base, logConfiguration: { logDriver: 'awslogs', secretOptions: [{ name: 'x', valueFrom: 'y' }] } }, `${cp}.logConfiguration.secretOptions`, 'secret options'],
    [{ ...base, instanceType: 'm5.large' }, `${cp}.instanceType`, 'instanceType']
  ]
  for (const [props, field, message, limit] of cases) await refusedRegistration(t, cloud, props, field, message, limit)
  const ok = await cloud.batch.service.registerJobDefinition({
    jobDefinitionName: 'good', type: 'container',
    containerProperties: { ...base, volumes: [{ name: 'a', host: {} }], mountPoints: [{ sourceVolume: 'a', containerPath: '/a' }], ulimits: [{ name: 'memlock', softLimit: -1, hardLimit: -1 }] }
  })
  t.equal(ok.revision, 1, 'a host without sourcePath (scratch) and unlimited (-1) ulimits are accepted')
})

t.test('SubmitJob: overrides as AWS allows them', async (t) => {
  await using cloud = await simulatedCloud()
  const { queue, def } = await oneNode(cloud)
  const submit = (extra: Record<string, unknown>) => cloud.batch.service.submitJob({ jobName: 'j', jobQueue: queue.name, jobDefinition: def.arn, ...extra })
  await t.rejects(submit({ containerOverrides: { instanceType: 'm5.large' } }), { code: 'ClientException', field: 'containerOverrides.instanceType' })
  await t.rejects(submit({ containerOverrides: { command: 'true' } }), { code: 'ClientException', field: 'containerOverrides.command' })
  await t.rejects(submit({ containerOverrides: { resourceRequirements: [{ type: 'CPU', value: '1' }] } }), { code: 'ClientException', field: 'containerOverrides.resourceRequirements[0]' })
  await t.rejects(submit({ nodeOverrides: { numNodes: 2 } }), { code: 'ClientException', field: 'nodeOverrides' }, 'node overrides are for multi-node jobs')
  t.equal(await cloud.batch.service.countJobs(), 0, 'nothing stored')
})
