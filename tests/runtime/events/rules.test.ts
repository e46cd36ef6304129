// Rules, targets, connections and API destinations as EventBridge manages
// them: what is accepted, what is refused (naming the member and the limit,
// changing nothing), and what a target receives after InputPath or
// InputTransformer.
import t from 'tap'
import { engine, hook } from './fixtures.js'
import { targetServer } from './target-server.js'
import type { Engine } from '../../../runtime/engine.js'

const refuses = (t: { throws: typeof import('tap')['default']['throws'] }, fn: () => unknown, code: string, field: RegExp | string) => {
  t.throws(fn, { code, field }, `${code} on ${String(field)}`)
}

async function destination(e: Engine, url = 'http://127.0.0.1:9/x'): Promise<string> {
  const c = e.eventBridge.createConnection({ Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' } } })
  return e.eventBridge.createApiDestination({ Name: 'd', ConnectionArn: c.ConnectionArn, InvocationEndpoint: url, HttpMethod: 'POST' }).ApiDestinationArn
}

t.test('PutRule, DescribeRule, ListRules (prefix, paging), Disable/EnableRule, DeleteRule', async (t) => {
  const e = await engine({ accountId: '123456789012', region: 'eu-west-1' })
  t.teardown(() => e.close())
  const b = e.eventBridge
  t.same(b.putRule({ Name: 'a.rule', EventPattern: '{"source":["x"]}', Description: 'first' }), { RuleArn: 'arn:aws:events:eu-west-1:123456789012:rule/a.rule' })
  for (let i = 0; i < 5; i++) b.putRule({ Name: `b-${i}`, EventPattern: '{"source":["y"]}', EventBusName: 'default' })
  t.match(b.describeRule({ Name: 'a.rule' }), { Name: 'a.rule', State: 'ENABLED', Description: 'first', EventBusName: 'default', EventPattern: '{"source":["x"]}' })
  t.equal(b.describeRule({ Name: 'arn:aws:events:eu-west-1:123456789012:rule/a.rule' }).Name, 'a.rule', 'by ARN too')
  const p1 = b.listRules({ NamePrefix: 'b-', Limit: 3 })
  t.same(p1.Rules.map((r) => r.Name), ['b-0', 'b-1', 'b-2'])
  const p2 = b.listRules({ NamePrefix: 'b-', Limit: 3, NextToken: p1.NextToken })
  t.same(p2.Rules.map((r) => r.Name), ['b-3', 'b-4'])
  t.equal(p2.NextToken, undefined)
  b.disableRule({ Name: 'a.rule' })
  t.equal(b.describeRule({ Name: 'a.rule' }).State, 'DISABLED')
  t.notOk(e.events.wants('x', 'T'), 'a disabled rule does not make events be written')
  b.enableRule({ Name: 'a.rule' })
  t.ok(e.events.wants('x', 'T'), 'an enabled rule does')
  t.notOk(e.events.wants('z', 'T'), 'only for sources it could match')
  b.deleteRule({ Name: 'a.rule' })
  refuses(t, () => b.describeRule({ Name: 'a.rule' }), 'ResourceNotFoundException', 'Name')
  refuses(t, () => b.putRule({ Name: 'x', EventPattern: '{}', EventBusName: 'other' }), 'ResourceNotFoundException', 'EventBusName')
})

t.test('bad rules are refused naming the member; nothing is written', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const b = e.eventBridge
  refuses(t, () => b.putRule({ Name: 'x'.repeat(65), EventPattern: '{}' }), 'ValidationException', 'Name')
  refuses(t, () => b.putRule({ Name: 'has space', EventPattern: '{}' }), 'ValidationException', 'Name')
  refuses(t, () => b.putRule({ Name: 'p', EventPattern: '{"source":"x"}' }), 'InvalidEventPatternException', 'EventPattern.source')
  refuses(t, () => b.putRule({ Name: 'p', EventPattern: '{not json' }), 'InvalidEventPatternException', 'EventPattern')
  refuses(t, () => b.putRule({ Name: 'p', EventPattern: '{"a":[{"numbr":[1]}]}' }), 'InvalidEventPatternException', 'EventPattern.a')
  refuses(t, () => b.putRule({ Name: 'p' }), 'ValidationException', 'EventPattern')
  refuses(t, () => b.putRule({ Name: 'p', ScheduleExpression: 'cron(0 12 * * ? *)' }), 'ValidationException', 'ScheduleExpression')
  refuses(t, () => b.putRule({ Name: 'p', ScheduleExpression: 'rate(1 minutes)' }), 'ValidationException', 'ScheduleExpression')
  refuses(t, () => b.putRule({ Name: 'p', ScheduleExpression: 'every 5 minutes' }), 'ValidationException', 'ScheduleExpression')
  refuses(t, () => b.putRule({ Name: 'p', EventPattern: '{}', State: 'ON' as never }), 'ValidationException', 'State')
  t.same(b.listRules().Rules, [], 'no rule was made')
})

t.test('targets: API destinations only, at most 5 per rule, RetryPolicy bounds; DeleteRule refused while targets remain', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const b = e.eventBridge
  const arn = await destination(e)
  b.putRule({ Name: 'r', EventPattern: '{"source":["x"]}' })
  const put = b.putTargets({ Rule: 'r', Targets: [
    { Id: 'ok', Arn: arn, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 } },
    { Id: 'lambda', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' },
    { Id: 'gone', Arn: `${arn.slice(0, arn.lastIndexOf('/'))}/00000000-0000-0000-0000-000000000000` }
  ] })
  t.equal(put.FailedEntryCount, 2)
  t.match(put.FailedEntries, [
    { TargetId: 'lambda', ErrorCode: 'ValidationException', ErrorMessage: /only to API destinations/ },
    { TargetId: 'gone', ErrorCode: 'ResourceNotFoundException' }
  ])
  t.same(b.listTargetsByRule({ Rule: 'r' }).Targets, [{ Id: 'ok', Arn: arn, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 } }])
  t.same(b.listRuleNamesByTarget({ TargetArn: arn }).RuleNames, ['r'])
  refuses(t, () => b.putTargets({ Rule: 'r', Targets: [{ Id: 'x', Arn: arn, RetryPolicy: { MaximumRetryAttempts: 186 } }] }), 'ValidationException', 'Targets[0].RetryPolicy.MaximumRetryAttempts')
  refuses(t, () => b.putTargets({ Rule: 'r', Targets: [{ Id: 'x', Arn: arn, RetryPolicy: { MaximumEventAgeInSeconds: 59 } }] }), 'ValidationException', 'Targets[0].RetryPolicy.MaximumEventAgeInSeconds')
  refuses(t, () => b.putTargets({ Rule: 'r', Targets: [{ Id: 'x', Arn: arn, Input: '{', InputPath: '$' }] }), 'ValidationException', 'Targets[0]')
  refuses(t, () => b.putTargets({ Rule: 'r', Targets: [{ Id: 'x', Arn: arn, InputPath: 'detail' }] }), 'ValidationException', 'Targets[0].InputPath')
  refuses(t, () => b.putTargets({ Rule: 'nope', Targets: [{ Id: 'x', Arn: arn }] }), 'ResourceNotFoundException', 'Rule')
  b.putTargets({ Rule: 'r', Targets: [2, 3, 4, 5].map((i) => ({ Id: `t${i}`, Arn: arn })) })
  refuses(t, () => b.putTargets({ Rule: 'r', Targets: [{ Id: 't6', Arn: arn }] }), 'LimitExceededException', 'Targets')
  t.equal(b.listTargetsByRule({ Rule: 'r' }).Targets.length, 5, 'the sixth was not added')
  t.same(b.removeTargets({ Rule: 'r', Ids: ['t5', 'missing'] }).FailedEntries.map((f) => f.TargetId), ['missing'])
  refuses(t, () => b.deleteRule({ Name: 'r' }), 'ValidationException', 'Name')
})

