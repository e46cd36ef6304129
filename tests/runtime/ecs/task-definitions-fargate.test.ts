// Fargate's rules at registration: every valid cpu/memory pair accepted (in
// units and in the vCPU / GB forms), invalid ones refused naming cpu or
// memory; awsvpc, awslogs with a stream prefix, no host bind mounts, no
// privileged, no Docker volumes; compatibilities computed; and the price of a
// Fargate task (pricing.ts).
import t from 'tap'
import { FARGATE_SIZES, parseCpu, parseMemory } from '../../../runtime/ecs/fargate-sizes.js'
import { taskCost } from '../../../runtime/ecs/pricing.js'
import { FARGATE_PRICES } from '../../../runtime/ecs/fargate-prices.js'
import { engine, fargateDefinition } from './task-definitions-fixtures.js'

t.test('every valid Fargate size is accepted; invalid ones are refused naming cpu or memory', async (t) => {
  await using e = await engine()
  let accepted = 0
  for (const [cpu, memories] of FARGATE_SIZES) {
    for (const memory of memories) {
      const { taskDefinition } = await e.ecs.registerTaskDefinition(fargateDefinition(`f${cpu}`, String(cpu), String(memory)))
      t.same([taskDefinition!.cpu, taskDefinition!.compatibilities], [String(cpu), ['EC2', 'FARGATE']])
      accepted++
    }
  }
  t.equal(accepted, 3 + 4 + 7 + 13 + 23 + 12 + 12, 'the whole table (74 sizes)')
  const refused: Array<[string, string, string]> = [
    ['256', '4096', 'memory'], ['512', '512', 'memory'], ['1024', '1536', 'memory'], ['2048', '17408', 'memory'], ['4096', '31744', 'memory'],
    ['8192', '18432', 'memory'], ['16384', '36864', 'memory'], ['128', '512', 'cpu'], ['3072', '8192', 'cpu'], ['32768', '65536', 'cpu']
  ]
  for (const [cpu, memory, field] of refused) {
    await t.rejects(e.ecs.registerTaskDefinition(fargateDefinition('bad', cpu, memory)), { code: 'ClientException', field, message: /No Fargate configuration exists/ }, `cpu ${cpu} memory ${memory}`)
  }
  await t.rejects(e.ecs.registerTaskDefinition({ ...fargateDefinition('bad'), cpu: undefined }), { code: 'ClientException', field: 'cpu' }, 'task-level cpu required')
  await t.rejects(e.ecs.registerTaskDefinition({ ...fargateDefinition('bad'), memory: undefined }), { code: 'ClientException', field: 'memory' }, 'task-level memory required')
  t.same((await e.ecs.listTaskDefinitions({ familyPrefix: 'bad' })).taskDefinitionArns, [], 'nothing stored')
})

t.test('cpu and memory in the forms ECS accepts', async (t) => {
  await using e = await engine()
  const forms: Array<[string, string, string, string]> = [['0.25 vCPU', '0.5GB', '256', '512'], ['1 vcpu', '2 GB', '1024', '2048'], ['0.5 vCPU', '1gb', '512', '1024'], ['4 vCPU', '30GB', '4096', '30720']]
  for (const [cpu, memory, units, mib] of forms) {
    const { taskDefinition } = await e.ecs.registerTaskDefinition(fargateDefinition('forms', cpu, memory))
    t.same([taskDefinition!.cpu, taskDefinition!.memory], [units, mib], `${cpu} / ${memory}`)
  }
  t.equal(parseCpu('0.25 vCPU'), 256)
  t.equal(parseCpu('0.1 vCPU'), undefined, 'not a whole number of CPU units')
  t.equal(parseMemory('1.5 GB'), 1536)
  t.equal(parseMemory('1 TB'), undefined)
})

