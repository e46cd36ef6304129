// ListServiceDeployments / DescribeServiceDeployments / StopServiceDeployment
// on rolling deployments (simulated runner, manual clock): each deployment a
// service starts is listed with its status; stopping the one in progress
// with ROLLBACK redeploys the last completed revision; bad ARNs and stops of
// finished deployments are refused by name; the official SDK sees the same
// over the wire.
import t from 'tap'
import { CreateServiceCommand, DescribeServiceDeploymentsCommand, ECSClient, ListServiceDeploymentsCommand, StopServiceDeploymentCommand } from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'
import { advance, createCluster, describe, liveTasks, seedDefinition, settle, sim, simulatedEngine } from './services-fixtures.js'

const HEALTH = { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 2, startPeriod: 0 }

t.test('a rolling deployment stopped with ROLLBACK goes back to the last completed revision', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  const v1 = await seedDefinition(engine, 'app', { environment: sim(36_000), healthCheck: HEALTH })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2 })
  for (let i = 0; i < 3; i++) await advance(engine, 5_000)
  let listed = await engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web' })
  t.equal(listed.serviceDeployments!.length, 1)
  t.equal(listed.serviceDeployments![0].status, 'SUCCESSFUL')
  t.match(String(listed.serviceDeployments![0].serviceDeploymentArn), /^arn:aws:ecs:us-east-1:\d{12}:service-deployment\/web\/web\/\d{19}$/)

  // A revision whose health checks never pass: its deployment stays IN_PROGRESS.
  await seedDefinition(engine, 'app', { environment: [...sim(36_000), { name: 'STRATUS_SIM_HEALTHY_SECONDS', value: '0' }], healthCheck: { ...HEALTH, retries: 10 } })
  await engine.ecs.updateService({ cluster: 'web', service: 'web', taskDefinition: 'app' })
  await advance(engine, 5_000)
  listed = await engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web' })
  t.same(listed.serviceDeployments!.map((d) => d.status), ['IN_PROGRESS', 'SUCCESSFUL'], 'newest first; the one it replaces stays SUCCESSFUL')
  const arn = String(listed.serviceDeployments![0].serviceDeploymentArn)
  const { serviceDeployments } = await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [arn] })
  t.equal(serviceDeployments![0].status, 'IN_PROGRESS')
  t.equal((serviceDeployments![0].targetServiceRevision as { requestedTaskCount: number }).requestedTaskCount, 2)

  t.same(await engine.ecs.stopServiceDeployment({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }), { serviceDeploymentArn: arn })
  for (let i = 0; i < 4; i++) await advance(engine, 5_000)
  await settle(engine)
  const s = await describe(engine, 'web', 'web')
  t.equal(s.deployments![0].taskDefinition, v1, 'the last completed revision is PRIMARY again')
  t.equal(s.deployments![0].rolloutState, 'COMPLETED')
  t.ok(liveTasks(engine, 'web', 'web').every((r) => r.task.taskDefinitionArn === v1))
  const after = (await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [arn] })).serviceDeployments![0]
  t.equal(after.status, 'ROLLBACK_SUCCESSFUL')
  t.match(String(after.statusReason), /stopped by request/)
  await t.rejects(engine.ecs.stopServiceDeployment({ serviceDeploymentArn: arn }), { code: 'ConflictException', field: 'serviceDeploymentArn' }, 'a finished deployment cannot be stopped')
})

t.test('bad requests are refused naming the member', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'web')
  await seedDefinition(engine, 'app', { environment: sim(36_000) })
  await engine.ecs.createService({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1 })
  await settle(engine)
  const arn = String((await engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web' })).serviceDeployments![0].serviceDeploymentArn)
  await t.rejects(engine.ecs.stopServiceDeployment({ serviceDeploymentArn: 'nope' }), { code: 'InvalidParameterException', field: 'serviceDeploymentArn' })
  await t.rejects(engine.ecs.stopServiceDeployment({ serviceDeploymentArn: arn, stopType: 'PAUSE' as never }), { code: 'InvalidParameterException', field: 'stopType' })
  await t.rejects(engine.ecs.stopServiceDeployment({ serviceDeploymentArn: arn.replace(/\d{19}$/, '1'.repeat(19)) }), { code: 'ServiceDeploymentNotFoundException' })
  await t.rejects(engine.ecs.listServiceDeployments({ cluster: 'web', service: 'ghost' }), { code: 'ServiceNotFoundException' })
  await t.rejects(engine.ecs.listServiceDeployments({ cluster: 'web', service: 'web', maxResults: 101 }), { code: 'InvalidParameterException', field: 'maxResults', limit: 100 })
  await t.rejects(engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [] }), { code: 'InvalidParameterException', field: 'serviceDeploymentArns' })
  const missing = await engine.ecs.describeServiceDeployments({ serviceDeploymentArns: [arn.replace('/web/web/', '/web/ghost/')] })
  t.same(missing.failures!.map((f) => f.reason), ['MISSING'])
})

t.test('over the wire: the official SDK lists, describes and stops service deployments', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())
  await createCluster(cloud.engine, 'web')
  await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })
  await ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 1 }))
  await settle(cloud.engine)
  const { serviceDeployments } = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'web', service: 'web' }))
  t.equal(serviceDeployments!.length, 1)
  t.ok(serviceDeployments![0].createdAt instanceof Date, 'times are timestamps')
  t.equal(serviceDeployments![0].status, 'SUCCESSFUL')
  const arn = serviceDeployments![0].serviceDeploymentArn!
  const described = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))
  t.ok(described.serviceDeployments![0].finishedAt instanceof Date)
  t.equal(described.serviceDeployments![0].targetServiceRevision!.requestedTaskCount, 1)
  await t.rejects(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })), { name: 'ConflictException' })
  await t.rejects(ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: 'arn:aws:ecs:us-east-1:000000000000:service-deployment/web/web/1' })), { name: 'ServiceDeploymentNotFoundException' })
})
