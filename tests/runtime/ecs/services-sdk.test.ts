// ECS services through the official @aws-sdk/client-ecs on the engine's
// endpoint (awsJson1_1): CreateService, DescribeServices with its times as
// Dates, the counts of live tasks, events and deployments; UpdateService,
// ListServices, DeleteService; ECS's exceptions by name.
import t from 'tap'
import {
  CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, ECSClient, ListServicesByNamespaceCommand,
  ListServicesCommand, UpdateServiceCommand
} from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'
import { advance, seedDefinition, sim } from './services-fixtures.js'

t.test('services over the wire, as the official SDK sees them', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())
  const settle = async () => { for (let i = 0; i < 5; i++) await advance(cloud.engine, 0) }
  await ecs.send(new CreateClusterCommand({ clusterName: 'web' }))
  const v1 = await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })

  const { service } = await ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'web', taskDefinition: 'app', desiredCount: 2, tags: [{ key: 'team', value: 'a' }] }))
  t.equal(service!.serviceName, 'web')
  t.ok(service!.createdAt instanceof Date, 'createdAt is a timestamp')
  t.match(service!.deployments![0].id, /^ecs-svc\/\d{19}$/)
  t.ok(service!.deployments![0].createdAt instanceof Date)
  await settle()

  const described = (await ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['web', 'ghost'], include: ['TAGS'] })))
  const s = described.services![0]
  t.equal(s.runningCount, 2)
  t.equal(s.pendingCount, 0)
  t.equal(s.deployments![0].rolloutState, 'COMPLETED')
  t.equal(s.deployments![0].taskDefinition, v1)
  t.ok(s.events!.every((e) => e.createdAt instanceof Date && typeof e.id === 'string'))
  t.equal(s.events![0].message, '(service web) has reached a steady state.')
  t.same(s.tags, [{ key: 'team', value: 'a' }])
  t.same(described.failures, [{ arn: s.serviceArn!.replace(/web$/, 'ghost'), reason: 'MISSING' }])

  const v2 = await seedDefinition(cloud.engine, 'app', { environment: sim(36_000) })
  const updated = await ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'web', taskDefinition: 'app', desiredCount: 3 }))
  t.same(updated.service!.deployments!.map((d) => d.status), ['PRIMARY', 'ACTIVE'])
  await settle()
  const after = (await ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['web'] }))).services![0]
  t.equal(after.runningCount, 3)
  t.equal(after.taskDefinition, v2)
  t.same((await ecs.send(new ListServicesCommand({ cluster: 'web' }))).serviceArns, [s.serviceArn])

  const bad = await ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'x'.repeat(256), taskDefinition: 'app', desiredCount: 1 })).catch((e) => e)
  t.equal(bad.name, 'InvalidParameterException')
  t.equal(bad.$metadata.httpStatusCode, 400)
  const refused = await ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'web' })).catch((e) => e)
  t.equal(refused.name, 'InvalidParameterException')
  t.equal(refused.message, 'The service cannot be stopped while it is scaled above 0.')
  const missing = await ecs.send(new UpdateServiceCommand({ cluster: 'web', service: 'ghost', desiredCount: 1 })).catch((e) => e)
  t.equal(missing.name, 'ServiceNotFoundException')
  const namespace = await ecs.send(new ListServicesByNamespaceCommand({ namespace: 'ns' })).catch((e) => e)
  t.equal(namespace.name, 'NamespaceNotFoundException')
  t.equal(namespace.$metadata.httpStatusCode, 400)

  const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'web', service: 'web', force: true }))
  t.equal(deleted.service!.status, 'DRAINING')
  await settle()
  t.equal((await ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['web'] }))).services![0].status, 'INACTIVE')
})
