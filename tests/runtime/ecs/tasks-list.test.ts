// ListTasks' filters and paging, DescribeTasks' failures and tags, and every
// bad RunTask input refused naming its member (and changing nothing).
import t from 'tap'
import { advance, FARGATE_NETWORK, fargateDefinition, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

t.test('ListTasks filters by family, startedBy, instance, launch type and desired status, and pages', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [{ vcpus: 8, memory: 16384 }, { vcpus: 8, memory: 16384 }] })
  seedCluster(engine, 'other')
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', cpu: 10, memory: 16, environment: sim(3600) }])
  seedDefinition(engine, 'job', [{ name: 'app', image: 'busybox', cpu: 10, memory: 16, environment: sim(10) }])
  fargateDefinition(engine, 'fg', [{ name: 'app', image: 'busybox', environment: sim(3600) }])
  const web = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 10, startedBy: 'alice' })
  const more = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 5, startedBy: 'bob' })
  const jobs = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'job', count: 2 })
  const fg = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'fg', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
  await engine.ecs.runTask({ cluster: 'other', taskDefinition: 'web' })
  await advance(engine, 10_000)
  const arns = (r: { tasks?: Array<{ taskArn?: string }> }) => r.tasks!.map((x) => x.taskArn!).sort()

  const running = await engine.ecs.listTasks({ cluster: 'work' })
  t.same(running.taskArns!.sort(), [...arns(web), ...arns(more), ...arns(fg)].sort(), 'RUNNING by default: the finished jobs are not listed')
  t.same((await engine.ecs.listTasks({ cluster: 'work', desiredStatus: 'STOPPED' })).taskArns!.sort(), arns(jobs))
  t.same((await engine.ecs.listTasks({ cluster: 'work', family: 'job', desiredStatus: 'STOPPED' })).taskArns!.sort(), arns(jobs))
  t.same((await engine.ecs.listTasks({ cluster: 'work', startedBy: 'bob' })).taskArns!.sort(), arns(more))
  t.same((await engine.ecs.listTasks({ cluster: 'work', launchType: 'FARGATE' })).taskArns, arns(fg))
  const instance = web.tasks![0].containerInstanceArn!
  const onInstance = (await engine.ecs.listTasks({ cluster: 'work', containerInstance: instance })).taskArns!
  t.ok(onInstance.length > 0)
  const described = await engine.ecs.describeTasks({ cluster: 'work', tasks: onInstance })
  t.ok(described.tasks!.every((x) => x.containerInstanceArn === instance))

  // Pages of 4, resuming where the last one ended, every task once.
  const seen: string[] = []
  let token: string | undefined
  let pages = 0
  do {
    const page = await engine.ecs.listTasks({ cluster: 'work', maxResults: 4, ...(token ? { nextToken: token } : {}) })
    seen.push(...page.taskArns!)
    token = page.nextToken
    pages++
  } while (token !== undefined)
  t.equal(pages, 4)
  t.same(seen.sort(), running.taskArns!.sort())
  const first = await engine.ecs.listTasks({ cluster: 'work', maxResults: 4 })
  await t.rejects(engine.ecs.listTasks({ cluster: 'work', maxResults: 4, family: 'web', nextToken: first.nextToken }), { code: 'InvalidParameterException', field: 'nextToken' })
  await t.rejects(engine.ecs.listTasks({ cluster: 'work', maxResults: 101 }), { code: 'InvalidParameterException', field: 'maxResults', limit: 100 })
})

t.test('DescribeTasks: MISSING for tasks it does not know, tags only with include TAGS', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedCluster(engine, 'other')
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', memory: 16, environment: sim(3600) }])
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', tags: [{ key: 'team', value: 'a' }] })
  const arn = tasks![0].taskArn!
  const id = arn.slice(arn.lastIndexOf('/') + 1)
  const plain = await engine.ecs.describeTasks({ cluster: 'work', tasks: [id, 'nope'] })
  t.equal(plain.tasks![0].taskArn, arn, 'found by its id')
  t.equal(plain.tasks![0].tags, undefined)
  t.same(plain.failures, [{ arn: 'nope', reason: 'MISSING' }])
  t.same((await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn], include: ['TAGS'] })).tasks![0].tags, [{ key: 'team', value: 'a' }])
  t.same((await engine.ecs.describeTasks({ cluster: 'other', tasks: [arn] })).failures, [{ arn, reason: 'MISSING' }], 'a task of another cluster is missing here')
  await t.rejects(engine.ecs.describeTasks({ cluster: 'work', tasks: Array.from({ length: 101 }, () => arn) }), { code: 'InvalidParameterException', field: 'tasks', limit: 100 })
  await t.rejects(engine.ecs.describeTasks({ cluster: 'nowhere', tasks: [arn] }), { code: 'ClusterNotFoundException' })
})

