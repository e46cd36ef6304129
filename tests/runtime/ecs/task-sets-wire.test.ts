// Task sets through the official @aws-sdk/client-ecs on the engine's endpoint
// (awsJson1_1): shapes and timestamps as the SDK parses them, ECS's
// exceptions by name with their messages; then the fluent Stratus SDK, one
// body of checks embedded and remote (Stratus.connect). Simulated runner,
// manual clock.
import t, { type Test } from 'tap'
import {
  CreateServiceCommand, CreateTaskSetCommand, DeleteTaskSetCommand, DescribeServicesCommand, DescribeTaskSetsCommand, ECSClient,
  ListTasksCommand, UpdateServiceCommand, UpdateServicePrimaryTaskSetCommand, UpdateTaskSetCommand
} from '@aws-sdk/client-ecs'
import { Stratus, type StratusClient } from '../../../sdk/index.js'
import { clientConfig, simulatedCloud } from '../api/clients.js'
import { advance, seedDefinition, sim } from './services-fixtures.js'

t.test('task sets over the wire, as the official SDK sees them', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())
  const settle = async () => { for (let i = 0; i < 5; i++) await advance(cloud.engine, 0) }
  const v1 = await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })
  const v2 = await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })

  const { service } = await ecs.send(new CreateServiceCommand({ serviceName: 'ext', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } }))
  t.same(service!.taskSets, [])
  const { taskSet: a } = await ecs.send(new CreateTaskSetCommand({
    cluster: 'default', service: 'ext', taskDefinition: 'app:1', externalId: 'deploy-1', scale: { value: 30, unit: 'PERCENT' }, tags: [{ key: 'side', value: 'blue' }]
  }))
  // ECS rounds up: 4 × 30 % is 1.2, so 2 tasks.
  t.match(a, { status: 'ACTIVE', taskDefinition: v1, computedDesiredCount: 2, externalId: 'deploy-1', scale: { value: 30, unit: 'PERCENT' }, stabilityStatus: 'STABILIZING', tags: [{ key: 'side', value: 'blue' }] })
  t.ok(a!.createdAt instanceof Date && a!.stabilityStatusAt instanceof Date, 'createdAt and stabilityStatusAt are timestamps')
  t.ok(Math.abs(a!.createdAt!.getTime() - cloud.clock.now()) < 1000, 'at the time of the engine clock')
  await settle()
  const described = await ecs.send(new DescribeTaskSetsCommand({ cluster: 'default', service: 'ext', taskSets: [a!.taskSetArn!], include: ['TAGS'] }))
  t.match(described.taskSets, [{ id: a!.id, runningCount: 2, pendingCount: 0, stabilityStatus: 'STEADY_STATE', tags: [{ key: 'side', value: 'blue' }] }])
  t.same(described.failures, [])
  const listed = await ecs.send(new ListTasksCommand({ cluster: 'default', startedBy: a!.id }))
  t.equal(listed.taskArns!.length, 2, 'its tasks are startedBy the task set id')

  const { taskSet: b } = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'ext', taskDefinition: 'app', scale: { value: 25, unit: 'PERCENT' } }))
  t.equal(b!.taskDefinition, v2, 'a family alone: its latest ACTIVE revision')
  const primary = await ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster: 'default', service: 'ext', primaryTaskSet: b!.id }))
  t.equal(primary.taskSet!.status, 'PRIMARY')
  const updated = await ecs.send(new UpdateTaskSetCommand({ cluster: 'default', service: 'ext', taskSet: b!.taskSetArn, scale: { value: 100, unit: 'PERCENT' } }))
  t.equal(updated.taskSet!.computedDesiredCount, 4)
  t.ok(updated.taskSet!.updatedAt instanceof Date)
  await settle()
  const s = (await ecs.send(new DescribeServicesCommand({ cluster: 'default', services: ['ext'] }))).services![0]
  t.equal(s.taskDefinition, v2, 'the service shows its primary task set\'s definition')
  t.equal(s.launchType, 'EC2')
  t.same(s.deploymentController, { type: 'EXTERNAL' })
  t.same(s.taskSets!.map((ts) => [ts.status, ts.runningCount, ts.computedDesiredCount]).sort(), [['ACTIVE', 2, 2], ['PRIMARY', 4, 4]], 'DescribeServices lists the task sets with their counts')
  t.equal(s.runningCount, 6)

  const notExternal = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'ghost', taskDefinition: 'app' })).catch((e) => e)
  t.equal(notExternal.name, 'ServiceNotFoundException')
  await ecs.send(new CreateServiceCommand({ serviceName: 'rolling', taskDefinition: 'app', desiredCount: 0 }))
  const wrong = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'rolling', taskDefinition: 'app' })).catch((e) => e)
  t.equal(wrong.name, 'InvalidParameterException')
  t.equal(wrong.message, 'Amazon ECS only supports task set management on services configured to use external deployment controllers.')
  const tooBig = await ecs.send(new UpdateTaskSetCommand({ cluster: 'default', service: 'ext', taskSet: a!.id, scale: { value: 101, unit: 'PERCENT' } })).catch((e) => e)
  t.equal(tooBig.name, 'InvalidParameterException')
  t.equal(tooBig.$metadata.httpStatusCode, 400)
  const missing = await ecs.send(new DeleteTaskSetCommand({ cluster: 'default', service: 'ext', taskSet: 'ecs-svc/1234567890123456789' })).catch((e) => e)
  t.equal(missing.name, 'TaskSetNotFoundException')
  t.equal(missing.$metadata.httpStatusCode, 400)
  const blank = await ecs.send(new CreateServiceCommand({ serviceName: 'ext2', taskDefinition: 'app', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } })).catch((e) => e)
  t.equal(blank.message, 'TaskDefinition must be blank.')
  const required = await ecs.send(new UpdateTaskSetCommand({ cluster: 'default', service: 'ext', taskSet: a!.id } as never)).catch((e) => e)
  t.equal(required.name, 'InvalidParameterException', 'scale is a required member')

  const deleted = await ecs.send(new DeleteTaskSetCommand({ cluster: 'default', service: 'ext', taskSet: a!.id, force: true }))
  t.equal(deleted.taskSet!.status, 'DRAINING')
  await settle()
  t.same((await ecs.send(new DescribeTaskSetsCommand({ cluster: 'default', service: 'ext' }))).taskSets!.map((ts) => ts.id), [b!.id], 'gone once its tasks stopped')
  await ecs.send(new UpdateServiceCommand({ cluster: 'default', service: 'ext', desiredCount: 2 }))
  await settle()
  t.equal((await ecs.send(new DescribeTaskSetsCommand({ cluster: 'default', service: 'ext' }))).taskSets![0].runningCount, 2, 'a new desired count: ⌈2 × 100%⌉')
})