t.test('DeleteRule with Force silently deleted a rule\'s targets (Force is for managed rules; a rule with targets is refused)', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const b = e.eventBridge
  const arn = await destination(e)
  b.putRule({ Name: 'r', EventPattern: '{"source":["s"]}' })
  b.putTargets({ Rule: 'r', Targets: [{ Id: 't1', Arn: arn }, { Id: 't2', Arn: arn }] })
  t.throws(() => b.deleteRule({ Name: 'r', Force: true }), { code: 'ValidationException', field: 'Name', message: /has targets: t1, t2/ })
  t.equal(b.listTargetsByRule({ Rule: 'r' }).Targets.length, 2, 'the targets are kept')
  t.equal(b.describeRule({ Name: 'r' }).Name, 'r', 'and the rule')
  b.removeTargets({ Rule: 'r', Ids: ['t1', 't2'] })
  b.deleteRule({ Name: 'r' })
  t.throws(() => b.describeRule({ Name: 'r' }), { code: 'ResourceNotFoundException' })
  t.same(b.deleteRule({ Name: 'r' }), {}, 'deleting it again succeeds, as EventBridge')
})

t.test('API destinations are on loopback only; connections never show their secrets', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const b = e.eventBridge
  const c = b.createConnection({ Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-key', ApiKeyValue: 'the-secret' } } })
  for (const url of ['https://example.com/hook', 'http://10.0.0.1/x', 'http://192.168.1.1:80/', 'ftp://127.0.0.1/x']) {
    t.throws(() => b.createApiDestination({ Name: 'd', ConnectionArn: c.ConnectionArn, InvocationEndpoint: url, HttpMethod: 'POST' }), { code: 'ValidationException', field: 'InvocationEndpoint' }, url)
  }
  t.throws(() => b.createApiDestination({ Name: 'd', ConnectionArn: c.ConnectionArn, InvocationEndpoint: 'https://example.com/', HttpMethod: 'POST' }), /Stratus only delivers on loopback/)
  ;['http://127.0.0.1:8080/a', 'http://localhost/b', 'https://127.5.6.7/c'].forEach((url, i) => {
    b.createApiDestination({ Name: `ok${i}`, ConnectionArn: c.ConnectionArn, InvocationEndpoint: url, HttpMethod: 'PUT' })
  })
  t.equal(b.listApiDestinations().ApiDestinations.length, 3)
  refuses(t, () => b.createApiDestination({ Name: 'r', ConnectionArn: c.ConnectionArn, InvocationEndpoint: 'http://127.0.0.1/', HttpMethod: 'POST', InvocationRateLimitPerSecond: 0 }), 'ValidationException', 'InvocationRateLimitPerSecond')
  refuses(t, () => b.createApiDestination({ Name: 'r', ConnectionArn: `${c.ConnectionArn}x`, InvocationEndpoint: 'http://127.0.0.1/', HttpMethod: 'POST' }), 'ResourceNotFoundException', 'ConnectionArn')
  const updated = b.updateApiDestination({ Name: 'ok1', InvocationRateLimitPerSecond: 10 })
  t.equal(b.describeApiDestination({ Name: 'ok1' }).InvocationRateLimitPerSecond, 10)
  t.match(updated, { ApiDestinationState: 'ACTIVE' })
  refuses(t, () => b.updateApiDestination({ Name: 'ok1', InvocationEndpoint: 'http://8.8.8.8/' }), 'ValidationException', 'InvocationEndpoint')
  const described = b.describeConnection({ Name: 'c' })
  t.match(described, { Name: 'c', AuthorizationType: 'API_KEY', ConnectionState: 'AUTHORIZED', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-key' } } })
  t.notOk(JSON.stringify(described).includes('the-secret'), 'no secret in DescribeConnection')
  t.notOk(JSON.stringify(b.listConnections()).includes('the-secret'), 'nor in ListConnections')
  refuses(t, () => b.createConnection({ Name: 'c', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } } }), 'ResourceAlreadyExistsException', 'Name')
  refuses(t, () => b.createConnection({ Name: 'n', AuthorizationType: 'BASIC', AuthParameters: {} }), 'ValidationException', 'AuthParameters.BasicAuthParameters')
  refuses(t, () => b.deleteConnection({ Name: 'c' }), 'ConcurrentModificationException', 'Name')
  for (const d of b.listApiDestinations().ApiDestinations) b.deleteApiDestination({ Name: d.Name })
  t.match(b.deleteConnection({ Name: 'c' }), { ConnectionState: 'DELETING' })
  t.same(b.listConnections().Connections, [])
})

t.test('InputPath and InputTransformer shape what the target gets; Input sends constant JSON', async (t) => {
  const e = await engine()
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  const arn = hook(e, server, { target: { InputPath: '$.detail' } })
  e.eventBridge.putTargets({ Rule: 'orders', Targets: [
    { Id: 't2', Arn: arn, InputTransformer: { InputPathsMap: { n: '$.detail.n', who: '$.detail.who', src: '$.source' }, InputTemplate: '{"order": <n>, "text": "<who> ordered from <src>", "rule": "<aws.events.rule-name>"}' } },
    { Id: 't3', Arn: arn, Input: '{"constant":true}' }
  ] })
  e.eventBridge.putEvents({ Entries: [{ Source: 'shop', DetailType: 'Order Placed', Detail: '{"n":5,"who":"Ann \\"A\\""}' }] })
  await server.receivedAtLeast(3)
  const byShape = Object.fromEntries(server.received.map((r) => {
    const body = JSON.parse(r.body) as Record<string, unknown>
    return ['constant' in body ? 'input' : 'order' in body ? 'transformer' : 'path', body]
  }))
  t.same(byShape.path, { n: 5, who: 'Ann "A"' }, 'InputPath: the part of the event it selects')
  t.same(byShape.transformer, { order: 5, text: 'Ann "A" ordered from shop', rule: 'orders' }, 'InputTransformer: values in the template, strings escaped inside quotes')
  t.same(byShape.input, { constant: true }, 'Input: the constant')
})

t.test('PutEvents: up to 10 entries; refused entries are reported in place, the others go through', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const seen: unknown[] = []
  e.events.subscribe({ source: ['shop'] }, (ev) => { seen.push(ev.detail) })
  const out = e.eventBridge.putEvents({ Entries: [
    { Source: 'shop', DetailType: 'A', Detail: '{"ok":1}' },
    { Source: 'aws.batch', DetailType: 'A', Detail: '{}' },
    { Source: 'shop', DetailType: 'A', Detail: '[1]' },
    { Source: 'shop', Detail: '{}' },
    { Source: 'shop', DetailType: 'A', Detail: '{"ok":2}' }
  ] })
  t.equal(out.FailedEntryCount, 3)
  t.match(out.Entries, [{ EventId: /^[0-9a-f-]{36}$/ }, { ErrorCode: 'NotAuthorizedForSourceException' }, { ErrorCode: 'MalformedDetail' }, { ErrorCode: 'InvalidArgument' }, { EventId: /./ }])
  await new Promise((resolve) => setImmediate(resolve))
  t.same(seen, [{ ok: 1 }, { ok: 2 }])
  refuses(t, () => e.eventBridge.putEvents({ Entries: Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' })) }), 'ValidationException', 'Entries')
  t.same(e.eventBridge.testEventPattern({ EventPattern: '{"detail":{"n":[{"numeric":[">",3]}]}}', Event: JSON.stringify({ id: '1', account: 'a', source: 's', time: 't', region: 'r', 'detail-type': 'd', detail: { n: 4 } }) }), { Result: true })
  refuses(t, () => e.eventBridge.testEventPattern({ EventPattern: '{"source":["s"]}', Event: '{"source":"s"}' }), 'ValidationException', 'Event')
})

t.test('InputTransformer and InputPath differ from EventBridge: <aws.events.event> without detail, ingestion time, wildcards', async (t) => {
  const e = await engine()
  const server = await targetServer()
  t.teardown(async () => { await e.close(); await server.close() })
  const arn = hook(e, server, { target: { InputPath: '$.detail.items[*].id' } })
  e.eventBridge.putTargets({ Rule: 'orders', Targets: [{ Id: 't2', Arn: arn, InputTransformer: {
    InputPathsMap: { ids: '$.detail.items[*].id', all: '$.detail.*' },
    InputTemplate: '{"event": <aws.events.event>, "json": <aws.events.event.json>, "ingested": "<aws.events.event.ingestion-time>", "ids": <ids>, "all": <all>}'
  } }] })
  const detail = { items: [{ id: 'a' }, { id: 'b' }, { other: 1 }], n: 3 }
  e.eventBridge.putEvents({ Entries: [{ Source: 'shop', DetailType: 'Order Placed', Detail: JSON.stringify(detail), Time: new Date(Date.UTC(2040, 0, 1)) }] })
  await server.receivedAtLeast(2)
  const bodies = server.received.map((r) => JSON.parse(r.body) as any)
  const path = bodies.find((b) => Array.isArray(b))
  const shaped = bodies.find((b) => !Array.isArray(b))
  t.same(path, ['a', 'b'], 'InputPath with [*]: the list it selects')
  t.same(shaped.ids, ['a', 'b'])
  t.same(shaped.all, [detail.items, 3], '.* selects every value of an object')
  t.notOk('detail' in shaped.event, '<aws.events.event> is the event without its detail')
  t.equal(shaped.event.id, shaped.json.id)
  t.same(shaped.json.detail, detail, '<aws.events.event.json> is the whole event')
  t.equal(shaped.json.time, '2040-01-01T00:00:00Z', 'the event keeps the Time PutEvents gave')
  t.equal(shaped.ingested, new Date(e.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'), 'the ingestion time is when the event was received, not its Time')
})

t.test('PutEvents with an out-of-range Time answered 500 for the whole call', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const seen: unknown[] = []
  e.events.subscribe({ source: ['shop'] }, (ev) => { seen.push(ev.detail) })
  const out = e.eventBridge.putEvents({ Entries: [
    { Source: 'shop', DetailType: 'A', Detail: '{"ok":1}' },
    { Source: 'shop', DetailType: 'A', Detail: '{}', Time: 1e20 },
    { Source: 'shop', DetailType: 'A', Detail: '{}', Time: new Date('nope') },
    { Source: 'shop', DetailType: 'A', Detail: '{}', Time: Number.NaN },
    { Source: 'shop', DetailType: 'A', Detail: '{}', Time: -1e300 },
    { Source: 'shop', DetailType: 'A', Detail: '{"ok":2}', Time: 1_900_000_000 }
  ] })
  t.equal(out.FailedEntryCount, 4)
  t.match(out.Entries, [{ EventId: /./ }, { ErrorCode: 'InvalidArgument', ErrorMessage: /Time/ }, { ErrorCode: 'InvalidArgument' }, { ErrorCode: 'InvalidArgument' }, { ErrorCode: 'InvalidArgument' }, { EventId: /./ }])
  await new Promise((resolve) => setImmediate(resolve))
  t.same(seen, [{ ok: 1 }, { ok: 2 }], 'the valid entries are written')
})

t.test('PutEvents checked 256 KB per entry, while EventBridge\'s limit is on the whole request', async (t) => {
  const e = await engine()
  t.teardown(() => e.close())
  const seen: unknown[] = []
  e.events.subscribe({ source: ['shop'] }, (ev) => { seen.push(ev.detail) })
  const detail = JSON.stringify({ pad: 'x'.repeat(100 * 1024) })
  const entry = { Source: 'shop', DetailType: 'A', Detail: detail }
  t.equal(e.eventBridge.putEvents({ Entries: [entry, entry] }).FailedEntryCount, 0, 'two entries of 100 KB: 200 KB in all, accepted')
  t.throws(() => e.eventBridge.putEvents({ Entries: [entry, entry, entry] }), { code: 'ValidationException', field: 'Entries', limit: 256 * 1024 }, 'three: over 256 KB in all, the call is refused')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(seen.length, 2, 'nothing of the refused call was written')
})
