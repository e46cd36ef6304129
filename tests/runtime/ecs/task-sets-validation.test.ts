// Bad input to task sets and to services with the EXTERNAL deployment
// controller: each refused with ECS's exception naming the member (and the
// limit), and nothing half-applied — the service's task sets are as they were.
import t, { type Test } from 'tap'
import type { Engine } from '../../../runtime/engine.js'
import { createCluster, describe, seedDefinition, settle, sim, simulatedEngine } from './services-fixtures.js'

const NOT_EXTERNAL = 'Amazon ECS only supports task set management on services configured to use external deployment controllers.'

async function setUp(t: Test) {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'ext', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } })
  return engine
}

const sets = async (engine: Engine) => (await engine.ecs.describeTaskSets({ cluster: 'web', service: 'ext' })).taskSets!

t.test('CreateService with the EXTERNAL controller refuses what belongs to task sets', async (t) => {
  const engine = await setUp(t)
  const base = { cluster: 'web', serviceName: 'other', desiredCount: 1, deploymentController: { type: 'EXTERNAL' as const } }
  const cases: Array<[string, Record<string, unknown>, { code: string } & Record<string, unknown>]> = [
    ['a task definition', { taskDefinition: 'app' }, { code: 'InvalidParameterException', field: 'taskDefinition', message: 'TaskDefinition must be blank.' }],
    ['load balancers', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app', containerPort: 80 }] },
      { code: 'InvalidParameterException', field: 'loadBalancers', message: 'LoadBalancers must be empty or null.' }],
    ['a network configuration', { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }, { code: 'InvalidParameterException', field: 'networkConfiguration', message: 'NetworkConfiguration must be null.' }],
    ['a launch type', { launchType: 'EC2' }, { code: 'InvalidParameterException', field: 'launchType' }],
    ['a capacity provider strategy', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy' }],
    ['a platform version', { platformVersion: 'LATEST' }, { code: 'InvalidParameterException', field: 'platformVersion' }],
    ['DAEMON', { schedulingStrategy: 'DAEMON', desiredCount: undefined }, { code: 'InvalidParameterException', field: 'schedulingStrategy' }],
    ['the circuit breaker', { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.deploymentCircuitBreaker' }],
    ['a blue/green strategy', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.strategy' }],
    ['CODE_DEPLOY (no CodeDeploy here)', { deploymentController: { type: 'CODE_DEPLOY' } }, { code: 'UnsupportedFeatureException', field: 'deploymentController.type' }]
  ]
  for (const [what, change, expected] of cases) await t.rejects(engine.ecs.createService({ ...base, ...change } as never), expected, what)
  t.same((await engine.ecs.listServices({ cluster: 'web' })).serviceArns!.map((a) => a.split('/').pop()), ['ext'], 'nothing was created')
  const { service } = await engine.ecs.createService({ cluster: 'web', serviceName: 'bare', deploymentController: { type: 'EXTERNAL' } })
  t.match(service, { desiredCount: 0, taskSets: [], deployments: [], deploymentController: { type: 'EXTERNAL' } }, 'the service name is all it takes')
})

t.test('UpdateService of an EXTERNAL service: the desired count and the service\'s own members only', async (t) => {
  const engine = await setUp(t)
  for (const [member, value] of [['taskDefinition', 'app'], ['networkConfiguration', { awsvpcConfiguration: { subnets: ['subnet-1'] } }], ['forceNewDeployment', true], ['deploymentConfiguration', { maximumPercent: 150 }]] as const) {
    await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'ext', desiredCount: 5, [member]: value } as never), { code: 'InvalidParameterException', field: member }, `${member} is refused`)
  }
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'ext', deploymentController: { type: 'ECS' } }), { code: 'InvalidParameterException', field: 'deploymentController' })
  t.equal((await describe(engine, 'web', 'ext')).desiredCount, 2, 'refused updates changed nothing')
  const { service } = await engine.ecs.updateService({ cluster: 'web', service: 'ext', desiredCount: 4, healthCheckGracePeriodSeconds: 30 })
  t.match(service, { desiredCount: 4, healthCheckGracePeriodSeconds: 30, deployments: [] }, 'desiredCount and grace period update, without a deployment')
})