t.test('IAM is asked about the task set ARNs (task-set/<cluster>/<service>/<id>), with ecs:service', async (t) => {
  const key = { accessKeyId: 'AKIATASKSETSWIRE0001', secretAccessKey: 'task/sets/wire/secret/key/0000000000000' }
  const locked = 'arn:aws:ecs:us-east-1:000000000000:task-set/default/locked/*'
  const cloud = await simulatedCloud({
    auth: 'iam',
    iam: {
      users: [{
        userName: 'deployer', accessKeys: [key],
        policies: [{
          policyName: 'ecs', policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
              { Effect: 'Deny', Action: ['ecs:CreateTaskSet', 'ecs:DeleteTaskSet'], Resource: locked },
              { Effect: 'Deny', Action: 'ecs:UpdateTaskSet', Resource: '*', Condition: { StringEquals: { 'ecs:service': 'arn:aws:ecs:us-east-1:000000000000:service/default/frozen' } } }
            ]
          }
        }]
      }]
    }
  })
  t.teardown(() => cloud.close())
  const ecs = new ECSClient({ ...clientConfig(cloud), credentials: key })
  t.teardown(() => ecs.destroy())
  await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })
  for (const name of ['locked', 'open', 'frozen']) await ecs.send(new CreateServiceCommand({ serviceName: name, desiredCount: 1, deploymentController: { type: 'EXTERNAL' } }))
  const denied = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'locked', taskDefinition: 'app' })).catch((e) => e)
  t.equal(denied.name, 'AccessDeniedException', 'CreateTaskSet on a denied service\'s task sets')
  const { taskSet } = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'open', taskDefinition: 'app' }))
  t.equal(taskSet!.status, 'ACTIVE', 'another service is not denied')
  const { taskSet: frozen } = await ecs.send(new CreateTaskSetCommand({ cluster: 'default', service: 'frozen', taskDefinition: 'app' }))
  const byCondition = await ecs.send(new UpdateTaskSetCommand({ cluster: 'default', service: 'frozen', taskSet: frozen!.id, scale: { value: 10, unit: 'PERCENT' } })).catch((e) => e)
  t.equal(byCondition.name, 'AccessDeniedException', 'UpdateTaskSet denied on the ecs:service condition key')
  const scaled = await ecs.send(new UpdateTaskSetCommand({ cluster: 'default', service: 'open', taskSet: taskSet!.taskSetArn, scale: { value: 10, unit: 'PERCENT' } }))
  t.equal(scaled.taskSet!.scale!.value, 10)
})

