// Services whose task definition has a health check (simulated runner,
// manual clock; its probes pass for STRATUS_SIM_HEALTHY_SECONDS, always when
// unset, the first one an interval after the start): a rolling update stops
// old tasks only as new ones become HEALTHY, not merely RUNNING; tasks that
// fail their health checks are replaced with ECS's event, and count as
// failures for the circuit breaker.
import t from 'tap'
import { advance, describe, liveTasks, createCluster, seedDefinition, settle, sim, simulatedEngine } from './services-fixtures.js'

const HEALTH = { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 2, startPeriod: 0 }

t.test('old tasks are stopped only as new ones become HEALTHY', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  const v1 = await seedDefinition(engine, 'app', { environment: sim(36_000), healthCheck: HEALTH })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2 })
  for (let i = 0; i < 3; i++) await advance(engine, 5_000)
  let s = await describe(engine, 'web', 'web')
  t.equal(s.deployments![0].rolloutState, 'COMPLETED', 'completed once its tasks were HEALTHY')
  t.ok(liveTasks(engine, 'web', 'web').every((r) => r.task.healthStatus === 'HEALTHY'))

  await seedDefinition(engine, 'app', { environment: sim(36_000), healthCheck: HEALTH })
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await advance(engine, 2_000)
  const live = liveTasks(engine, 'web', 'web')
  const old = live.filter((r) => r.task.taskDefinitionArn === v1)
  t.equal(old.filter((r) => r.task.desiredStatus === 'RUNNING').length, 2, 'the old tasks still serve: the new ones are RUNNING but not yet HEALTHY')
  t.ok(live.some((r) => r.task.taskDefinitionArn !== v1 && r.task.lastStatus === 'RUNNING' && r.task.healthStatus !== 'HEALTHY'))
  for (let i = 0; i < 8; i++) await advance(engine, 5_000)
  s = await describe(engine, 'web', 'web')
  t.equal(s.deployments!.length, 1)
  t.equal(s.deployments![0].rolloutState, 'COMPLETED')
  t.ok(liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn !== v1 && r.task.healthStatus === 'HEALTHY'))
})

t.test('tasks failing their health checks are replaced, and trip the circuit breaker of a deployment', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  const good = await seedDefinition(engine, 'app', { environment: sim(36_000), healthCheck: HEALTH })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } })
  for (let i = 0; i < 3; i++) await advance(engine, 5_000)
  await seedDefinition(engine, 'app', { environment: [...sim(36_000), { name: 'STRATUS_SIM_HEALTHY_SECONDS', value: '0' }], healthCheck: HEALTH })
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  for (let i = 0; i < 40; i++) await advance(engine, 5_000)
  await settle(engine)
  const s = await describe(engine, 'web', 'web')
  const messages = s.events!.map((e) => e.message!)
  t.ok(messages.some((m) => /^\(service web\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(m)), 'ECS\'s message for an unhealthy task')
  t.ok(messages.some((m) => /deployment failed: tasks failed to start\.$/.test(m)), 'the circuit breaker tripped')
  t.equal(s.deployments![0].taskDefinition, good, 'rolled back')
  t.equal(s.runningCount, 1)
  t.ok(liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === good))
})

// healthCheckGracePeriodSeconds covers container health checks too (ECS's current API: it was once
// refused without load balancers): a task UNHEALTHY within the period after its start is kept.
t.test('the health check grace period holds off the replacement of a task failing its container health checks', async (t) => {
  for (const grace of [0, 60]) {
    const engine = await simulatedEngine()
    t.teardown(() => engine.close())
    await createCluster(engine, 'web')
    await seedDefinition(engine, 'app', { environment: [...sim(36_000), { name: 'STRATUS_SIM_HEALTHY_SECONDS', value: '0' }], healthCheck: HEALTH })
    await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1, healthCheckGracePeriodSeconds: grace })
    t.equal((await describe(engine, 'web', 'web')).healthCheckGracePeriodSeconds, grace)
    const failed = async () => (await describe(engine, 'web', 'web')).events!.filter((e) => /failed container health checks\.$/.test(e.message!)).length
    for (let i = 0; i < 6; i++) await advance(engine, 5_000)
    await settle(engine)
    const first = liveTasks(engine, 'web', 'web')[0]
    if (grace === 0) {
      t.ok(await failed() > 0, 'no grace: replaced once UNHEALTHY')
    } else {
      t.equal(await failed(), 0, '30 s in, within the 60 s grace: not replaced')
      t.equal(first.task.healthStatus, 'UNHEALTHY')
      t.equal(first.task.desiredStatus, 'RUNNING')
      for (let i = 0; i < 7; i++) await advance(engine, 5_000)
      await settle(engine)
      t.ok(await failed() > 0, 'replaced once the grace is over')
      t.notOk(liveTasks(engine, 'web', 'web').some((r) => r.taskId === first.taskId && r.task.desiredStatus === 'RUNNING'), 'the first task was stopped')
    }
  }
})
