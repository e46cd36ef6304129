// DAEMON services on the simulated runner and the manual clock: one task on
// each ACTIVE container instance that meets the constraints, following
// instances joining, draining and leaving; desiredCount shows the eligible
// instances; a new revision replaces each instance's task.
import t from 'tap'
import { addInstance, describe, liveTasks, createCluster, seedDefinition, setInstanceStatus, settle, sim, simulatedEngine } from './services-fixtures.js'

t.test('one task per ACTIVE instance, following instances joining, draining, coming back and leaving; a new revision replaces them', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'fleet', [{ vcpus: 2, memory: 4096 }, { vcpus: 2, memory: 4096 }])
  await seedDefinition(engine, 'agent', { cpu: 128, memory: 128, environment: sim(36_000) })
  const created = await engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent', taskDefinition: 'agent', schedulingStrategy: 'DAEMON' })
  t.same(created.service!.deploymentConfiguration, { minimumHealthyPercent: 0, maximumPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } }, 'DAEMON defaults')
  await settle(engine)
  const perInstance = () => {
    const counts = new Map<string, number>()
    for (const r of liveTasks(engine, 'fleet', 'agent')) if (r.task.desiredStatus === 'RUNNING') counts.set(String(r.task.containerInstanceArn), (counts.get(String(r.task.containerInstanceArn)) ?? 0) + 1)
    return counts
  }
  let s = await describe(engine, 'fleet', 'agent')
  t.equal(s.desiredCount, 2, 'desiredCount: the eligible instances')
  t.equal(s.runningCount, 2)
  t.ok([...perInstance().values()].every((n) => n === 1))

  const third = await addInstance(engine, 'fleet', { vcpus: 2, memory: 4096 })
  await settle(engine)
  s = await describe(engine, 'fleet', 'agent')
  t.equal(s.desiredCount, 3)
  t.equal(s.runningCount, 3)
  t.equal(perInstance().get(third), 1, 'the joining instance got its task')

  await setInstanceStatus(engine, 'fleet', third, 'DRAINING')
  await settle(engine)
  s = await describe(engine, 'fleet', 'agent')
  t.equal(s.desiredCount, 2)
  t.equal(s.runningCount, 2)
  t.notOk(perInstance().has(third), 'the draining instance lost its task')

  await setInstanceStatus(engine, 'fleet', third, 'ACTIVE')
  await settle(engine)
  t.equal((await describe(engine, 'fleet', 'agent')).runningCount, 3)

  // Leaving: a fourth instance joins and is deregistered (forced: its task stopped).
  const fourth = await addInstance(engine, 'fleet', { vcpus: 2, memory: 4096 })
  await settle(engine)
  t.equal(perInstance().get(fourth), 1)
  await engine.ecs.deregisterContainerInstance({ cluster: 'fleet', containerInstance: fourth, force: true } as never)
  await settle(engine)
  s = await describe(engine, 'fleet', 'agent')
  t.equal(s.desiredCount, 3, 'the instance left')
  t.equal(s.runningCount, 3)
  t.notOk(perInstance().has(fourth))

  // A new revision replaces every instance's task.
  const v2 = await seedDefinition(engine, 'agent', { cpu: 128, memory: 128, environment: sim(36_000) })
  await engine.ecs.updateService({ cluster: 'fleet', service: 'agent', taskDefinition: 'agent' })
  await settle(engine)
  s = await describe(engine, 'fleet', 'agent')
  t.equal(s.runningCount, 3)
  t.ok(liveTasks(engine, 'fleet', 'agent').every((r) => r.task.taskDefinitionArn === v2))
  t.equal(s.deployments!.length, 1)
  t.equal(s.deployments![0].rolloutState, 'COMPLETED')

  await t.rejects(engine.ecs.updateService({ cluster: 'fleet', service: 'agent', desiredCount: 5 }), { code: 'InvalidParameterException', field: 'desiredCount' })
  const deleted = await engine.ecs.deleteService({ cluster: 'fleet', service: 'agent' })
  t.equal(deleted.service!.status, 'DRAINING', 'a DAEMON service deletes without force')
  await settle(engine)
  t.equal((await describe(engine, 'fleet', 'agent')).status, 'INACTIVE')
  t.equal(liveTasks(engine, 'fleet', 'agent').length, 0)
})

