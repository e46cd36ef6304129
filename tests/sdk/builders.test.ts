// SDK builders are immutable: every call returns a new builder over a frozen
// spec, so a builder can be kept, reused and forked without one use changing
// another.
import t from 'tap'
import { Stratus, type RetryOptions } from '../../sdk/index.js'

async function cloudWithQueue() {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const ce = await cloud.batch.computeEnvironment('own').unmanaged().create()
  await ce.registerNode({ vcpus: 8, memory: 8192 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  return { cloud, ce, queue }
}

/** Deep copy of a spec, to compare before and after. */
const snapshot = (spec: object) => JSON.parse(JSON.stringify(spec)) as unknown

t.test('each call returns a new builder and leaves the old one as it was', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const def = cloud.batch.jobDefinition('d')
  const before = snapshot(def.spec)
  const next = def.command('echo', 'hi').vcpus(2).memory(256).env({ A: '1' }).parameters({ p: 'v' }).retry({ attempts: 2 }).timeout(60).tags({ t: '1' })
  t.not(next, def)
  t.same(snapshot(def.spec), before, 'the first builder has not changed')
  t.match(next.spec, { name: 'd', command: ['echo', 'hi'], vcpus: 2, memory: 256, env: { A: '1' }, parameters: { p: 'v' }, retry: { attempts: 2 }, timeout: 60, tags: { t: '1' } })

  const job = cloud.batch.job('j')
  t.not(job.array(3), job)
  t.equal(job.spec.arraySize, undefined)
  const ce = cloud.batch.computeEnvironment('ce')
  t.not(ce.unmanaged(), ce)
  t.equal(ce.spec.type, 'MANAGED', 'managed by default, still')
  const q = cloud.batch.jobQueue('q')
  t.not(q.priority(5), q)
  t.equal(q.spec.priority, 1)
})

t.test('forks of one builder are independent', async (t) => {
  const { cloud, queue } = await cloudWithQueue()
  await using _cloud = cloud
  const base = cloud.batch.jobDefinition('work').command('x').vcpus(1).memory(128).env({ COMMON: 'yes' })
  const fast = base.env({ SPEED: 'fast' })
  const slow = base.env({ SPEED: 'slow' }).memory(256)
  t.same(base.spec.env, { COMMON: 'yes' })
  t.same(fast.spec.env, { COMMON: 'yes', SPEED: 'fast' })
  t.same(slow.spec.env, { COMMON: 'yes', SPEED: 'slow' })
  const [d1, d2] = [await fast.register(), await slow.register()]
  t.same([d1.revision, d2.revision], [1, 2])
  t.same(d1.detail.containerProperties?.environment, [{ name: 'COMMON', value: 'yes' }, { name: 'SPEED', value: 'fast' }])
  t.same(d2.detail.containerProperties?.environment, [{ name: 'COMMON', value: 'yes' }, { name: 'SPEED', value: 'slow' }])

  // Jobs: one base, dependencies added on forks do not leak into each other.
  const template = cloud.batch.job('step').queue(queue).definition(d1)
  const first = await template.submit()
  const second = await template.submit()
  t.not(first.id, second.id, 'a builder submits as often as you like')
  const afterFirst = template.dependsOn(first)
  const afterBoth = afterFirst.dependsOn(second)
  t.equal(template.spec.dependsOn.length, 0)
  t.equal(afterFirst.spec.dependsOn.length, 1)
  t.equal(afterBoth.spec.dependsOn.length, 2)
  const j = await afterFirst.submit()
  t.same((await j.describe()).dependsOn, [{ jobId: first.id }])
})

t.test('the spec is frozen, all the way down', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const builder = cloud.batch.job('j').queue('q').definition('d').dependsOn('other').env({ A: '1' }).command('a', 'b').retry({ attempts: 2, evaluateOnExit: [{ onExitCode: '1', action: 'EXIT' }] })
  t.ok(Object.isFrozen(builder.spec))
  t.throws(() => {
    (builder.spec as { name: string }).name = 'changed'
  }, TypeError)
  t.throws(() => (builder.spec.dependsOn as unknown[]).push({ jobId: 'x' }), TypeError, 'nested arrays too')
  t.throws(() => {
    (builder.spec.env as Record<string, string>).A = '2'
  }, TypeError, 'nested objects too')
  t.throws(() => {
    (builder.spec.retry!.evaluateOnExit as unknown[]).length = 0
  }, TypeError)
  t.equal(builder.spec.name, 'j')
  t.same(builder.spec.env, { A: '1' })
})

t.test('changing an object after handing it to a builder does not change the builder', async (t) => {
  const { cloud, queue } = await cloudWithQueue()
  await using _cloud = cloud
  const retry: RetryOptions = { attempts: 2, evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }] }
  const env = { A: '1' }
  const argv = ['echo', 'one']
  const def = cloud.batch.jobDefinition('d').command(...argv).vcpus(1).memory(128).retry(retry).env(env)
  retry.attempts = 9
  retry.evaluateOnExit!.push({ onExitCode: '4', action: 'EXIT' })
  env.A = 'changed'
  argv[1] = 'two'
  t.same(def.spec.retry, { attempts: 2, evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }] })
  t.same(def.spec.env, { A: '1' })
  t.same(def.spec.command, ['echo', 'one'])
  const registered = await def.register()
  t.same(registered.detail.retryStrategy, { attempts: 2, evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }] })
  const jobRetry: RetryOptions = { attempts: 3 }
  const job = cloud.batch.job('j').queue(queue).definition(registered).retry(jobRetry)
  jobRetry.attempts = 10
  t.same((await (await job.submit()).describe()).retryStrategy, { attempts: 3 })
})

