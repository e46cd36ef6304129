// Authentication off (the default): nothing is refused, whoever signs. A key
// the engine knows is still recorded as its user in the audit trail, but the
// user's policies (here: none, which with --auth iam denies everything) do not
// stop the call — regression: policies were evaluated with auth off.
import t from 'tap'
import { BatchClient, DescribeJobQueuesCommand, CreateJobQueueCommand, CreateComputeEnvironmentCommand } from '@aws-sdk/client-batch'
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail'
import { Stratus } from '../../../sdk/index.js'

const NOBODY = { accessKeyId: 'AKIANOBODY0000000001', secretAccessKey: 'nobody/secret' }

t.test('auth off: a known user without policies is not refused, and is who the trail records', async (t) => {
  const cloud = await Stratus.embedded({ runner: 'simulated', iam: { users: [{ userName: 'nobody', accessKeys: [{ ...NOBODY }] }] } })
  t.teardown(() => cloud.close())
  const batch = new BatchClient({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: { ...NOBODY }, maxAttempts: 1 })
  t.teardown(() => batch.destroy())
  await batch.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'ce', type: 'UNMANAGED' }))
  await cloud.batch.service.waitForComputeEnvironment('ce')
  await batch.send(new CreateJobQueueCommand({ jobQueueName: 'q', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }] }))
  const { jobQueues } = await batch.send(new DescribeJobQueuesCommand({}))
  t.same(jobQueues?.map((q) => q.jobQueueName), ['q'], 'the calls did their work')
  const trail = new CloudTrailClient({ endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 })
  t.teardown(() => trail.destroy())
  const { Events } = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateJobQueue' }] }))
  t.equal(Events?.length, 1)
  t.equal(Events?.[0].Username, 'nobody', 'recorded as the user its key belongs to')
  t.notOk(JSON.parse(Events![0].CloudTrailEvent!).errorCode, 'and not refused')
})