t.test('every bad RunTask input is refused naming its member, and changes nothing', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', memory: 16, environment: sim(3600) }])
  seedDefinition(engine, 'vpc', [{ name: 'app', image: 'busybox', memory: 16, environment: sim(3600) }], { networkMode: 'awsvpc' })
  fargateDefinition(engine, 'fg', [{ name: 'app', image: 'busybox', environment: sim(3600) }])
  const base = { cluster: 'work', taskDefinition: 'web' }
  const cases: Array<[string, Record<string, unknown>, string, string?]> = [
    ['count 0', { count: 0 }, 'count'],
    ['count 11', { count: 11 }, 'count'],
    ['startedBy too long', { startedBy: 'x'.repeat(129) }, 'startedBy'],
    ['group too long', { group: 'g'.repeat(256) }, 'group'],
    ['11 constraints', { placementConstraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' })) }, 'placementConstraints'],
    ['bad constraint type', { placementConstraints: [{ type: 'sometimes' }] }, 'placementConstraints[0].type'],
    ['6 strategies', { placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' })) }, 'placementStrategy'],
    ['binpack by disk', { placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 'placementStrategy[0].field'],
    ['override without name', { overrides: { containerOverrides: [{ command: ['x'] }] } }, 'overrides.containerOverrides[0].name'],
    ['override memory negative', { overrides: { containerOverrides: [{ name: 'app', memory: -1 }] } }, 'overrides.containerOverrides[0].memory'],
    ['override env without name', { overrides: { containerOverrides: [{ name: 'app', environment: [{ value: 'v' }] }] } }, 'overrides.containerOverrides[0].environment[0].name'],
    ['reserved tag', { tags: [{ key: 'aws:x', value: 'y' }] }, 'tags.aws:x'],
    ['launch type and strategy', { launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, 'launchType'],
    ['network configuration for bridge', { networkConfiguration: FARGATE_NETWORK }, 'networkConfiguration'],
    ['platform version on EC2', { platformVersion: 'LATEST' }, 'platformVersion'],
    ['no definition', { taskDefinition: 'none' }, 'taskDefinition', 'ClientException'],
    ['no cluster', { cluster: 'nowhere' }, 'cluster', 'ClusterNotFoundException'],
    ['awsvpc without network configuration', { taskDefinition: 'vpc' }, 'networkConfiguration'],
    ['awsvpc without subnets', { taskDefinition: 'vpc', networkConfiguration: { awsvpcConfiguration: { subnets: [] } } }, 'networkConfiguration.awsvpcConfiguration.subnets'],
    ['public IP on EC2', { taskDefinition: 'vpc', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'], assignPublicIp: 'ENABLED' } } }, 'networkConfiguration.awsvpcConfiguration.assignPublicIp'],
    ['Fargate of an EC2 definition', { launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK }, 'taskDefinition', 'ClientException'],
    ['unknown platform version', { taskDefinition: 'fg', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK, platformVersion: '1.3.0' }, 'platformVersion', 'PlatformUnknownException'],
    ['provider not of the cluster', { capacityProviderStrategy: [{ capacityProvider: 'mine', weight: 1 }] }, 'capacityProviderStrategy[0].capacityProvider'],
    ['strategy without weight', { taskDefinition: 'fg', networkConfiguration: FARGATE_NETWORK, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1 }], count: 2 }, 'capacityProviderStrategy.weight'],
    ['two bases', { taskDefinition: 'fg', networkConfiguration: FARGATE_NETWORK, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', base: 1 }] }, 'capacityProviderStrategy'],
    ['memberOf expression that does not parse', { placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type ==' }] }, 'placementConstraints[0].expression']
  ]
  for (const [name, change, field, code] of cases) {
    await t.rejects(engine.ecs.runTask({ ...base, ...change } as never), { code: code ?? 'InvalidParameterException', field }, name)
  }
  t.same((await engine.ecs.listTasks({ cluster: 'work' })).taskArns, [], 'nothing was launched')
  t.same((await engine.ecs.listTasks({ cluster: 'work', desiredStatus: 'STOPPED' })).taskArns, [])
  t.equal(engine.pools.nodes('ecs-work')[0].value.usedCpu, 0)
  await settle(engine)
  t.equal(engine.launcher.get('x'), undefined)
})

t.test('RunTask with a client token launches once', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', memory: 16, environment: sim(3600) }])
  const first = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 2, clientToken: 'once' })
  const again = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 2, clientToken: 'once' })
  t.same(again.tasks!.map((x) => x.taskArn), first.tasks!.map((x) => x.taskArn), 'the same tasks answered')
  t.equal((await engine.ecs.listTasks({ cluster: 'work' })).taskArns!.length, 2, 'none launched twice')
  await t.rejects(engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', count: 1, clientToken: 'once' }), { code: 'InvalidParameterException', field: 'clientToken' })
  await t.rejects(engine.ecs.runTask({ cluster: 'work', taskDefinition: 'web', clientToken: 'x'.repeat(65) }), { code: 'InvalidParameterException', field: 'clientToken', limit: 64 })
})
