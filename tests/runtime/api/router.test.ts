// The router on the engine's endpoint: what it answers for requests no
// operation takes (never a 200 that did nothing), malformed or incomplete
// input, the request id, the coded error header, the body limit, and the
// health document's routes.
import t from 'tap'
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs'
import { clientConfig, signedRequest, simulatedCloud } from './clients.js'
import { ApiRouter, type AuditEntry, type CallSummary } from '../../../runtime/api/index.js'
import { batchTable } from '../../../runtime/api/tables/batch.js'
import { ecrTable } from '../../../runtime/api/tables/ecr.js'
import { anyRoute, startHttp } from '../../../runtime/http/server.js'

const ECR = 'AmazonEC2ContainerRegistry_V20150921'
const JSON11 = 'application/x-amz-json-1.1'

t.test('ECS answers its operations; one it does not serve, and Lightsail, answer UnknownOperationException naming the operation', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())
  const listed = await ecs.send(new ListClustersCommand({}))
  t.match(listed.clusterArns, [/:cluster\/default$/], 'ECS is served: the default cluster is listed')
  const unserved = await signedRequest(cloud.endpoint, { service: 'ecs', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.SubmitTaskStateChange', 'content-type': JSON11 }, body: '{}' })
  t.equal(unserved.status, 400)
  t.match(JSON.parse(unserved.text), { __type: 'UnknownOperationException', message: /SubmitTaskStateChange/ })

  const lightsail = await signedRequest(cloud.endpoint, { service: 'lightsail', headers: { 'x-amz-target': 'Lightsail_20161128.GetInstances', 'content-type': JSON11 }, body: '{}' })
  t.equal(lightsail.status, 400)
  t.equal(lightsail.headers.get('x-amzn-errortype'), 'UnknownOperationException')
  t.match(JSON.parse(lightsail.text), { __type: 'UnknownOperationException', message: /GetInstances/ })
})

t.test('requests no operation takes are errors, never an empty success', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const base = `http://${cloud.endpoint}`
  const noTarget = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11 }, body: '{}' })
  t.equal(noTarget.status, 400)
  t.equal(((await noTarget.json()) as { __type: string }).__type, 'UnknownOperationException', 'POST / without X-Amz-Target')
  const unknownPrefix = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': 'NoSuchService_2020.DoIt' }, body: '{}' })
  t.equal(unknownPrefix.status, 400)
  t.match(await unknownPrefix.json(), { __type: 'UnknownOperationException', message: /NoSuchService_2020/ })
  const unknownEcr = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': `${ECR}.FlyToTheMoon` }, body: '{}' })
  t.match(await unknownEcr.json(), { __type: 'UnknownOperationException', message: /FlyToTheMoon/ })
  const batchPath = await fetch(`${base}/v1/nosuchoperation`, { method: 'POST', body: '{}' })
  t.equal(batchPath.status, 400)
  t.match(await batchPath.json(), { __type: 'UnknownOperationException', message: /\/v1\/nosuchoperation/ })
  const nowhere = await fetch(`${base}/somewhere/else`)
  t.equal(nowhere.status, 404)
  t.match(await nowhere.json(), { message: /no route for GET \/somewhere\/else/ })
  t.ok(nowhere.headers.get('x-amzn-requestid'), 'a request id on a 404 too')
})

