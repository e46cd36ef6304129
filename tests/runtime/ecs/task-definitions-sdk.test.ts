// Task definitions through the official @aws-sdk/client-ecs against the
// engine's endpoint: every operation round-trips, timestamps come back as
// Dates, and refusals surface as the SDK's typed ClientException.
import t from 'tap'
import {
  ClientException, DeleteTaskDefinitionsCommand, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, paginateListTaskDefinitions
} from '@aws-sdk/client-ecs'
import { clientConfig, simulatedCloud } from '../api/clients.js'

t.test('RegisterTaskDefinition … DeleteTaskDefinitions through the SDK', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())
  const registered = await ecs.send(new RegisterTaskDefinitionCommand({
    family: 'web', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '0.5 vCPU', memory: '1GB', tags: [{ key: 'team', value: 'a' }],
    containerDefinitions: [{
      name: 'web', image: 'busybox', portMappings: [{ containerPort: 8080 }], healthCheck: { command: ['CMD-SHELL', 'true'] },
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web' } }
    }]
  }))
  const d = registered.taskDefinition!
  t.equal(d.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1')
  t.same([d.cpu, d.memory, d.compatibilities], ['512', '1024', ['EC2', 'FARGATE']])
  t.ok(d.registeredAt instanceof Date && !Number.isNaN(d.registeredAt.getTime()), 'registeredAt is a timestamp')
  t.same(d.containerDefinitions![0].portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }])
  t.same(registered.tags, [{ key: 'team', value: 'a' }])
  for (let i = 0; i < 4; i++) await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] }))

  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }))
  t.same(described.tags, [{ key: 'team', value: 'a' }])
  const arns: string[] = []
  for await (const page of paginateListTaskDefinitions({ client: ecs, pageSize: 2 }, { familyPrefix: 'web', sort: 'DESC' })) arns.push(...page.taskDefinitionArns!)
  t.same(arns.map((a) => a.split(':').at(-1)), ['5', '4', '3', '2', '1'], 'the SDK paginator follows nextToken')
  t.same((await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families, ['web'])

  const deregistered = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: d.taskDefinitionArn }))
  t.equal(deregistered.taskDefinition!.status, 'INACTIVE')
  t.ok(deregistered.taskDefinition!.deregisteredAt instanceof Date)
  const deleted = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:1', 'web:2'] }))
  t.same(deleted.taskDefinitions!.map((x) => x.status), ['DELETE_IN_PROGRESS'])
  t.equal(deleted.failures![0].arn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2')
  t.same((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', status: 'INACTIVE' }))).taskDefinitionArns, [], 'web:1 is gone (no task used it)')

  const refused = await ecs.send(new RegisterTaskDefinitionCommand({
    family: 'bad', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '4096', containerDefinitions: [{ name: 'a', image: 'busybox' }]
  })).catch((e: unknown) => e)
  t.ok(refused instanceof ClientException, 'a typed ClientException')
  t.match((refused as Error).message, /memory.*No Fargate configuration exists/)
})