t.test('memberOf constraints choose the instances; DAEMON refuses a strategy, a desired count and Fargate', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  const [web] = await createCluster(engine, 'fleet', [{ vcpus: 2, memory: 4096, attributes: { role: 'web' } }, { vcpus: 2, memory: 4096, attributes: { role: 'db' } }])
  await seedDefinition(engine, 'agent', { cpu: 128, memory: 128, environment: sim(36_000) })
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == web' }] })
  await settle(engine)
  let s = await describe(engine, 'fleet', 'agent')
  t.equal(s.desiredCount, 1)
  t.equal(s.runningCount, 1)
  t.equal(liveTasks(engine, 'fleet', 'agent')[0].task.containerInstanceArn, web)
  await addInstance(engine, 'fleet', { vcpus: 2, memory: 4096, attributes: { role: 'web' } })
  await settle(engine)
  s = await describe(engine, 'fleet', 'agent')
  t.equal(s.runningCount, 2, 'a matching instance joined')

  // The cluster query language: in, and, os-type; a second DAEMON service on the same instances.
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'both', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'attribute:role in [web, db] and attribute:ecs.os-type == linux' }] })
  await settle(engine)
  t.equal((await describe(engine, 'fleet', 'both')).runningCount, 3, 'every instance with a role')
  await t.rejects(engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent2', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'attribute:role ==' }] }), { code: 'InvalidParameterException', field: 'placementConstraints[0].expression' })
  await t.rejects(engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent2', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementStrategy: [{ type: 'random' }] }), { code: 'InvalidParameterException', field: 'placementStrategy' })
  await t.rejects(engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent2', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', desiredCount: 2 }), { code: 'InvalidParameterException', field: 'desiredCount' })
  await t.rejects(engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent2', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', launchType: 'FARGATE' }), { code: 'InvalidParameterException', field: 'schedulingStrategy' })
})

t.test('a DAEMON constraint on task:group sees the tasks on each instance (it never matched)', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  const [web] = await createCluster(engine, 'fleet', [{ vcpus: 2, memory: 4096, attributes: { role: 'web' } }, { vcpus: 2, memory: 4096, attributes: { role: 'db' } }])
  await seedDefinition(engine, 'agent', { cpu: 128, memory: 128, environment: sim(36_000) })
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'web', taskDefinition: 'agent', desiredCount: 1, placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == web' }] })
  await settle(engine)
  // An agent beside the web service's tasks only; and one where no other agent runs (its own task does not count).
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'agent', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'task:group == service:web' }] })
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'solo', taskDefinition: 'agent', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'task:group != service:solo' }] })
  await settle(engine)
  const agent = await describe(engine, 'fleet', 'agent')
  t.equal(agent.desiredCount, 1, 'one instance runs a web task')
  t.equal(agent.runningCount, 1)
  t.same(liveTasks(engine, 'fleet', 'agent').map((r) => r.task.containerInstanceArn), [web], 'on the web task\'s instance')
  const solo = await describe(engine, 'fleet', 'solo')
  t.equal(solo.runningCount, 2, 'its own task does not make an instance ineligible')
  t.equal(liveTasks(engine, 'fleet', 'solo').filter((r) => r.task.desiredStatus === 'STOPPED').length, 0, 'nothing stopped')
})

t.test('a DAEMON service holds its task definition\'s placement constraints too (they were ignored)', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  const [, db] = await createCluster(engine, 'fleet', [{ vcpus: 2, memory: 4096, attributes: { role: 'web' } }, { vcpus: 2, memory: 4096, attributes: { role: 'db' } }])
  await seedDefinition(engine, 'dbagent', { cpu: 128, memory: 128, environment: sim(36_000) })
  await engine.ecs.registerTaskDefinition({
    family: 'dbagent', networkMode: 'bridge', requiresCompatibilities: ['EC2'],
    placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == db' }],
    containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 128, memory: 128, essential: true, environment: sim(36_000) }]
  } as never)
  await engine.ecs.createService({ cluster: 'fleet', serviceName: 'dbagent', taskDefinition: 'dbagent', schedulingStrategy: 'DAEMON' })
  await settle(engine)
  const s = await describe(engine, 'fleet', 'dbagent')
  t.equal(s.desiredCount, 1, 'only the instance the definition allows')
  t.equal(s.runningCount, 1)
  t.same(liveTasks(engine, 'fleet', 'dbagent').map((r) => r.task.containerInstanceArn), [db])
})