t.test('toInput() is the AWS request the builder stands for', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.match(cloud.batch.computeEnvironment('ce').managed().minVcpus(0).maxVcpus(8).instanceTypes('m5.large').allocationStrategy('BEST_FIT_PROGRESSIVE').toInput(), {
    computeEnvironmentName: 'ce', type: 'MANAGED',
    computeResources: { type: 'EC2', minvCpus: 0, maxvCpus: 8, instanceTypes: ['m5.large'], allocationStrategy: 'BEST_FIT_PROGRESSIVE' }
  })
  t.match(cloud.batch.jobDefinition('d').command('sh', '-c', 'echo Ref::x').vcpus(1).memory(128).timeout(60).toInput(), {
    jobDefinitionName: 'd', type: 'container',
    containerProperties: { command: ['sh', '-c', 'echo Ref::x'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }] },
    timeout: { attemptDurationSeconds: 60 }
  })
  t.match(cloud.batch.job('j').queue('q').definition('d').array(10).dependsOn('a', 'N_TO_N').sequential().env({ X: '1' }).toInput(), {
    jobName: 'j', jobQueue: 'q', jobDefinition: 'd', arrayProperties: { size: 10 },
    dependsOn: [{ jobId: 'a', type: 'N_TO_N' }, { type: 'SEQUENTIAL' }],
    containerOverrides: { environment: [{ name: 'X', value: '1' }] }
  })
  t.throws(() => cloud.batch.job('j').definition('d').toInput(), { code: 'ClientException', kind: 'InvalidArgument', field: 'jobQueue' })
  t.throws(() => cloud.batch.job('j').queue('q').toInput(), { code: 'ClientException', kind: 'InvalidArgument', field: 'jobDefinition' })
})

t.test('container settings and multi-node definitions: forks are independent, toInput() is the AWS request', async (t) => {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const base = cloud.batch.jobDefinition('c').image('busybox').command('true').vcpus(1).memory(128).volume('data', '/srv/data').mount('data', '/data')
  const locked = base.readonlyRootFilesystem().user('nobody').ulimit('nofile', 1024, 2048).initProcess(false)
  const scratch = base.volume('tmp').mount('tmp', '/tmp', { readOnly: true }).privileged()
  t.same(base.spec.volumes, [{ name: 'data', host: { sourcePath: '/srv/data' } }], 'forks leave the base as it was')
  t.equal(base.spec.user, undefined)
  t.equal(scratch.spec.user, undefined)
  t.same(scratch.spec.mountPoints, [{ sourceVolume: 'data', containerPath: '/data' }, { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: true }])
  t.throws(() => (locked.spec.ulimits as unknown[]).push({}), TypeError, 'frozen all the way down')
  t.match(locked.logConfiguration({ logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }).toInput(), {
    type: 'container',
    containerProperties: {
      image: 'busybox', volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }], mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
      readonlyRootFilesystem: true, user: 'nobody', ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }],
      linuxParameters: { initProcessEnabled: false }, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }
    }
  })
  t.match(scratch.toInput().containerProperties, { privileged: true, volumes: [{ name: 'data' }, { name: 'tmp' }] })

  const mnp = cloud.batch.jobDefinition('m').vcpus(1).memory(256).env({ COMMON: 'yes' }).multiNode({ numNodes: 4, mainNode: 1 })
  const one = mnp.nodeRange(':', (c) => c.command('all'))
  const two = one.nodeRange('1', (c) => c.image('busybox').command('main').vcpus(2).env({ ROLE: 'main' }))
  t.equal(mnp.spec.ranges.length, 0)
  t.equal(one.spec.ranges.length, 1)
  t.same(two.toInput(), {
    jobDefinitionName: 'm', type: 'multinode',
    nodeProperties: {
      numNodes: 4, mainNode: 1,
      nodeRangeProperties: [
        { targetNodes: ':', container: { command: ['all'], environment: [{ name: 'COMMON', value: 'yes' }], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '256' }] } },
        { targetNodes: '1', container: { image: 'busybox', command: ['main'], environment: [{ name: 'COMMON', value: 'yes' }, { name: 'ROLE', value: 'main' }], resourceRequirements: [{ type: 'VCPU', value: '2' }, { type: 'MEMORY', value: '256' }] } }
      ]
    }
  }, 'each range starts from the definition\'s container')
  const job = cloud.batch.job('j').queue('q').definition('m').nodes(6).nodeOverride('2:', { env: { X: '1' }, vcpus: 2 })
  t.same(job.toInput().nodeOverrides, {
    numNodes: 6,
    nodePropertyOverrides: [{ targetNodes: '2:', containerOverrides: { environment: [{ name: 'X', value: '1' }], resourceRequirements: [{ type: 'VCPU', value: '2' }] } }]
  })
  t.equal(cloud.batch.job('j').spec.nodeOverrides, undefined)
  const registered = await two.register()
  t.equal(registered.detail.type, 'multinode', 'registered as a multinode definition')
  t.equal(registered.detail.nodeProperties?.nodeRangeProperties.length, 2)
})
