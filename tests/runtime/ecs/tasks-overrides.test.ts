// RunTask's overrides checked against the task definition they apply to:
// Fargate's size table for overridden cpu/memory, containerOverrides naming
// its containers, ephemeralStorage shown and billed. Regressions: {cpu:'3',
// memory:'7'} ran on Fargate; an override of an unknown container was
// accepted; ephemeralStorage was validated, then ignored (20 GiB shown).
import t from 'tap'
import { advance, FARGATE_NETWORK, fargateDefinition, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'
import { TASKS } from '../../../runtime/ecs/records.js'

async function fargateCluster() {
  const engine = await simulatedEngine()
  seedCluster(engine, 'work', { instances: [{ vcpus: 4, memory: 8192 }] })
  fargateDefinition(engine, 'web', [{ name: 'app', image: 'busybox', environment: sim(3600) }], '256', '512')
  return engine
}
const fargate = { cluster: 'work', taskDefinition: 'web', launchType: 'FARGATE' as const, networkConfiguration: FARGATE_NETWORK }

t.test('Fargate cpu/memory overrides outside the size table are refused, and launch nothing', async (t) => {
  const engine = await fargateCluster()
  t.teardown(() => engine.close())
  await t.rejects(engine.ecs.runTask({ ...fargate, overrides: { cpu: '3', memory: '7' } }), { code: 'ClientException', field: 'overrides.cpu', message: /No Fargate configuration exists for given values: cpu 3, memory 7/ })
  await t.rejects(engine.ecs.runTask({ ...fargate, overrides: { memory: '4096' } }), { code: 'ClientException', field: 'overrides.memory', message: /with cpu 256 Fargate takes memory 512, 1024, 2048/ })
  await t.rejects(engine.ecs.runTask({ ...fargate, overrides: { cpu: '1 vCPU' } }), { code: 'ClientException', field: 'overrides.cpu', message: /with cpu 1024 Fargate takes memory 2048 to 8192/ }, 'cpu 1024 with the definition\'s 512 MiB: the override named')
  t.equal(engine.store.scan(TASKS).length, 0)
  const ok = await engine.ecs.runTask({ ...fargate, overrides: { cpu: '1 vCPU', memory: '2 GB' } })
  t.equal(ok.tasks![0].cpu, '1024')
  t.equal(ok.tasks![0].memory, '2048')
  // Off Fargate the table does not apply.
  const ec2 = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', launchType: 'EC2', networkConfiguration: FARGATE_NETWORK, overrides: { cpu: '300', memory: '700' } })
  t.equal(ec2.tasks![0].cpu, '300')
})

t.test('a containerOverrides entry naming a container not in the definition is refused with ECS\'s words', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [{ vcpus: 4, memory: 8192 }] })
  seedDefinition(engine, 'pair', [{ name: 'app', image: 'busybox', memory: 64, environment: sim(3600) }])
  await t.rejects(engine.ecs.runTask({ cluster: 'work', taskDefinition: 'pair', overrides: { containerOverrides: [{ name: 'app', command: ['x'] }, { name: 'migrate', command: ['y'] }] } }), {
    code: 'InvalidParameterException', field: 'overrides.containerOverrides[1].name', message: 'Override for container named migrate is not a container in the TaskDefinition.'
  })
  t.equal(engine.store.scan(TASKS).length, 0)
  const ok = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'pair', overrides: { containerOverrides: [{ name: 'app', command: ['x'] }] } })
  t.equal(ok.tasks!.length, 1)
  await settle(engine)
})

t.test('an ephemeralStorage override is the task\'s storage: shown and billed', async (t) => {
  const engine = await fargateCluster()
  t.teardown(() => engine.close())
  const big = (await engine.ecs.runTask({ ...fargate, overrides: { ephemeralStorage: { sizeInGiB: 150 } } })).tasks![0]
  const plain = (await engine.ecs.runTask(fargate)).tasks![0]
  t.same(big.ephemeralStorage, { sizeInGiB: 150 })
  t.same(big.fargateEphemeralStorage, { sizeInGiB: 150 })
  t.same(plain.ephemeralStorage, { sizeInGiB: 20 })
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [big.taskArn!] })).tasks![0]
  t.same(described.ephemeralStorage, { sizeInGiB: 150 })
  await settle(engine)
  await advance(engine, 3_600_000)
  const bigCost = await engine.ecs.taskCost({ cluster: 'work', task: big.taskArn! })
  const plainCost = await engine.ecs.taskCost({ cluster: 'work', task: plain.taskArn! })
  t.ok(bigCost.usd > plainCost.usd, 'the 130 GiB above the free 20 are billed')
})