t.test("Fargate's other rules, each naming its field; the same definition without FARGATE is EC2-only", async (t) => {
  await using e = await engine()
  const base = fargateDefinition('rules')
  const app = base.containerDefinitions[0]
  const cases: Array<[string, typeof base, string]> = [
    ['bridge network mode', { ...base, networkMode: 'bridge' }, 'networkMode'],
    ['no network mode (bridge)', { ...base, networkMode: undefined }, 'networkMode'],
    ['json-file logging', { ...base, containerDefinitions: [{ ...app, logConfiguration: { logDriver: 'json-file' } }] }, 'containerDefinitions[0].logConfiguration.logDriver'],
    ['awslogs without a stream prefix', { ...base, containerDefinitions: [{ ...app, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } }] }, 'containerDefinitions[0].logConfiguration.options.awslogs-stream-prefix'],
    ['a host bind mount', { ...base, volumes: [{ name: 'h', host: { sourcePath: '/var/run' } }] }, 'volumes[0].host.sourcePath'],
    ['a Docker volume', { ...base, volumes: [{ name: 'd', dockerVolumeConfiguration: { scope: 'task' } }] }, 'volumes[0].dockerVolumeConfiguration'],
    ['a privileged container', { ...base, containerDefinitions: [{ ...app, privileged: true }] }, 'containerDefinitions[0].privileged'],
    ['placement constraints', { ...base, placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == t2.micro' }] }, 'placementConstraints']
  ]
  for (const [what, request, field] of cases) {
    await t.rejects(e.ecs.registerTaskDefinition(request), { code: 'ClientException', field, message: /FARGATE/ }, what)
    const ec2 = await e.ecs.registerTaskDefinition({ ...request, family: 'ec2', requiresCompatibilities: ['EC2'], containerDefinitions: request.containerDefinitions.map((c) => ({ ...c, memory: 128 })) })
    t.same(ec2.taskDefinition!.compatibilities, ['EC2'], `${what}: EC2 takes it, Fargate is not among its compatibilities`)
  }
  const ok = await e.ecs.registerTaskDefinition({
    ...base, ephemeralStorage: { sizeInGiB: 50 }, volumes: [{ name: 'scratch' }, { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-0123abcd' } }],
    containerDefinitions: [{ ...app, mountPoints: [{ sourceVolume: 'scratch', containerPath: '/s' }, { sourceVolume: 'efs', containerPath: '/e' }] }]
  })
  t.same(ok.taskDefinition!.compatibilities, ['EC2', 'FARGATE'], 'task volumes, EFS and more ephemeral storage are fine on Fargate')
  t.same(ok.taskDefinition!.ephemeralStorage, { sizeInGiB: 50 })
  const both = await e.ecs.registerTaskDefinition({ ...base, requiresCompatibilities: undefined })
  t.same(both.taskDefinition!.compatibilities, ['EC2', 'FARGATE'], 'a definition that meets Fargate rules is Fargate-compatible without asking')
  t.same(both.taskDefinition!.requiresCompatibilities, [])
})

t.test('taskCost: vCPU-seconds and GB-seconds from the image pull to the stop, the one-minute minimum, Spot and ephemeral storage', async (t) => {
  const start = Date.UTC(2026, 0, 1)
  const hour = taskCost({ cpu: '1024', memory: '2048', pullStartedAt: start, stoppedAt: start + 3_600_000 })
  t.equal(hour.billedSeconds, 3600)
  t.equal(Number(hour.usd.toFixed(6)), Number((0.04048 + 2 * 0.004445).toFixed(6)), '1 vCPU and 2 GB for an hour, us-east-1')
  t.same(hour.breakdown.ephemeralStorageUsd, 0, '20 GiB are included')
  const short = taskCost({ cpu: '0.25 vCPU', memory: '0.5GB', pullStartedAt: new Date(start), stoppedAt: new Date(start + 5_000) })
  t.equal(short.billedSeconds, 60, 'the one-minute minimum')
  const running = taskCost({ cpu: 256, memory: 512, pullStartedAt: start, now: start + 120_500 })
  t.equal(running.billedSeconds, 121, 'a running task is billed up to now, by the second, rounded up')
  t.equal(taskCost({ cpu: 256, memory: 512 }).usd, 0, 'no image pull yet: nothing billed')
  const spot = taskCost({ cpu: '1024', memory: '2048', capacityProvider: 'FARGATE_SPOT', pullStartedAt: start, stoppedAt: start + 3_600_000 })
  t.ok(spot.usd < hour.usd * 0.5, 'FARGATE_SPOT is cheaper')
  t.equal(spot.rates.vcpuHour, FARGATE_PRICES.FARGATE_SPOT.X86_64.vcpuHour)
  const storage = taskCost({ cpu: '1024', memory: '2048', ephemeralGiB: 120, pullStartedAt: start, stoppedAt: start + 3_600_000 })
  t.equal(Number(storage.breakdown.ephemeralStorageUsd.toFixed(6)), Number((100 * 0.000111).toFixed(6)), 'storage above 20 GiB')
  t.throws(() => taskCost({ cpu: 'lots', memory: '512', pullStartedAt: start, now: start }), { code: 'ClientException', field: 'cpu' })
  t.throws(() => taskCost({ cpu: '256', memory: '512', pullStartedAt: start }), { code: 'ClientException', field: 'now' })
})
