// Every bad CreateService / UpdateService / DescribeServices / ListServices
// input is refused naming its member (and its limit), and changes nothing;
// Service Connect is refused by name; load balancers and blue/green
// strategies are checked in shape (their target groups in lb tests); a
// repeated create with the same clientToken answers the same service.
import t from 'tap'
import { createCluster, seedDefinition, settle, sim, simulatedEngine } from './services-fixtures.js'

t.test('bad inputs are refused with the member named, and nothing is created', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  const ok = { cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1 }
  const cases: Array<[string, Record<string, unknown>, { code: string; field: string; limit?: number }]> = [
    ['no name', { serviceName: undefined }, { code: 'InvalidParameterException', field: 'serviceName' }],
    ['a name too long', { serviceName: 'x'.repeat(256) }, { code: 'InvalidParameterException', field: 'serviceName', limit: 255 }],
    ['a name with a dot', { serviceName: 'a.b' }, { code: 'InvalidParameterException', field: 'serviceName' }],
    ['no desired count', { desiredCount: undefined }, { code: 'InvalidParameterException', field: 'desiredCount' }],
    ['a negative desired count', { desiredCount: -1 }, { code: 'InvalidParameterException', field: 'desiredCount' }],
    ['a fractional desired count', { desiredCount: 1.5 }, { code: 'InvalidParameterException', field: 'desiredCount' }],
    ['a desired count over the tasks-per-service quota (1e8 was accepted)', { desiredCount: 100_000_000 }, { code: 'InvalidParameterException', field: 'desiredCount', limit: 5000 }],
    ['a desired count of 5001', { desiredCount: 5001 }, { code: 'InvalidParameterException', field: 'desiredCount', limit: 5000 }],
    ['no task definition', { taskDefinition: undefined }, { code: 'InvalidParameterException', field: 'taskDefinition' }],
    ['an unknown task definition', { taskDefinition: 'nope' }, { code: 'ClientException', field: 'taskDefinition' }],
    ['an unknown cluster', { cluster: 'nope' }, { code: 'ClusterNotFoundException', field: 'cluster' }],
    ['an unknown launch type', { launchType: 'MOON' }, { code: 'InvalidParameterException', field: 'launchType' }],
    ['both a launch type and a strategy', { launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy' }],
    ['a strategy of zero weights', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 0 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy' }],
    ['a strategy weight too high', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy[0].weight', limit: 1000 }],
    ['an unknown scheduling strategy', { schedulingStrategy: 'SOMETIMES' }, { code: 'InvalidParameterException', field: 'schedulingStrategy' }],
    ['minimumHealthyPercent over 100', { deploymentConfiguration: { minimumHealthyPercent: 101 } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.minimumHealthyPercent', limit: 100 }],
    ['maximumPercent below the minimum', { deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 50 } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.maximumPercent' }],
    ['a circuit breaker without rollback', { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true } } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.deploymentCircuitBreaker.rollback' }],
    ['a blue/green strategy without its bake time', { deploymentConfiguration: { strategy: 'BLUE_GREEN' } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.bakeTimeInMinutes' }],
    ['a blue/green strategy without load balancers', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 } }, { code: 'InvalidParameterException', field: 'loadBalancers' }],
    ['an unknown strategy', { deploymentConfiguration: { strategy: 'YOLO' } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.strategy' }],
    ['a bake time over a day', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1441 } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.bakeTimeInMinutes', limit: 1440 }],
    ['a bake time with a rolling update', { deploymentConfiguration: { bakeTimeInMinutes: 5 } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.bakeTimeInMinutes' }],
    ['a linear step below 3 %', { deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 2.9 } } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.linearConfiguration.stepPercent', limit: 100 }],
    ['a canary percent not a multiple of 0.1', { deploymentConfiguration: { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5.05 } } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.canaryConfiguration.canaryPercent' }],
    ['a canary configuration with LINEAR', { deploymentConfiguration: { strategy: 'LINEAR', canaryConfiguration: {} } }, { code: 'InvalidParameterException', field: 'deploymentConfiguration.canaryConfiguration' }],
    ['blue/green entries without advancedConfiguration', { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 }, loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app', containerPort: 80 }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].advancedConfiguration' }],
    ['advancedConfiguration with a rolling update', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app', containerPort: 80, advancedConfiguration: { alternateTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef' } }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].advancedConfiguration' }],
    ['6 load balancers', { loadBalancers: Array.from({ length: 6 }, (_, i) => ({ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef' + i, containerName: 'app', containerPort: 80 })) }, { code: 'InvalidParameterException', field: 'loadBalancers', limit: 5 }],
    ['a load balancer without a container name', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerPort: 80 }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].containerName' }],
    ['a load balancer without a container port', { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app' }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].containerPort' }],
    ['a classic load balancer', { loadBalancers: [{ loadBalancerName: 'old', containerName: 'app', containerPort: 80 }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].loadBalancerName' }],
    ['CODE_DEPLOY', { deploymentController: { type: 'CODE_DEPLOY' } }, { code: 'UnsupportedFeatureException', field: 'deploymentController.type' }],
    ['EXTERNAL with a task definition (task sets carry it)', { deploymentController: { type: 'EXTERNAL' } }, { code: 'InvalidParameterException', field: 'taskDefinition' }],
    ['11 constraints', { placementConstraints: Array(11).fill({ type: 'distinctInstance' }) }, { code: 'InvalidParameterException', field: 'placementConstraints', limit: 10 }],
    ['memberOf without an expression', { placementConstraints: [{ type: 'memberOf' }] }, { code: 'InvalidParameterException', field: 'placementConstraints[0].expression' }],
    ['6 strategies', { placementStrategy: Array(6).fill({ type: 'random' }) }, { code: 'InvalidParameterException', field: 'placementStrategy', limit: 5 }],
    ['binpack on disk', { placementStrategy: [{ type: 'binpack', field: 'disk' }] }, { code: 'InvalidParameterException', field: 'placementStrategy[0].field' }],
    ['an unknown strategy type', { placementStrategy: [{ type: 'best' }] }, { code: 'InvalidParameterException', field: 'placementStrategy[0].type' }],
    ['awsvpc subnets missing', { networkConfiguration: { awsvpcConfiguration: { subnets: [] } } }, { code: 'InvalidParameterException', field: 'networkConfiguration.awsvpcConfiguration.subnets' }],
    ['a network configuration for bridge mode', { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }, { code: 'InvalidParameterException', field: 'networkConfiguration' }],
    ['a grace period below 0', { healthCheckGracePeriodSeconds: -1 }, { code: 'InvalidParameterException', field: 'healthCheckGracePeriodSeconds' }],
    ['an unknown propagateTags', { propagateTags: 'ALL' }, { code: 'InvalidParameterException', field: 'propagateTags' }],
    ['a clientToken too long', { clientToken: 'x'.repeat(37) }, { code: 'InvalidParameterException', field: 'clientToken', limit: 36 }],
    ['a platform version on EC2', { platformVersion: 'LATEST' }, { code: 'InvalidParameterException', field: 'platformVersion' }],
    ['a target group that does not exist',  { loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef', containerName: 'app', containerPort: 80 }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn' }],
    ['a load balancer without a target group', { loadBalancers: [{ containerName: 'app', containerPort: 80 }] }, { code: 'InvalidParameterException', field: 'loadBalancers[0].targetGroupArn' }],
    ['a service registry (none exist)', { serviceRegistries: [{ registryArn: 'arn:aws:servicediscovery:us-east-1:000000000000:service/srv-1' }] }, { code: 'InvalidParameterException', field: 'serviceRegistries[0].registryArn' }],
    ['Service Connect', { serviceConnectConfiguration: { enabled: true } }, { code: 'UnsupportedFeatureException', field: 'serviceConnectConfiguration' }],
    ['an aws: tag', { tags: [{ key: 'aws:x', value: 'y' }] }, { code: 'InvalidParameterException', field: 'tags.aws:x' }]
  ]
  for (const [what, change, expected] of cases) {
    await t.rejects(engine.ecs.createService({ ...ok, ...change } as never), expected, what)
  }
  t.same((await engine.ecs.listServices({ cluster: 'web' })).serviceArns, [], 'nothing was created')
})

t.test('idempotent create; UpdateService, DescribeServices and ListServices refusals; paging', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  const first = await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, clientToken: 'tok-1', tags: [{ key: 'team', value: 'a' }] })
  const again = await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, clientToken: 'tok-1', tags: [{ key: 'team', value: 'a' }] })
  t.equal(again.service!.serviceArn, first.service!.serviceArn)
  t.same(again.service!.deployments!.map((d) => d.id), first.service!.deployments!.map((d) => d.id), 'the same service, not a second deployment')
  await t.rejects(engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2 }), { code: 'InvalidParameterException', message: 'Creation of service was not idempotent.', field: 'serviceName' })
  t.same(first.service!.tags, [{ key: 'team', value: 'a' }])
  await settle(engine)

  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'nope', desiredCount: 1 }), { code: 'ServiceNotFoundException', field: 'service' })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', desiredCount: -2 }), { code: 'InvalidParameterException', field: 'desiredCount' })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', desiredCount: 5001 }), { code: 'InvalidParameterException', field: 'desiredCount', limit: 5000, message: /Desired count exceeds limit/ })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'nope' }), { code: 'ClientException', field: 'taskDefinition' })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', deploymentController: { type: 'CODE_DEPLOY' } }), { code: 'UnsupportedFeatureException', field: 'deploymentController.type' })
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'arn:aws:ecs:us-east-1:000000000000:service/other/web', desiredCount: 1 }), { code: 'InvalidParameterException', field: 'service' })
  const unchanged = (await engine.ecs.describeServices({ cluster: 'web', services: ['web'] })).services![0]
  t.equal(unchanged.desiredCount, 1, 'refused updates changed nothing')
  t.equal(unchanged.deployments!.length, 1)
  t.equal(unchanged.tags, undefined, 'tags only with include TAGS')
  t.same((await engine.ecs.describeServices({ cluster: 'web', services: [String(unchanged.serviceArn)], include: ['TAGS'] })).services![0].tags, [{ key: 'team', value: 'a' }], 'by ARN, with its tags')

  await t.rejects(engine.ecs.describeServices({ cluster: 'web', services: Array(11).fill('web') }), { code: 'InvalidParameterException', field: 'services', limit: 10 })
  await t.rejects(engine.ecs.describeServices({ cluster: 'web', services: [] }), { code: 'InvalidParameterException', field: 'services' })
  await t.rejects(engine.ecs.describeServices({ cluster: 'web', services: ['web'], include: ['EVERYTHING' as never] }), { code: 'InvalidParameterException', field: 'include' })
  const mixed = await engine.ecs.describeServices({ cluster: 'web', services: ['web', 'ghost'] })
  t.equal(mixed.services!.length, 1)
  t.same(mixed.failures, [{ arn: 'arn:aws:ecs:us-east-1:' + String(unchanged.serviceArn).split(':')[4] + ':service/web/ghost', reason: 'MISSING' }])

  for (const name of ['b', 'c', 'd']) await engine.ecs.createService({ cluster: 'web', serviceName: name, taskDefinition: 'app', desiredCount: 0 })
  const page1 = await engine.ecs.listServices({ cluster: 'web', maxResults: 3 })
  t.equal(page1.serviceArns!.length, 3)
  const page2 = await engine.ecs.listServices({ cluster: 'web', maxResults: 3, nextToken: page1.nextToken })
  t.equal(page2.serviceArns!.length, 1)
  t.equal(page2.nextToken, undefined)
  t.equal(new Set([...page1.serviceArns!, ...page2.serviceArns!]).size, 4)
  t.same((await engine.ecs.listServices({ cluster: 'web', schedulingStrategy: 'DAEMON' })).serviceArns, [])
  t.equal((await engine.ecs.listServices({ cluster: 'web', launchType: 'EC2' })).serviceArns!.length, 4)
  await t.rejects(engine.ecs.listServices({ cluster: 'web', maxResults: 101 }), { code: 'InvalidParameterException', field: 'maxResults', limit: 100 })
  await t.rejects(engine.ecs.listServices({ cluster: 'web', nextToken: 'forged' }), { code: 'InvalidParameterException', field: 'nextToken' })
  await t.rejects(engine.ecs.listServicesByNamespace({ namespace: 'ns-1' }), { code: 'NamespaceNotFoundException', field: 'namespace' })
  await t.rejects(engine.ecs.listServicesByNamespace({ namespace: '' }), { code: 'InvalidParameterException', field: 'namespace' })
})