async function sdkChecks(t: Test, cloud: StratusClient, prefix: string): Promise<void> {
  const cluster = await cloud.ecs.cluster(`${prefix}-web`).create()
  const def = await cloud.ecs.taskDefinition(`${prefix}-app`).container('main', { image: 'busybox:1.36', memory: 128, environment: [{ name: 'STRATUS_SIM_SECONDS', value: '3600' }] }).register()
  const builder = cluster.service('ext').deploymentController('EXTERNAL').desiredCount(2)
  t.notOk('taskDefinition' in builder.toInput(), 'an EXTERNAL service has no task definition')
  const service = await builder.create()
  const base = service.taskSet(def).externalId('one')
  t.match(base.scale(100).toInput(), { cluster: `${prefix}-web`, service: 'ext', taskDefinition: def.arn, externalId: 'one', scale: { value: 100, unit: 'PERCENT' } }, 'the task set builder')
  t.notOk('scale' in base.toInput(), 'a fork leaves its parent as it was')
  const one = await base.scale(100).create()
  t.match(one.id, /^ecs-svc\/\d{19}$/)
  const steady = await one.waitSteady({ timeoutMs: 30_000 })
  t.match(steady, { runningCount: 2, computedDesiredCount: 2, stabilityStatus: 'STEADY_STATE' }, 'waitSteady(): its share running')
  t.equal((await one.tasks()).length, 2, 'its tasks')
  await one.makePrimary()
  const two = await service.taskSet(def).scale(50).create()
  await two.waitSteady({ timeoutMs: 30_000 })
  t.equal((await service.waitSteady({ timeoutMs: 30_000 })).runningCount, 3, 'the service is steady once both task sets are')
  t.same((await service.taskSets()).map((ts) => ts.id).sort(), [one.id, two.id].sort())
  await two.scale(0)
  t.equal((await two.waitSteady({ timeoutMs: 30_000 })).runningCount, 0, 'scale(0)')
  await two.delete({ wait: true, timeoutMs: 30_000 })
  t.same((await service.taskSets()).map((ts) => ts.id), [one.id], 'delete({ wait }): gone')
  const refused = await one.delete().catch((e: Error) => e) as { code?: string }
  t.equal(refused.code, 'InvalidParameterException', 'the primary task set is not deleted without force')
  const missing = await service.taskSet('nope').create().catch((e: Error) => e) as { code?: string }
  t.equal(missing.code, 'ClientException', 'a definition that does not exist')
  await service.delete()
}

t.test('task sets in the Stratus SDK, embedded and remote', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const remote = await Stratus.connect(`http://${cloud.endpoint}`)
  t.teardown(() => remote.close())
  t.test('embedded', (t) => sdkChecks(t, cloud, 'em'))
  t.test('remote', (t) => sdkChecks(t, remote, 're'))
})
