// The auth → authorize → call → audit pipeline over the security interfaces,
// with the Batch table of a real embedded engine: an unknown key is refused
// before anything runs, IAM is asked once per resource with the resource's
// tags, the first denial stops the call with nothing changed, and every call
// leaves one audit record. The Authenticator and Authorizer here are small
// rule sets written for the test (runtime/iam has the real ones).
import t from 'tap'
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DescribeJobQueuesCommand, ListJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand } from '@aws-sdk/client-batch'
import { ApiRouter, type AuditEntry, type CallSummary, type AuthorizationRequest, type Authenticator, type Authorizer } from '../../../runtime/api/index.js'
import { batchTable } from '../../../runtime/api/tables/batch.js'
import { anyRoute, startHttp } from '../../../runtime/http/server.js'
import { AccessDeniedError } from '../../../runtime/errors.js'
import { credentials, simulatedCloud } from './clients.js'

const ALICE = { type: 'IAMUser', arn: 'arn:aws:iam::000000000000:user/alice', accountId: '000000000000', principalId: 'AIDAALICE', userName: 'alice', tags: {} } as const

/** Knows one access key (alice's); anything else is UnrecognizedClient. */
const authenticator: Authenticator = {
  mode: 'iam',
  authenticate(request) {
    const i = request.rawHeaders.findIndex((h, n) => n % 2 === 0 && h.toLowerCase() === 'authorization')
    const header = i < 0 ? '' : request.rawHeaders[i + 1]
    if (header === '') throw new AccessDeniedError('MissingAuthenticationToken', 'Missing Authentication Token')
    if (!header.includes(`Credential=${credentials.accessKeyId}/`)) throw new AccessDeniedError('UnrecognizedClient', 'The security token included in the request is invalid.')
    return ALICE
  },
  signingService: () => 'batch'
}

t.test('authenticate, authorize per resource with its tags, call, audit', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const asked: AuthorizationRequest[] = []
  // alice may do anything but SubmitJob, which she may only on queues tagged team=a.
  const authorizer: Authorizer = {
    authorize(request) {
      asked.push(request)
      if (request.action !== 'batch:SubmitJob' || !request.resource.includes(':job-queue/')) return { allowed: true }
      return request.context['aws:ResourceTag/team'] === 'a'
        ? { allowed: true }
        : { allowed: false, explicit: false, message: `User: ${request.principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource}` }
    }
  }
  const records: AuditEntry[] = []
  const calls: CallSummary[] = []
  const router = new ApiRouter({
    onCall: (c) => calls.push(c),
    tables: [batchTable(cloud.engine.batch, cloud.engine.partition)], partition: cloud.engine.partition,
    authenticator, authorizer, audit: { record: (e) => records.push(e) }, now: () => cloud.clock.now()
  })
  const http = await startHttp([anyRoute('api', router.handle)])
  t.teardown(() => http.close())
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const batch = new BatchClient({ endpoint: `http://${http.address}`, region: 'us-east-1', credentials, maxAttempts: 1 })
  const stranger = new BatchClient({ endpoint: `http://${http.address}`, region: 'us-east-1', credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 })
  t.teardown(() => { batch.destroy(); stranger.destroy() })

  const refused = await stranger.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' })).catch((e) => e)
  t.equal(refused.name, 'UnrecognizedClientException')
  t.equal(refused.$metadata.httpStatusCode, 403)
  t.equal(asked.length, 0, 'IAM is not asked for an unauthenticated call')
  t.same((await cloud.engine.batch.describeComputeEnvironments({})).computeEnvironments, [], 'nothing changed')
  t.match(records.at(-1), { eventName: 'CreateComputeEnvironment', errorCode: 'UnrecognizedClientException', principal: { type: 'Anonymous' } })

  await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'team-a', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'a' } }))
  t.match(asked.at(-2), { action: 'batch:CreateJobQueue', resource: 'arn:aws:batch:us-east-1:000000000000:job-queue/team-a', context: { 'aws:RequestTag/team': 'a', 'aws:TagKeys': ['team'] } })
  t.match(asked.at(-1), { action: 'batch:CreateJobQueue', resource: 'arn:aws:batch:us-east-1:000000000000:compute-environment/ce' }, 'asked again for the environment it uses')
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'team-b', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }], tags: { team: 'b' } }))
  await batch.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'd', type: 'container', containerProperties: { image: 'busybox', command: ['true'], vcpus: 1, memory: 128 } }))
  t.match(asked.at(-1), { action: 'batch:RegisterJobDefinition', context: { 'batch:Image': 'busybox' } })

  const allowed = await batch.send(new SubmitJobCommand({ jobName: 'ok', jobQueue: 'team-a', jobDefinition: 'd:1' }))
  t.ok(allowed.jobId)
  t.match(asked.at(-2), { resource: 'arn:aws:batch:us-east-1:000000000000:job-queue/team-a', principal: { arn: ALICE.arn }, context: { 'aws:ResourceTag/team': 'a', 'aws:SourceIp': '127.0.0.1' } })
  t.match(asked.at(-1), { resource: 'arn:aws:batch:us-east-1:000000000000:job-definition/d:1' })

  const denied = await batch.send(new SubmitJobCommand({ jobName: 'no', jobQueue: 'team-b', jobDefinition: 'd:1' })).catch((e) => e)
  t.equal(denied.name, 'AccessDeniedException')
  t.equal(denied.$metadata.httpStatusCode, 403)
  t.match(denied.message, /alice is not authorized to perform: batch:SubmitJob on resource: .*job-queue\/team-b/)
  await cloud.clock.advance(0)
  const listed = await batch.send(new ListJobsCommand({ jobQueue: 'team-b', filters: [{ name: 'JOB_NAME', values: ['*'] }] }))
  t.same(listed.jobSummaryList, [], 'the denied job was never submitted')

  const submitRecords = records.filter((r) => r.eventName === 'SubmitJob')
  t.equal(submitRecords.length, 2, 'one record per call, allowed or denied')
  t.match(submitRecords[0], { eventSource: 'batch.amazonaws.com', readOnly: false, requestParameters: { jobName: 'ok' }, responseElements: { jobId: allowed.jobId }, principal: { userName: 'alice' } })
  t.notOk('errorCode' in submitRecords[0])
  t.match(submitRecords[1], { errorCode: 'AccessDeniedException', errorMessage: /not authorized/, responseElements: null })
  await batch.send(new DescribeJobQueuesCommand({}))
  t.match(records.at(-1), { eventName: 'DescribeJobQueues', readOnly: true, responseElements: null, region: 'us-east-1', time: cloud.clock.now() })
  const failed = await batch.send(new SubmitJobCommand({ jobName: 'x', jobQueue: 'team-a', jobDefinition: 'missing' })).catch((e) => e)
  t.equal(failed.name, 'ClientException')
  t.match(records.at(-1), { eventName: 'SubmitJob', errorCode: 'ClientException', errorMessage: /missing/ })
  t.ok(records.every((r) => /^[0-9a-f-]{36}$/.test(r.requestId)))
  t.equal(calls.length, records.length, 'the request log has one line per call')
  t.match(calls.find((c) => c.errorCode === 'AccessDeniedException'), { service: 'batch', operation: 'SubmitJob', status: 403, principal: ALICE.arn })
  t.match(calls[0], { operation: 'CreateComputeEnvironment', status: 403, principal: 'anonymous', errorCode: 'UnrecognizedClientException' })
})