t.test('task set requests refused, naming the member and the limit; nothing half-applied', async (t) => {
  const engine = await setUp(t)
  await engine.ecs.createService({ cluster: 'web', serviceName: 'rolling', taskDefinition: 'app', desiredCount: 1 })
  const ok = { cluster: 'web', service: 'ext', taskDefinition: 'app', scale: { value: 100, unit: 'PERCENT' as const } }
  const first = (await engine.ecs.createTaskSet(ok)).taskSet!
  const cases: Array<[string, Record<string, unknown>, { code: string } & Record<string, unknown>]> = [
    ['a scale over 100', { scale: { value: 150, unit: 'PERCENT' } }, { code: 'InvalidParameterException', field: 'scale.value', limit: 100 }],
    ['a negative scale', { scale: { value: -1 } }, { code: 'InvalidParameterException', field: 'scale.value', limit: 100 }],
    ['a scale unit other than PERCENT', { scale: { value: 10, unit: 'COUNT' } }, { code: 'InvalidParameterException', field: 'scale.unit' }],
    ['a service that does not exist', { service: 'ghost' }, { code: 'ServiceNotFoundException', field: 'service' }],
    ['a cluster that does not exist', { cluster: 'nope' }, { code: 'ClusterNotFoundException' }],
    ['a service with the ECS controller', { service: 'rolling' }, { code: 'InvalidParameterException', field: 'service', message: NOT_EXTERNAL }],
    ['a task definition that does not exist', { taskDefinition: 'nope' }, { code: 'ClientException', field: 'taskDefinition' }],
    ['no task definition', { taskDefinition: undefined }, { code: 'InvalidParameterException', field: 'taskDefinition' }],
    ['two load balancers', { loadBalancers: [1, 2].map((i) => ({ targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg${i}/0123456789abcdef`, containerName: 'app', containerPort: 80 })) },
      { code: 'InvalidParameterException', field: 'loadBalancers', limit: 1, message: /CreateTaskSet cannot have more than 1 load balancer/ }],
    ['a target group that does not exist', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app', containerPort: 80 }] },
      { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn' }],
    ['a service registry', { serviceRegistries: [{ registryArn: 'arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1' }] }, { code: 'InvalidParameterException', field: 'serviceRegistries[0].registryArn' }],
    ['awsvpc settings for a bridge definition', { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }, { code: 'InvalidParameterException', field: 'networkConfiguration' }],
    ['a launch type and a strategy', { launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy' }],
    ['a platform version on EC2', { platformVersion: 'LATEST' }, { code: 'InvalidParameterException', field: 'platformVersion' }],
    ['an externalId too long', { externalId: 'x'.repeat(1025) }, { code: 'InvalidParameterException', field: 'externalId', limit: 1024 }],
    ['a clientToken too long', { clientToken: 'x'.repeat(37) }, { code: 'InvalidParameterException', field: 'clientToken', limit: 36 }],
    ['an aws: tag', { tags: [{ key: 'aws:x', value: 'y' }] }, { code: 'InvalidParameterException' }]
  ]
  for (const [what, change, expected] of cases) await t.rejects(engine.ecs.createTaskSet({ ...ok, ...change } as never), expected, what)
  t.same((await sets(engine)).map((ts) => ts.id), [first.id], 'no task set was created by a refused request')

  for (let i = 0; i < 4; i++) await engine.ecs.createTaskSet({ ...ok, scale: { value: 0 } })
  await t.rejects(engine.ecs.createTaskSet(ok), { code: 'InvalidParameterException', field: 'service', limit: 5, message: '5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.' }, 'at most 5 task sets')
  t.equal((await sets(engine)).length, 5)

  const badId = { code: 'InvalidParameterException', field: 'taskSet', message: /^Task Set Identifier is invalid/ }
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: 'abc', scale: { value: 1 } }), badId, 'an id that is not ecs-svc/<digits>')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: 'arn:aws:ecs:us-east-1:000000000000:task/web/0123456789abcdef0123456789abcdef', scale: { value: 1 } }), badId, 'a task ARN')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: first.taskSetArn!.replace('/ext/', '/other/'), scale: { value: 1 } }), badId, 'the ARN of another service\'s task set')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: 'ecs-svc/1234567890123456789', scale: { value: 1 } }), { code: 'TaskSetNotFoundException', field: 'taskSet' }, 'a task set that does not exist')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: first.id! } as never), { code: 'InvalidParameterException', field: 'scale' }, 'UpdateTaskSet without a scale')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: first.id!, scale: { value: 101 } }), { code: 'InvalidParameterException', field: 'scale.value', limit: 100 })
  await t.rejects(engine.ecs.updateServicePrimaryTaskSet({ cluster: 'web', service: 'ext', primaryTaskSet: 'ecs-svc/1234567890123456789' }), { code: 'TaskSetNotFoundException', field: 'primaryTaskSet' })
  await t.rejects(engine.ecs.deleteTaskSet({ cluster: 'web', service: 'rolling', taskSet: first.id! }), { code: 'InvalidParameterException', message: NOT_EXTERNAL })
  await t.rejects(engine.ecs.describeTaskSets({ cluster: 'web', service: 'ghost' }), { code: 'ServiceNotFoundException' })
  await t.rejects(engine.ecs.describeTaskSets({ cluster: 'web', service: 'ext', include: ['STATS' as never] }), { code: 'InvalidParameterException', field: 'include' })
  t.match((await sets(engine)).find((ts) => ts.id === first.id), { scale: { value: 100 }, status: 'ACTIVE' }, 'refused updates changed nothing')

  const found = await engine.ecs.describeTaskSets({ cluster: 'web', service: 'ext', taskSets: [first.id!, 'ecs-svc/1234567890123456789'] })
  t.same(found.taskSets!.map((ts) => ts.id), [first.id])
  t.same(found.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:task-set/web/ext/ecs-svc/1234567890123456789', reason: 'MISSING' }], 'an unknown one is a failure, MISSING')
  const draining = (await engine.ecs.deleteTaskSet({ cluster: 'web', service: 'ext', taskSet: first.id!, force: true })).taskSet!
  t.equal(draining.status, 'DRAINING')
  await t.rejects(engine.ecs.updateTaskSet({ cluster: 'web', service: 'ext', taskSet: first.id!, scale: { value: 10 } }), { code: 'InvalidParameterException', field: 'taskSet', message: /DRAINING/ }, 'a DRAINING set is not scaled')
  await t.rejects(engine.ecs.updateServicePrimaryTaskSet({ cluster: 'web', service: 'ext', primaryTaskSet: first.id! }), { code: 'InvalidParameterException', field: 'primaryTaskSet' }, 'nor made primary')

  await engine.ecs.deleteService({ cluster: 'web', service: 'ext', force: true })
  await t.rejects(engine.ecs.createTaskSet(ok), { code: 'ServiceNotActiveException' }, 'a service being deleted takes no task set')
})

t.test('CreateTaskSet with a clientToken: the same request answers the same task set, another is refused', async (t) => {
  const engine = await setUp(t)
  const request = { cluster: 'web', service: 'ext', taskDefinition: 'app', scale: { value: 50, unit: 'PERCENT' as const }, clientToken: 'tok-1', tags: [{ key: 'team', value: 'a' }] }
  const first = (await engine.ecs.createTaskSet(request)).taskSet!
  t.same(first.tags, [{ key: 'team', value: 'a' }], 'CreateTaskSet answers its tags')
  const again = (await engine.ecs.createTaskSet(request)).taskSet!
  t.equal(again.id, first.id, 'the same task set')
  await t.rejects(engine.ecs.createTaskSet({ ...request, scale: { value: 60, unit: 'PERCENT' } }), { code: 'InvalidParameterException', field: 'clientToken' })
  t.equal((await sets(engine)).length, 1, 'one task set')
  t.equal((await sets(engine))[0].tags, undefined, 'tags only with include TAGS')
  t.same((await engine.ecs.describeTaskSets({ cluster: 'web', service: 'ext', include: ['TAGS'] })).taskSets![0].tags, [{ key: 'team', value: 'a' }])
  await settle(engine)
  t.equal((await sets(engine))[0].runningCount, 1, '⌈2 × 50%⌉ = 1 task runs')
})
