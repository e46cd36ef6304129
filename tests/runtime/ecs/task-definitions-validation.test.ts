// Every rule of RegisterTaskDefinition: each bad input is refused with a
// ClientException naming the field path (and the limit), and nothing is
// stored. The good forms are shown back as ECS shows them (defaults filled).
import t from 'tap'
import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '../../../runtime/ecs/model-task-definitions.js'
import { ec2Definition, engine } from './task-definitions-fixtures.js'

const c = (extra: Partial<ContainerDefinition> = {}): ContainerDefinition => ({ name: 'app', image: 'busybox', memory: 128, ...extra })
const withContainers = (...containerDefinitions: ContainerDefinition[]): RegisterTaskDefinitionRequest => ({ family: 'v', containerDefinitions })

/** [what, request, field, limit?] */
const REFUSED: Array<[string, RegisterTaskDefinitionRequest, string, number?]> = [
  ['no family', { containerDefinitions: [c()] } as unknown as RegisterTaskDefinitionRequest, 'family'],
  ['a family with a dot', ec2Definition('a.b'), 'family', 255],
  ['a family of 256 characters', ec2Definition('f'.repeat(256)), 'family', 255],
  ['no containers', { family: 'v', containerDefinitions: [] }, 'containerDefinitions', 1],
  ['11 containers', withContainers(...Array.from({ length: 11 }, (_, i) => c({ name: `c${i}` }))), 'containerDefinitions[10]', 10],
  ['an unknown member', { ...ec2Definition('v'), proxyConfiguration: {} } as unknown as RegisterTaskDefinitionRequest, 'request.proxyConfiguration'],
  ['an unknown container member', withContainers(c({ links: ['x'] } as never)), 'containerDefinitions[0].links'],
  ['two containers of one name', withContainers(c(), c()), 'containerDefinitions[1].name'],
  ['no image', withContainers(c({ image: '' })), 'containerDefinitions[0].image'],
  ['a network mode nat', { ...ec2Definition('v'), networkMode: 'nat' as 'bridge' }, 'networkMode'],
  ['requiresCompatibilities WINDOWS', { ...ec2Definition('v'), requiresCompatibilities: ['WINDOWS' as 'EC2'] }, 'requiresCompatibilities[0]'],
  ['no essential container', withContainers(c({ essential: false })), 'containerDefinitions'],
  ['memory 4 MiB', withContainers(c({ memory: 4 })), 'containerDefinitions[0].memory', 6],
  ['memoryReservation above memory', withContainers(c({ memory: 128, memoryReservation: 256 })), 'containerDefinitions[0].memoryReservation', 128],
  ['EC2 with no memory anywhere', withContainers({ name: 'app', image: 'busybox' }), 'containerDefinitions[0].memory'],
  ['container cpu above the task cpu', { ...withContainers(c({ cpu: 512 }), c({ name: 'b', cpu: 1024 })), cpu: '1024' }, 'containerDefinitions', 1024],
  ['container memory above the task memory', { ...withContainers(c({ memory: 2048 })), memory: '1024' }, 'containerDefinitions[0].memory', 1024],
  ['task cpu 64', { ...ec2Definition('v'), cpu: '64' }, 'cpu', 128],
  ['task cpu as a number', { ...ec2Definition('v'), cpu: 256 as unknown as string }, 'cpu'],
  ['task memory "lots"', { ...ec2Definition('v'), memory: 'lots' }, 'memory'],
  ['containerPort 0', withContainers(c({ portMappings: [{ containerPort: 0 }] })), 'containerDefinitions[0].portMappings[0].containerPort', 1],
  ['containerPort 70000', withContainers(c({ portMappings: [{ containerPort: 70000 }] })), 'containerDefinitions[0].portMappings[0].containerPort', 65535],
  ['awsvpc hostPort unlike containerPort', { ...withContainers(c({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })), networkMode: 'awsvpc' }, 'containerDefinitions[0].portMappings[0].hostPort'],
  ['host hostPort unlike containerPort', { ...withContainers(c({ portMappings: [{ containerPort: 80, hostPort: 81 }] })), networkMode: 'host' }, 'containerDefinitions[0].portMappings[0].hostPort'],
  ['protocol sctp', withContainers(c({ portMappings: [{ containerPort: 80, protocol: 'sctp' as 'tcp' }] })), 'containerDefinitions[0].portMappings[0].protocol'],
  ['one host port twice', withContainers(c({ portMappings: [{ containerPort: 80, hostPort: 8080 }] }), c({ name: 'b', portMappings: [{ containerPort: 81, hostPort: 8080 }] })), 'containerDefinitions[1].portMappings[0].hostPort'],
  ['one port name twice', withContainers(c({ portMappings: [{ containerPort: 80, name: 'web' }, { containerPort: 81, name: 'web' }] })), 'containerDefinitions[0].portMappings[1].name'],
  ['ports in network mode none', { ...withContainers(c({ portMappings: [{ containerPort: 80 }] })), networkMode: 'none' }, 'containerDefinitions[0].portMappings'],
  ['a command that is a string', withContainers(c({ command: 'echo hi' as unknown as string[] })), 'containerDefinitions[0].command'],
  ['an entryPoint with a number', withContainers(c({ entryPoint: ['sh', 1 as unknown as string] })), 'containerDefinitions[0].entryPoint[1]'],
  ['an environment entry without a name', withContainers(c({ environment: [{ value: 'x' }] })), 'containerDefinitions[0].environment[0].name'],
  ['environment files (S3)', withContainers(c({ environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::bucket/app.env' }] })), 'containerDefinitions[0].environmentFiles'],
  ['a relative working directory', withContainers(c({ workingDirectory: 'app' })), 'containerDefinitions[0].workingDirectory'],
  ['an unknown ulimit', withContainers(c({ ulimits: [{ name: 'files', softLimit: 1, hardLimit: 2 }] })), 'containerDefinitions[0].ulimits[0].name'],
  ['a soft ulimit above the hard one', withContainers(c({ ulimits: [{ name: 'nofile', softLimit: 4096, hardLimit: 1024 }] })), 'containerDefinitions[0].ulimits[0].softLimit', 1024],
  ['a mount point of no volume', withContainers(c({ mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] })), 'containerDefinitions[0].mountPoints[0].sourceVolume'],
  ['volumesFrom a container that is not there', withContainers(c({ volumesFrom: [{ sourceContainer: 'ghost' }] })), 'containerDefinitions[0].volumesFrom[0].sourceContainer'],
  ['dependsOn a container that is not there', withContainers(c({ dependsOn: [{ containerName: 'ghost', condition: 'START' }] })), 'containerDefinitions[0].dependsOn[0].containerName'],
  ['dependsOn condition STARTED', withContainers(c(), c({ name: 'b', dependsOn: [{ containerName: 'app', condition: 'STARTED' as 'START' }] })), 'containerDefinitions[1].dependsOn[0].condition'],
  ['HEALTHY on a container without a health check', withContainers(c(), c({ name: 'b', dependsOn: [{ containerName: 'app', condition: 'HEALTHY' }] })), 'containerDefinitions[1].dependsOn[0].condition'],
  ['COMPLETE on an essential container', withContainers(c(), c({ name: 'b', dependsOn: [{ containerName: 'app', condition: 'COMPLETE' }] })), 'containerDefinitions[1].dependsOn[0].condition'],
  ['a dependsOn cycle', withContainers(c({ dependsOn: [{ containerName: 'b', condition: 'START' }] }), c({ name: 'b', dependsOn: [{ containerName: 'app', condition: 'START' }] })), 'containerDefinitions[0].dependsOn'],
  ['a health check without CMD', withContainers(c({ healthCheck: { command: ['curl', 'localhost'] } })), 'containerDefinitions[0].healthCheck.command'],
  ['a health check interval of 4', withContainers(c({ healthCheck: { command: ['CMD', 'true'], interval: 4 } })), 'containerDefinitions[0].healthCheck.interval', 5],
  ['a health check timeout of 61', withContainers(c({ healthCheck: { command: ['CMD', 'true'], timeout: 61 } })), 'containerDefinitions[0].healthCheck.timeout', 60],
  ['health check retries 11', withContainers(c({ healthCheck: { command: ['CMD', 'true'], retries: 11 } })), 'containerDefinitions[0].healthCheck.retries', 10],
  ['a health check startPeriod of 301', withContainers(c({ healthCheck: { command: ['CMD', 'true'], startPeriod: 301 } })), 'containerDefinitions[0].healthCheck.startPeriod', 300],
  ['stopTimeout 121', withContainers(c({ stopTimeout: 121 })), 'containerDefinitions[0].stopTimeout', 120],
  ['linuxParameters.capabilities', withContainers(c({ linuxParameters: { capabilities: {} } as never })), 'containerDefinitions[0].linuxParameters.capabilities'],
  ['initProcessEnabled "yes"', withContainers(c({ linuxParameters: { initProcessEnabled: 'yes' as unknown as boolean } })), 'containerDefinitions[0].linuxParameters.initProcessEnabled'],
  ['awslogs without a group', withContainers(c({ logConfiguration: { logDriver: 'awslogs', options: {} } })), 'containerDefinitions[0].logConfiguration.options.awslogs-group'],
  ['awslogs-create-group yes', withContainers(c({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-create-group': 'yes' } } })), 'containerDefinitions[0].logConfiguration.options.awslogs-create-group'],
  ['a log driver splunk (no Splunk here)', withContainers(c({ logConfiguration: { logDriver: 'splunk' } })), 'containerDefinitions[0].logConfiguration.logDriver'],
  ['a label that is a number', withContainers(c({ dockerLabels: { a: 1 as unknown as string } })), 'containerDefinitions[0].dockerLabels.a'],
  ['a volume without a name', { ...ec2Definition('v'), volumes: [{}] }, 'volumes[0].name'],
  ['two volumes of one name', { ...ec2Definition('v'), volumes: [{ name: 'd' }, { name: 'd' }] }, 'volumes[1].name'],
  ['a relative host path', { ...ec2Definition('v'), volumes: [{ name: 'd', host: { sourcePath: 'tmp' } }] }, 'volumes[0].host.sourcePath'],
  ['autoprovision on a task-scoped volume', { ...ec2Definition('v'), volumes: [{ name: 'd', dockerVolumeConfiguration: { scope: 'task', autoprovision: true } }] }, 'volumes[0].dockerVolumeConfiguration.autoprovision'],
  ['a volume driver rexray', { ...ec2Definition('v'), volumes: [{ name: 'd', dockerVolumeConfiguration: { driver: 'rexray' } }] }, 'volumes[0].dockerVolumeConfiguration.driver'],
  ['a host and a Docker volume at once', { ...ec2Definition('v'), volumes: [{ name: 'd', host: {}, dockerVolumeConfiguration: {} }] }, 'volumes[0]'],
  ['an EFS id that is not fs-…', { ...ec2Definition('v'), volumes: [{ name: 'd', efsVolumeConfiguration: { fileSystemId: 'disk-1' } }] }, 'volumes[0].efsVolumeConfiguration.fileSystemId'],
  ['EFS IAM without transit encryption', { ...ec2Definition('v'), volumes: [{ name: 'd', efsVolumeConfiguration: { fileSystemId: 'fs-12345678', authorizationConfig: { iam: 'ENABLED' } } }] }, 'volumes[0].efsVolumeConfiguration.transitEncryption'],
  ['a task role that is not a role ARN', { ...ec2Definition('v'), taskRoleArn: 'admin' }, 'taskRoleArn'],
  ['an execution role of another service', { ...ec2Definition('v'), executionRoleArn: 'arn:aws:s3:::bucket' }, 'executionRoleArn'],
  ['ephemeral storage 20 GiB', { ...ec2Definition('v'), ephemeralStorage: { sizeInGiB: 20 } }, 'ephemeralStorage.sizeInGiB', 21],
  ['ephemeral storage 201 GiB', { ...ec2Definition('v'), ephemeralStorage: { sizeInGiB: 201 } }, 'ephemeralStorage.sizeInGiB', 200],
  ['pidMode shared', { ...ec2Definition('v'), pidMode: 'shared' as 'task' }, 'pidMode'],
  ['Windows', { ...ec2Definition('v'), runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } }, 'runtimePlatform.operatingSystemFamily'],
  ['51 tags', { ...ec2Definition('v'), tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }, 'tags', 50]
]

t.test('each bad input is refused naming the field (and the limit), and nothing is stored', async (t) => {
  await using e = await engine()
  for (const [what, request, field, limit] of REFUSED) {
    await t.rejects(e.ecs.registerTaskDefinition(request), { code: field === 'tags' ? 'InvalidParameterException' : 'ClientException', field, ...(limit !== undefined ? { limit } : {}) }, what)
  }
  t.same((await e.ecs.listTaskDefinitionFamilies({})).families, [], 'no refused request left a definition')
  t.equal((await e.ecs.registerTaskDefinition(ec2Definition('v'))).taskDefinition!.revision, 1, 'and used no revision')
})

t.test('a full definition is kept as ECS shows it, defaults filled', async (t) => {
  await using e = await engine()
  const { taskDefinition: d } = await e.ecs.registerTaskDefinition({
    family: 'full', networkMode: 'bridge', cpu: '1 vCPU', memory: '2 GB', taskRoleArn: 'arn:aws:iam::000000000000:role/app', executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
    volumes: [{ name: 'scratch' }, { name: 'shared', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, labels: { a: 'b' } } }, { name: 'files', efsVolumeConfiguration: { fileSystemId: 'fs-0123abcd', transitEncryption: 'ENABLED' } }, { name: 'host', host: { sourcePath: '/tmp' } }],
    containerDefinitions: [
      { name: 'init', image: 'busybox', essential: false, memoryReservation: 64, command: ['sh', '-c', 'true'] },
      {
        name: 'web', image: 'busybox', cpu: 512, memory: 512, memoryReservation: 256, entryPoint: ['sh', '-c'], command: ['httpd -f'],
        portMappings: [{ containerPort: 80, name: 'http', appProtocol: 'http' }, { containerPort: 53, hostPort: 5353, protocol: 'udp' }],
        environment: [{ name: 'MODE', value: 'x' }], workingDirectory: '/srv', user: '1000:1000', ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
        mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch' }, { sourceVolume: 'files', containerPath: '/files', readOnly: true }],
        dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }], healthCheck: { command: ['CMD-SHELL', 'true'] }, stopTimeout: 10,
        linuxParameters: { initProcessEnabled: true }, readonlyRootFilesystem: true, dockerLabels: { team: 'a' },
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web', 'awslogs-create-group': 'true' } }
      },
      { name: 'side', image: 'busybox', memory: 64, volumesFrom: [{ sourceContainer: 'web', readOnly: true }], dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }] }
    ]
  })
  t.equal(d!.cpu, '1024', '"1 vCPU" is kept as CPU units')
  t.equal(d!.memory, '2048', '"2 GB" is kept as MiB')
  const web = d!.containerDefinitions![1]
  t.same(web.portMappings, [{ containerPort: 80, hostPort: 0, protocol: 'tcp', name: 'http', appProtocol: 'http' }, { containerPort: 53, hostPort: 5353, protocol: 'udp' }], 'bridge: hostPort 0 is dynamic')
  t.same(web.healthCheck, { command: ['CMD-SHELL', 'true'], interval: 30, timeout: 5, retries: 3 }, 'health check defaults')
  t.equal(d!.containerDefinitions![0].essential, false)
  t.same(d!.volumes![1].dockerVolumeConfiguration, { scope: 'shared', autoprovision: true, driver: 'local', labels: { a: 'b' } })
  t.same(d!.volumes![2].efsVolumeConfiguration, { fileSystemId: 'fs-0123abcd', transitEncryption: 'ENABLED' })
  t.equal(d!.taskRoleArn, 'arn:aws:iam::000000000000:role/app')
  t.same(d!.compatibilities, ['EC2'], 'bridge: not Fargate-compatible')
  t.ok(d!.requiresAttributes!.some((a) => a.name === 'ecs.capability.container-health-check'))
  t.ok(d!.requiresAttributes!.some((a) => a.name === 'ecs.capability.container-ordering'))

  const awsvpc = await e.ecs.registerTaskDefinition({ family: 'ports', networkMode: 'awsvpc', containerDefinitions: [c({ portMappings: [{ containerPort: 8080 }] })] })
  t.same(awsvpc.taskDefinition!.containerDefinitions![0].portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }], 'awsvpc: the host port is the container port')
  const udpAndTcp = await e.ecs.registerTaskDefinition(withContainers(c({ portMappings: [{ containerPort: 53, hostPort: 53, protocol: 'tcp' }, { containerPort: 53, hostPort: 53, protocol: 'udp' }] })))
  t.equal(udpAndTcp.taskDefinition!.containerDefinitions![0].portMappings!.length, 2, 'one host port may serve tcp and udp')
})
