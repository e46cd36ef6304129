// A service is refused at CreateService / UpdateService when its tasks could
// never launch (they used to be accepted ACTIVE, then every reconcile threw
// and retried forever with runningCount 0 and no event); and a launch that is
// refused inside a reconcile (a record an older engine accepted) becomes a
// service event and failed tasks of the deployment, which its circuit
// breaker fails, instead of a silent retry.
import t from 'tap'
import { SERVICES } from '../../../runtime/ecs/records.js'
import { SERVICES_QUEUE } from '../../../runtime/ecs/service-controller.js'
import type { ServiceState } from '../../../runtime/ecs/service-records.js'
import { advance, createCluster, describe, liveTasks, seedDefinition, settle, sim, simulatedEngine } from './services-fixtures.js'

t.test('services accepted that they could never run: refused at create and update, naming the field', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  const ok = { cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1 }
  const cases: Array<[string, Record<string, unknown>, { code: string; field: string }]> = [
    ['FARGATE with an EC2-only definition', { launchType: 'FARGATE' }, { code: 'InvalidParameterException', field: 'taskDefinition' }],
    ['a strategy of an unknown provider', { capacityProviderStrategy: [{ capacityProvider: 'nope', weight: 1 }] }, { code: 'InvalidParameterException', field: 'capacityProviderStrategy[0].capacityProvider' }],
    ['FARGATE_SPOT with an EC2-only definition', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }, { code: 'InvalidParameterException', field: 'taskDefinition' }],
    ['a memberOf that does not parse (REPLICA)', { placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type ==' }] }, { code: 'InvalidParameterException', field: 'placementConstraints[0].expression' }],
    ['the EXTERNAL launch type (nothing runs it here)', { launchType: 'EXTERNAL' }, { code: 'InvalidParameterException', field: 'launchType' }]
  ]
  for (const [what, change, expected] of cases) {
    await t.rejects(engine.ecs.createService({ ...ok, ...change } as never), expected, what)
  }
  t.same((await engine.ecs.listServices({ cluster: 'web' })).serviceArns, [], 'nothing was created')

  await engine.ecs.createService(ok)
  await settle(engine)
  const before = await describe(engine, 'web', 'web')
  // A Fargate service, then an update to an awsvpc revision Fargate cannot run (no task-level cpu / memory: EC2 only).
  const vpc = { awsvpcConfiguration: { subnets: ['subnet-1'] } }
  await engine.ecs.registerTaskDefinition({
    family: 'fg', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'app', image: 'busybox', essential: true, environment: sim(36_000) }]
  } as never)
  const ec2Only = await engine.ecs.registerTaskDefinition({
    family: 'ec2vpc', networkMode: 'awsvpc', requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, essential: true, environment: sim(36_000) }]
  } as never)
  t.same(ec2Only.taskDefinition!.compatibilities, ['EC2'])
  await engine.ecs.createService({ cluster: 'web', serviceName: 'fg', taskDefinition: 'fg', desiredCount: 1, launchType: 'FARGATE', networkConfiguration: vpc })
  await settle(engine)
  const fgBefore = await describe(engine, 'web', 'fg')
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'fg', taskDefinition: 'ec2vpc' }),
    { code: 'InvalidParameterException', field: 'taskDefinition', message: 'Task definition does not support launch_type FARGATE.' }, 'an update to a revision the launch type cannot run')
  const fgAfter = await describe(engine, 'web', 'fg')
  t.same(fgAfter.deployments!.map((d) => [d.id, d.rolloutState]), fgBefore.deployments!.map((d) => [d.id, d.rolloutState]), 'no deployment was started (fg)')
  t.equal(fgAfter.runningCount, 1)
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', capacityProviderStrategy: [{ capacityProvider: 'nope', weight: 1 }] }),
    { code: 'InvalidParameterException', field: 'capacityProviderStrategy[0].capacityProvider' }, 'an update to a provider the cluster does not have')
  await t.rejects(engine.ecs.updateService({ cluster: 'web', service: 'web', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type ==' }] }),
    { code: 'InvalidParameterException', field: 'placementConstraints[0].expression' }, 'an update to a memberOf that does not parse')
  const after = await describe(engine, 'web', 'web')
  t.same(after.deployments!.map((d) => [d.id, d.rolloutState]), before.deployments!.map((d) => [d.id, d.rolloutState]), 'no deployment was started')
  t.same(after.placementConstraints, [], 'the constraints are unchanged')
  t.equal(after.runningCount, 1)
})

t.test('a launch refused inside a reconcile is a service event and fails the deployment, not a silent retry', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } } })
  await settle(engine)
  t.equal((await describe(engine, 'web', 'web')).runningCount, 1)

  // A record an engine without the create/update checks accepted: scaled to 3 with a memberOf that does not parse.
  const store = engine.ecs.context.store
  store.transaction((tx) => {
    const got = tx.get<ServiceState>(SERVICES, 'web/web')!
    const service = { ...got.value.service, desiredCount: 3, placementConstraints: [{ type: 'memberOf' as const, expression: 'attribute:ecs.instance-type ==' }], deployments: got.value.service.deployments!.map((d) => ({ ...d, desiredCount: 3, rolloutState: 'IN_PROGRESS' as const })) }
    tx.put(SERVICES, 'web/web', { ...got.value, service, steady: false }, got.version)
  })
  engine.ecs.context.queues.get(SERVICES_QUEUE)!.add('web/web')
  await settle(engine)
  let s = await describe(engine, 'web', 'web')
  const failedEvent = s.events!.find((e) => /^\(service web\) failed to launch a task with \(error placementConstraints\[0\]\.expression: .+\)\.$/.test(e.message!))
  t.ok(failedEvent, 'the refusal is a service event, in ECS\'s wording')
  t.equal(s.deployments![0].failedTasks, 2, 'the 2 tasks it could not launch count as failed')
  t.equal(s.deployments![0].rolloutState, 'IN_PROGRESS', 'below the threshold (3) yet')

  await advance(engine, 10_000)
  await settle(engine)
  s = await describe(engine, 'web', 'web')
  t.equal(s.deployments![0].rolloutState, 'FAILED', 'the retry failed again: the circuit breaker failed the deployment')
  t.ok(s.events!.some((e) => e.message === `(service web) (deployment ${s.deployments![0].id}) deployment failed: tasks failed to start.`))
  t.equal(s.events!.filter((e) => /failed to launch a task/.test(e.message!)).length, 1, 'the event is not repeated within a minute')
  t.equal(liveTasks(engine, 'web', 'web').length, 1, 'the task it had keeps running')
})
