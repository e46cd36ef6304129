// EventBridge on the wire (AWSEvents, JSON 1.1) with the official
// @aws-sdk/client-eventbridge: rules, targets, connections and API
// destinations made as AWS users make them, an event put with PutEvents
// delivered to a real loopback server, and EventBridge's exception names.
import t from 'tap'
import {
  EventBridgeClient, PutRuleCommand, DescribeRuleCommand, ListRulesCommand, PutTargetsCommand, ListTargetsByRuleCommand, RemoveTargetsCommand,
  DeleteRuleCommand, PutEventsCommand, CreateConnectionCommand, DescribeConnectionCommand, CreateApiDestinationCommand, ListApiDestinationsCommand,
  TestEventPatternCommand, DisableRuleCommand, ResourceNotFoundException, InvalidEventPatternException, LimitExceededException, ListRuleNamesByTargetCommand
} from '@aws-sdk/client-eventbridge'
import { clientConfig, signedRequest, simulatedCloud } from './clients.js'
import { targetServer } from '../events/target-server.js'

t.test('rules, targets, connections and API destinations over AWSEvents; PutEvents reaches the target', async (t) => {
  const cloud = await simulatedCloud()
  const server = await targetServer()
  t.teardown(async () => { await cloud.close(); await server.close() })
  const eb = new EventBridgeClient(clientConfig(cloud))
  const { ConnectionArn } = await eb.send(new CreateConnectionCommand({
    Name: 'hooks', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k3y' } }
  }))
  t.match(ConnectionArn, /^arn:aws:events:us-east-1:000000000000:connection\/hooks\/[0-9a-f-]{36}$/)
  const described = await eb.send(new DescribeConnectionCommand({ Name: 'hooks' }))
  t.equal(described.AuthParameters?.ApiKeyAuthParameters?.ApiKeyName, 'x-api-key')
  t.ok(described.CreationTime instanceof Date, 'timestamps are timestamps')
  t.notOk(JSON.stringify(described).includes('k3y'), 'the secret is never returned')
  const { ApiDestinationArn } = await eb.send(new CreateApiDestinationCommand({
    Name: 'hook', ConnectionArn, InvocationEndpoint: server.url, HttpMethod: 'POST', InvocationRateLimitPerSecond: 50
  }))
  t.match(ApiDestinationArn, /:api-destination\/hook\//)
  t.equal((await eb.send(new ListApiDestinationsCommand({}))).ApiDestinations?.[0].InvocationRateLimitPerSecond, 50)
  const { RuleArn } = await eb.send(new PutRuleCommand({ Name: 'orders', EventPattern: JSON.stringify({ source: ['shop'] }), Tags: [{ Key: 'team', Value: 'a' }] }))
  t.equal(RuleArn, 'arn:aws:events:us-east-1:000000000000:rule/orders')
  t.match(await eb.send(new DescribeRuleCommand({ Name: 'orders' })), { Name: 'orders', State: 'ENABLED', EventBusName: 'default' })
  t.same((await eb.send(new ListRulesCommand({ NamePrefix: 'ord' }))).Rules?.map((r) => r.Name), ['orders'])
  const put = await eb.send(new PutTargetsCommand({ Rule: 'orders', Targets: [
    { Id: 'hook', Arn: ApiDestinationArn, InputTransformer: { InputPathsMap: { n: '$.detail.n' }, InputTemplate: '{"order": <n>}' }, RetryPolicy: { MaximumRetryAttempts: 3 } },
    { Id: 'queue', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }
  ] }))
  t.equal(put.FailedEntryCount, 1)
  t.match(put.FailedEntries, [{ TargetId: 'queue', ErrorCode: 'ValidationException', ErrorMessage: /API destinations/ }])
  t.same((await eb.send(new ListTargetsByRuleCommand({ Rule: 'orders' }))).Targets?.map((x) => x.Id), ['hook'])
  t.same((await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: ApiDestinationArn }))).RuleNames, ['orders'])
  const sent = await eb.send(new PutEventsCommand({ Entries: [
    { Source: 'shop', DetailType: 'Order Placed', Detail: '{"n":42}', Time: new Date(Date.UTC(2030, 0, 1)) },
    { Source: 'aws.ecs', DetailType: 'x', Detail: '{}' }
  ] }))
  t.equal(sent.FailedEntryCount, 1)
  t.match(sent.Entries, [{ EventId: /^[0-9a-f-]{36}$/ }, { ErrorCode: 'NotAuthorizedForSourceException' }])
  await server.receivedAtLeast(1)
  t.same(JSON.parse(server.received[0].body), { order: 42 })
  t.equal(server.received[0].headers['x-api-key'], 'k3y')
  t.same(await eb.send(new TestEventPatternCommand({
    EventPattern: '{"source":["shop"]}', Event: JSON.stringify({ id: '1', account: '000000000000', source: 'shop', time: '2030-01-01T00:00:00Z', region: 'us-east-1', 'detail-type': 'x', resources: [], detail: {} })
  })).then((r) => r.Result), true)
  await eb.send(new DisableRuleCommand({ Name: 'orders' }))
  await t.rejects(eb.send(new DeleteRuleCommand({ Name: 'orders' })), { name: 'ValidationException', message: /has targets/ })
  await eb.send(new RemoveTargetsCommand({ Rule: 'orders', Ids: ['hook'] }))
  await eb.send(new DeleteRuleCommand({ Name: 'orders' }))
  t.same((await eb.send(new ListRulesCommand({}))).Rules, [])
})

