// The clusters area through the official @aws-sdk/client-ecs over the wire
// API: shapes and timestamps as the SDK parses them, ECS's exceptions by name
// with their messages, waiter-free paging. Simulated runner, manual clock.
import t from 'tap'
import {
  ECSClient, CreateClusterCommand, DescribeClustersCommand, DeleteClusterCommand, ListClustersCommand, RegisterContainerInstanceCommand,
  DescribeContainerInstancesCommand, PutAttributesCommand, CreateCapacityProviderCommand, DescribeCapacityProvidersCommand, TagResourceCommand, ListTagsForResourceCommand
} from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'

t.test('clusters over the wire', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())

  const created = await ecs.send(new CreateClusterCommand({ clusterName: 'wire', tags: [{ key: 'a', value: 'b' }] }))
  t.match(created.cluster, { clusterName: 'wire', status: 'ACTIVE', registeredContainerInstancesCount: 1, tags: [{ key: 'a', value: 'b' }] })
  const listed = await ecs.send(new ListClustersCommand({ maxResults: 1 }))
  t.equal(listed.clusterArns!.length, 1)
  t.type(listed.nextToken, 'string')
  const described = await ecs.send(new DescribeClustersCommand({ clusters: ['wire', 'missing'], include: ['STATISTICS'] }))
  t.match(described, { clusters: [{ clusterName: 'wire', statistics: [{ name: 'runningEC2TasksCount' }] }], failures: [{ reason: 'MISSING' }] })

  const registered = await ecs.send(new RegisterContainerInstanceCommand({
    cluster: 'wire', instanceIdentityDocument: JSON.stringify({ instanceId: 'i-00000000000000001', instanceType: 't3.medium', availabilityZone: 'us-east-1c' })
  }))
  t.ok(registered.containerInstance!.registeredAt instanceof Date, 'registeredAt is a timestamp')
  t.ok(Math.abs(registered.containerInstance!.registeredAt!.getTime() - cloud.clock.now()) < 1000, 'at the time of the engine clock')
  const ci = await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'wire', containerInstances: ['i-00000000000000001'] }))
  t.match(ci.containerInstances, [{ ec2InstanceId: 'i-00000000000000001', registeredResources: [{ name: 'CPU', integerValue: 2048 }, { name: 'MEMORY', integerValue: 4096 }, {}, {}] }])

  const err = await ecs.send(new DeleteClusterCommand({ cluster: 'wire' })).catch((e) => e)
  t.equal(err.name, 'ClusterContainsContainerInstancesException')
  t.equal(err.message, 'The Cluster cannot be deleted while Container Instances are active or draining.')
  const notFound = await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'nope', containerInstances: ['x'] })).catch((e) => e)
  t.equal(notFound.name, 'ClusterNotFoundException')
  t.equal(notFound.message, 'Cluster not found.')
  const tooMany = await ecs.send(new PutAttributesCommand({ cluster: 'wire', attributes: Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, targetId: 'i-00000000000000001' })) })).catch((e) => e)
  t.equal(tooMany.name, 'AttributeLimitExceededException')

  await ecs.send(new CreateCapacityProviderCommand({ name: 'wirecp', autoScalingGroupProvider: { autoScalingGroupArn: 'arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/g' } }))
  const providers = await ecs.send(new DescribeCapacityProvidersCommand({}))
  t.same(providers.capacityProviders!.map((p) => p.name), ['FARGATE', 'FARGATE_SPOT', 'wirecp'])
  const arn = created.cluster!.clusterArn!
  await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'c', value: 'd' }] }))
  t.same((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ key: 'a', value: 'b' }, { key: 'c', value: 'd' }])
})
