// ECS on the wire: the official @aws-sdk/client-ecs and Debian's `aws ecs`
// against one engine (simulated runner, manual clock, IAM on): clusters with
// their container instances, paging, timestamps as the SDK's Dates, errors
// with ECS's __type and message, IAM asked about the resource ARNs the
// service authorization reference names.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  ECSClient, CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, DescribeTasksCommand, StopTaskCommand, ListTasksCommand,
  CreateServiceCommand, ListTaskDefinitionsCommand, DeleteClusterCommand, DescribeClustersCommand, DescribeContainerInstancesCommand, DescribeServicesCommand,
  ListClustersCommand, ListContainerInstancesCommand, ListTagsForResourceCommand, TagResourceCommand
} from '@aws-sdk/client-ecs'
import { Stratus } from '../../../sdk/index.js'
import { AWS_CLI, requireTool } from '../../tools.js'

const exec = promisify(execFile)
const KEY = { accessKeyId: 'AKIAECSWIRETEST00001', secretAccessKey: 'ecs/wire/test/secret/key/000000000000000' }

t.test('ECS over the official client and the aws CLI', async (t) => {
  const cloud = await Stratus.embedded({
    clock: 'manual', runner: 'simulated', auth: 'iam',
    iam: {
      users: [{
        userName: 'ops', accessKeys: [KEY],
        policies: [{
          policyName: 'ecs', policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
              { Effect: 'Deny', Action: 'ecs:DeleteCluster', Resource: 'arn:aws:ecs:us-east-1:000000000000:cluster/keep' }
            ]
          }
        }]
      }]
    }
  })
  t.teardown(() => cloud.close())
  const ecs = new ECSClient({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: KEY, maxAttempts: 1 })
  t.teardown(() => ecs.destroy())
  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure') }, (e: Error & { $metadata?: { httpStatusCode?: number } }) => e)

  // Clusters, each with its container instance (an m5.xlarge by default).
  const created = await ecs.send(new CreateClusterCommand({ clusterName: 'web', tags: [{ key: 'team', value: 'a' }] }))
  t.equal(created.cluster?.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/web', 'CreateCluster answers its ARN')
  await ecs.send(new CreateClusterCommand({ clusterName: 'keep' }))
  await ecs.send(new CreateClusterCommand({ clusterName: 'api' }))
  const described = await ecs.send(new DescribeClustersCommand({ clusters: ['web', 'nope'], include: ['TAGS', 'STATISTICS'] }))
  t.equal(described.clusters?.[0].registeredContainerInstancesCount, 1, 'the cluster has its own container instance')
  t.same(described.clusters?.[0].tags, [{ key: 'team', value: 'a' }], 'include TAGS: its tags')
  t.match(described.failures?.[0], { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }, 'an unknown cluster is a failure, MISSING')

  // Paging: one cluster a page, every page.
  const names: string[] = []
  let nextToken: string | undefined
  let pages = 0
  do {
    const page = await ecs.send(new ListClustersCommand({ maxResults: 1, ...(nextToken ? { nextToken } : {}) }))
    names.push(...(page.clusterArns ?? []).map((a) => a.split('/').pop()!))
    nextToken = page.nextToken
    pages++
  } while (nextToken !== undefined && pages < 20)
  t.ok(['web', 'keep', 'api'].every((n) => names.includes(n)), `ListClusters pages through every cluster (${names.join(', ')})`)
  t.ok(pages >= 3, 'one cluster a page')

  // Timestamps arrive as epoch seconds: the SDK's Dates, on the engine's clock.
  const { containerInstanceArns } = await ecs.send(new ListContainerInstancesCommand({ cluster: 'web' }))
  const { containerInstances } = await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'web', containerInstances: containerInstanceArns }))
  const registeredAt = containerInstances?.[0].registeredAt
  t.ok(registeredAt instanceof Date && Math.abs(registeredAt.getTime() - cloud.clock.now()) < 1000, 'registeredAt is a Date at the engine clock\'s time')

  // Errors: ECS's exception names and messages, the member named.
  const missing = await failure(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['x'] })))
  t.equal(missing.name, 'ClusterNotFoundException', 'a missing cluster: ClusterNotFoundException')
  t.equal(missing.$metadata?.httpStatusCode, 400, 'with 400')
  const foreign = await failure(ecs.send(new TagResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/web', tags: [{ key: 'k', value: 'v' }] })))
  t.equal(foreign.name, 'InvalidParameterException', 'another account\'s ARN: InvalidParameterException')
  t.match(foreign.message, /not in this partition, account and region/)
  const tagsOfWeb = await ecs.send(new ListTagsForResourceCommand({ resourceArn: created.cluster!.clusterArn! }))
  t.same(tagsOfWeb.tags, [{ key: 'team', value: 'a' }], 'and nothing was tagged')

  // IAM is asked about the cluster's ARN: a Deny on cluster/keep refuses only that one.
  const denied = await failure(ecs.send(new DeleteClusterCommand({ cluster: 'keep' })))
  t.equal(denied.name, 'AccessDeniedException', 'DeleteCluster on a denied cluster ARN: AccessDeniedException')
  const deleted = await ecs.send(new DeleteClusterCommand({ cluster: 'api' })).catch((e: Error) => e)
  t.notOk(deleted instanceof Error && deleted.name === 'AccessDeniedException', 'another cluster is not denied')

  // Task definitions, tasks, services.
  const registered = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox:1.36', memory: 128, essential: true, environment: [{ name: 'STRATUS_SIM_SECONDS', value: '3600' }] }] }))
  t.equal(registered.taskDefinition?.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/app:1', 'RegisterTaskDefinition: revision 1')
  await ecs.send(new RegisterTaskDefinitionCommand({ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox:1.36', memory: 128 }] }))
  const defs = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'app', maxResults: 1 }))
  t.equal(defs.taskDefinitionArns?.length, 1, 'ListTaskDefinitions pages (one a page)')
  t.ok(defs.nextToken !== undefined, 'with a nextToken')
  const bad = await failure(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, image: 'busybox:1.36', memory: 16 })) })))
  t.match(bad.name, /ClientException|InvalidParameterException/, `an 11th container is refused (${bad.name}: ${bad.message})`)
  const ran = await ecs.send(new RunTaskCommand({ cluster: 'web', taskDefinition: 'app:1', count: 2, startedBy: 'wire-test' }))
  t.equal(ran.tasks?.length, 2, 'RunTask count 2: two tasks')
  t.same(ran.failures, [], 'no failures')
  const taskArn = ran.tasks![0].taskArn!
  t.match(taskArn, /^arn:aws:ecs:us-east-1:000000000000:task\/web\/[0-9a-f]{32}$/, 'task ARNs are task/<cluster>/<id>')
  t.ok(ran.tasks![0].createdAt instanceof Date, 'createdAt is a Date')
  const listedTasks = await ecs.send(new ListTasksCommand({ cluster: 'web', startedBy: 'wire-test', maxResults: 1 }))
  t.equal(listedTasks.taskArns?.length, 1, 'ListTasks pages')
  const stopped = await ecs.send(new StopTaskCommand({ cluster: 'web', task: taskArn, reason: 'done here' }))
  t.equal(stopped.task?.desiredStatus, 'STOPPED', 'StopTask: desiredStatus STOPPED')
  const shownTask = await ecs.send(new DescribeTasksCommand({ cluster: 'web', tasks: [taskArn.split('/').pop()!] }))
  t.equal(shownTask.tasks?.[0].taskArn, taskArn, 'DescribeTasks by id')
  t.equal(shownTask.tasks?.[0].stoppedReason, 'done here', 'with the stop reason')
  const service = await ecs.send(new CreateServiceCommand({ cluster: 'web', serviceName: 'svc', taskDefinition: 'app', desiredCount: 1 }))
  t.equal(service.service?.serviceArn, 'arn:aws:ecs:us-east-1:000000000000:service/web/svc', 'CreateService: service/<cluster>/<name>')
  const shownService = await ecs.send(new DescribeServicesCommand({ cluster: 'web', services: ['svc'] }))
  t.equal(shownService.services?.[0].desiredCount, 1, 'DescribeServices')
  const dup = await failure(ecs.send(new CreateServiceCommand({ cluster: 'nope', serviceName: 'svc', taskDefinition: 'app', desiredCount: 1 })))
  t.equal(dup.name, 'ClusterNotFoundException', 'CreateService in a missing cluster: ClusterNotFoundException')

  t.test('the aws CLI', async (t) => {
    await requireTool('aws')
    const home = await mkdtemp(join(tmpdir(), 'stratus-awscli-ecs-'))
    t.teardown(() => rm(home, { recursive: true, force: true }))
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials')
    }
    const aws = async (...args: string[]): Promise<any> => {
      const { stdout } = await exec(AWS_CLI, ['--endpoint-url', `http://${cloud.endpoint}`, '--output', 'json', 'ecs', ...args], { env })
      return stdout.trim() === '' ? {} : JSON.parse(stdout)
    }
    const made = await aws('create-cluster', '--cluster-name', 'cli')
    t.equal(made.cluster.clusterName, 'cli', 'aws ecs create-cluster')
    const shown = await aws('describe-clusters', '--clusters', 'cli', '--include', 'STATISTICS')
    t.equal(shown.clusters[0].status, 'ACTIVE', 'aws ecs describe-clusters')
    const refused = await exec(AWS_CLI, ['--endpoint-url', `http://${cloud.endpoint}`, 'ecs', 'delete-cluster', '--cluster', 'keep'], { env }).catch((e: { stderr: string; code: number }) => e)
    t.match((refused as { stderr: string }).stderr, /AccessDeniedException/, 'aws ecs delete-cluster on a denied cluster: AccessDeniedException')
  })
})