t.test('requests refused at routing were neither audited nor logged with their service', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const { partition } = cloud.engine
  const records: AuditEntry[] = []
  const calls: CallSummary[] = []
  const router = new ApiRouter({
    tables: [batchTable(cloud.engine.batch, partition), ecrTable(cloud.engine.registry, partition)], partition,
    audit: { record: (e) => records.push(e) }, onCall: (c) => calls.push(c)
  })
  const http = await startHttp([anyRoute('api', router.handle)])
  t.teardown(() => http.close())

  // ECS is not mounted here: its X-Amz-Target prefix is unknown, the credential scope names the service.
  const ecs = await signedRequest(http.address, { service: 'ecs', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters', 'content-type': JSON11 }, body: '{}' })
  t.equal(ecs.status, 400)
  const batch = await fetch(`http://${http.address}/v1/nosuchoperation`, { method: 'POST', body: '{}' })
  t.equal(batch.status, 400)
  const ecr = await signedRequest(http.address, { service: 'ecr', method: 'GET', path: '/nowhere' })
  t.equal(ecr.status, 404)
  const stray = await fetch(`http://${http.address}/favicon.ico`)
  t.equal(stray.status, 404)

  t.match(calls, [
    { service: 'ecs', operation: 'ListClusters', status: 400, errorCode: 'UnknownOperationException', principal: 'arn:aws:iam::000000000000:root' },
    { service: 'batch', operation: 'POST /v1/nosuchoperation', status: 400, errorCode: 'UnknownOperationException' },
    { service: 'ecr', operation: 'GET /nowhere', status: 404, errorCode: 'NotFoundException' },
    { service: '-', operation: 'GET /favicon.ico', status: 404 }
  ], 'each refusal is in the request log, with its service when known')
  t.match(records, [
    { eventSource: 'ecs.amazonaws.com', eventName: 'ListClusters', errorCode: 'UnknownOperationException', errorMessage: /AmazonEC2ContainerServiceV20141113/, requestId: ecs.headers.get('x-amzn-requestid') },
    { eventSource: 'batch.amazonaws.com', eventName: 'POST /v1/nosuchoperation', errorCode: 'UnknownOperationException', requestId: batch.headers.get('x-amzn-requestid') },
    { eventSource: 'ecr.amazonaws.com', eventName: 'GET /nowhere', errorCode: 'NotFoundException' }
  ], 'and in the audit trail when it names a service; a stray GET with none is not')
  t.equal(records.length, 3)
})

t.test('malformed JSON is SerializationException; a missing required member is the service\'s validation error naming it', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const base = `http://${cloud.endpoint}`
  const malformed = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': `${ECR}.CreateRepository` }, body: '{"repositoryName": "a"' })
  t.equal(malformed.status, 400)
  t.equal(malformed.headers.get('x-amzn-errortype'), 'SerializationException')
  t.equal(((await malformed.json()) as { __type: string }).__type, 'SerializationException')
  const ecrMissing = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': `${ECR}.CreateRepository` }, body: '{}' })
  t.match(await ecrMissing.json(), { __type: 'InvalidParameterException', message: /repositoryName/ })
  const batchMissing = await fetch(`${base}/v1/submitjob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobName: 'x', jobQueue: 'q' }) })
  t.equal(batchMissing.status, 400)
  t.match(await batchMissing.json(), { __type: 'ClientException', message: /jobDefinition/ })
  t.same((await cloud.engine.registry.describeRepositories()).repositories, [], 'nothing was created')
})

t.test('every answer carries x-amzn-RequestId; engine errors carry x-stratus-error', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const base = `http://${cloud.endpoint}`
  const ok = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': `${ECR}.DescribeRepositories` }, body: '{}' })
  t.equal(ok.status, 200)
  t.equal(ok.headers.get('content-type'), JSON11)
  t.match(ok.headers.get('x-amzn-requestid'), /^[0-9a-f-]{36}$/)
  t.same(await ok.json(), { repositories: [] })
  const missing = await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': JSON11, 'x-amz-target': `${ECR}.ListImages` }, body: '{"repositoryName":"none"}' })
  t.match(missing.headers.get('x-amzn-requestid'), /^[0-9a-f-]{36}$/)
  t.not(missing.headers.get('x-amzn-requestid'), ok.headers.get('x-amzn-requestid'), 'one id per request')
  t.same(JSON.parse(missing.headers.get('x-stratus-error')!), { name: 'RegistryError', kind: 'NotFound', code: 'RepositoryNotFoundException', field: 'repositoryName' })
  const batch = await fetch(`${base}/v1/describejobs`, { method: 'POST', body: JSON.stringify({ jobs: 'not-a-list' }) })
  t.equal(batch.status, 400)
  t.match(JSON.parse(batch.headers.get('x-stratus-error')!), { name: 'InvalidArgumentError', kind: 'InvalidArgument', field: 'jobs' })
})

t.test('a body over 10 MiB is refused with 413, before the call', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  // Batch keeps the router's limit (ECR's is its own, for UploadLayerPart: ecr-extra.test.ts).
  const body = JSON.stringify({ jobDefinitionName: 'big', type: 'container', containerProperties: { command: ['x'.repeat(11 * 1024 * 1024)] } })
  const res = await fetch(`http://${cloud.endpoint}/v1/registerjobdefinition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  t.equal(res.status, 413)
  t.match(await res.json(), { __type: 'RequestEntityTooLargeException', message: /10485760 bytes/ })
  t.match(JSON.parse(res.headers.get('x-stratus-error')!), { kind: 'LimitExceeded', code: 'RequestTooLarge', limit: 10485760 })
})

t.test('the health document answers GET /health and GET /', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  for (const path of ['/health', '/']) {
    const res = await fetch(`http://${cloud.endpoint}${path}`)
    t.equal(res.status, 200)
    t.match(await res.json(), { service: 'stratus', accountId: '000000000000', region: 'us-east-1', services: ['batch', 'ecr', 'logs', 'iam', 'sts', 'cloudtrail', 'ecs', 'lightsail', 'events', 'stratus', 'elasticloadbalancing', 'acm'] })
  }
})