t.test('EventBridge\'s exceptions: not found, bad pattern, over the limit, off loopback', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const eb = new EventBridgeClient(clientConfig(cloud))
  await t.rejects(eb.send(new DescribeRuleCommand({ Name: 'nope' })), ResourceNotFoundException)
  await t.rejects(eb.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"shop"}' })), InvalidEventPatternException)
  await t.rejects(eb.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{}', EventBusName: 'custom' })), ResourceNotFoundException)
  const { ConnectionArn } = await eb.send(new CreateConnectionCommand({ Name: 'c', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } } }))
  await t.rejects(eb.send(new CreateApiDestinationCommand({ Name: 'far', ConnectionArn, InvocationEndpoint: 'https://hooks.example.com/x', HttpMethod: 'POST' })),
    { name: 'ValidationException', message: /Stratus only delivers on loopback/ })
  const { ApiDestinationArn } = await eb.send(new CreateApiDestinationCommand({ Name: 'near', ConnectionArn, InvocationEndpoint: 'http://127.0.0.1:1/x', HttpMethod: 'POST' }))
  await eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["s"]}' }))
  await t.rejects(eb.send(new PutTargetsCommand({ Rule: 'r', Targets: Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: ApiDestinationArn })) })), LimitExceededException)
  await t.rejects(eb.send(new PutTargetsCommand({ Rule: 'missing', Targets: [{ Id: 't', Arn: ApiDestinationArn }] })), ResourceNotFoundException)
})

t.test('IAM decides events:<Op> on the rule\'s ARN: a user allowed rules named team-a-* only', async (t) => {
  const key = { accessKeyId: 'AKIAEVENTSUSER000001', secretAccessKey: 'events-user-secret' }
  const cloud = await simulatedCloud({
    auth: 'iam',
    iam: {
      root: { accessKeys: [{ accessKeyId: 'test', secretAccessKey: 'test' }] },
      users: [{ userName: 'ann', accessKeys: [key], policies: [{ policyName: 'rules', policyDocument: {
        Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['events:PutRule', 'events:DescribeRule'], Resource: 'arn:aws:events:us-east-1:000000000000:rule/team-a-*' }]
      } }] }]
    }
  })
  t.teardown(() => cloud.close())
  const eb = new EventBridgeClient({ ...clientConfig(cloud), credentials: key })
  await eb.send(new PutRuleCommand({ Name: 'team-a-jobs', EventPattern: '{"source":["aws.batch"]}' }))
  t.equal((await eb.send(new DescribeRuleCommand({ Name: 'team-a-jobs' }))).Name, 'team-a-jobs')
  await t.rejects(eb.send(new PutRuleCommand({ Name: 'team-b-jobs', EventPattern: '{"source":["aws.batch"]}' })), { name: 'AccessDeniedException' })
  await t.rejects(eb.send(new ListRulesCommand({})), { name: 'AccessDeniedException' })
  t.equal(cloud.engine.eventBridge.listRules().Rules.length, 1, 'the denied call changed nothing')
})

t.test('PutEvents with an out-of-range Time answered 500 InternalException on the wire', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  cloud.engine.eventBridge.putRule({ Name: 'r', EventPattern: '{"source":["s"]}' })
  for (const time of ['1e20', '-1e300', '"yesterday"']) {
    const res = await signedRequest(cloud.endpoint, {
      service: 'events', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: `{"Entries":[{"Source":"s","DetailType":"x","Detail":"{}","Time":${time}},{"Source":"s","DetailType":"x","Detail":"{}"}]}`
    })
    t.equal(res.status, 200, `Time ${time}: the call succeeds`)
    const out = JSON.parse(res.text) as { FailedEntryCount: number; Entries: Array<{ ErrorCode?: string; EventId?: string }> }
    t.equal(out.FailedEntryCount, 1, `Time ${time}: that entry alone is refused`)
    t.match(out.Entries, [{ ErrorCode: 'InvalidArgument' }, { EventId: /^[0-9a-f-]{36}$/ }], 'the valid entry is written')
  }
})
