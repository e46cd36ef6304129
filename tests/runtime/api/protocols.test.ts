// The awsQuery and stratusJson codecs, with small tables defined here and the
// router on a real loopback endpoint: form in, XML out (read by the official
// STS client too), XML errors; NDJSON streams flushed as produced, a failure
// mid-stream as a last line, and a stream that stops when the client goes away.
import t from 'tap'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { ApiRouter, xmlMap, type Operation, type ServiceTable } from '../../../runtime/api/index.js'
import { anyRoute, startHttp } from '../../../runtime/http/server.js'
import { makePartition } from '../../../runtime/aws/partition.js'
import { InvalidArgumentError, NotFoundError } from '../../../runtime/errors.js'
import { credentials } from './clients.js'

const allow = () => ({ action: 'test:Any', resources: ['*'] })

const queryTable: ServiceTable = {
  signingName: 'sts',
  eventSource: 'sts.amazonaws.com',
  protocol: 'awsQuery',
  query: { version: '2011-06-15', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' },
  operations: [
    { name: 'GetCallerIdentity', readOnly: true, authorize: allow, call: (_i, ctx) => ({ UserId: ctx.principal.principalId, Account: ctx.principal.accountId, Arn: ctx.principal.arn }) },
    { name: 'Echo', readOnly: true, required: ['Name'], authorize: allow, call: (i) => ({ Name: i.Name, Tags: i.Tags, Attributes: xmlMap(i.Attributes ?? {}), Note: '<&>' }) },
    { name: 'Fail', readOnly: false, authorize: allow, call: () => { throw new NotFoundError('NoSuchEntity', 'The thing cannot be found.', { field: 'Name' }) } }
  ] as Operation[],
  error: (err) => ({ type: (err as NotFoundError).kind === 'NotFound' ? 'NoSuchEntity' : 'ServiceFailure', status: (err as NotFoundError).kind === 'NotFound' ? 404 : 500, message: (err as Error).message }),
  invalid: (member) => ({ type: 'ValidationError', status: 400, message: `${member} is required` })
}

async function* count(n: number, failAt?: number): AsyncGenerator<unknown> {
  for (let i = 1; i <= n; i++) {
    if (i === failAt) throw new InvalidArgumentError('Broken', `value ${i} cannot be made`, { field: 'n' })
    yield { i, at: new Date(i * 1000) }
  }
}

let holdAborted: () => void
const aborted = new Promise<void>((resolve) => { holdAborted = resolve })

const stratusTable: ServiceTable = {
  signingName: 'stratus',
  eventSource: 'stratus.local',
  protocol: 'stratusJson',
  operations: [
    { name: 'Count', readOnly: true, authorize: allow, call: (i) => count(i.n, i.failAt) },
    { name: 'Plain', readOnly: true, authorize: allow, call: (i) => ({ doubled: i.n * 2, when: new Date(1_700_000_000_500), gone: undefined, bytes: Buffer.from('hi') }) },
    {
      name: 'Hold', readOnly: true, authorize: allow,
      call: (_i, ctx) => (async function* () {
        yield 'first'
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
        holdAborted()
      })()
    }
  ] as Operation[],
  error: (err) => ({ type: 'InvalidParameterException', status: 400, message: (err as Error).message }),
  invalid: (member) => ({ type: 'InvalidParameterException', status: 400, message: `${member} is required` })
}

t.test('awsQuery and stratusJson on one router', async (t) => {
  const router = new ApiRouter({ tables: [queryTable, stratusTable], partition: makePartition('123456789012') })
  const http = await startHttp([anyRoute('api', router.handle)])
  t.teardown(() => http.close())
  const base = `http://${http.address}`
  const form = (body: string) => fetch(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body })

  t.test('the official STS client reads the XML answer', async (t) => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
    const sts = new STSClient({ endpoint: base, region: 'us-east-1', credentials, maxAttempts: 1 })
    t.teardown(() => sts.destroy())
    const who = await sts.send(new GetCallerIdentityCommand({}))
    t.equal(who.Account, '123456789012')
    t.equal(who.Arn, 'arn:aws:iam::123456789012:root', 'auth off: the account\'s root')
  })

  t.test('form in: member.N lists, entry.N maps; XML out', async (t) => {
    const res = await form('Action=Echo&Version=2011-06-15&Name=a%20b&Tags.member.1.Key=team&Tags.member.1.Value=x&Tags.member.2.Key=env&Tags.member.2.Value=y' +
      '&Attributes.entry.1.key=color&Attributes.entry.1.value=blue')
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-type'), 'text/xml')
    const xml = await res.text()
    const id = res.headers.get('x-amzn-requestid')!
    t.equal(xml, '<EchoResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><EchoResult><Name>a b</Name>' +
      '<Tags><member><Key>team</Key><Value>x</Value></member><member><Key>env</Key><Value>y</Value></member></Tags>' +
      '<Attributes><entry><key>color</key><value>blue</value></entry></Attributes><Note>&lt;&amp;&gt;</Note></EchoResult>' +
      `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></EchoResponse>`)
  })

  t.test('XML errors: ErrorResponse with Type, Code, Message and RequestId', async (t) => {
    const res = await form('Action=Fail&Version=2011-06-15')
    t.equal(res.status, 404)
    const xml = await res.text()
    t.match(xml, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>The thing cannot be found\.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/)
    t.match(JSON.parse(res.headers.get('x-stratus-error')!), { kind: 'NotFound', code: 'NoSuchEntity', field: 'Name' })
    const missing = await form('Action=Echo&Version=2011-06-15')
    t.equal(missing.status, 400)
    t.match(await missing.text(), /<Code>ValidationError<\/Code><Message>Name is required<\/Message>/)
    const unknown = await form('Action=Launch&Version=2011-06-15')
    t.match(await unknown.text(), /<Code>UnknownOperationException<\/Code><Message>[^<]*Launch/)
  })

  t.test('stratusJson: a plain result is one JSON document (Dates in epoch seconds, Buffers base64, undefined left out)', async (t) => {
    const res = await fetch(`${base}/stratus/v1/Plain`, { method: 'POST', body: '{"n":21}' })
    t.equal(res.status, 200)
    t.same(await res.json(), { doubled: 42, when: 1_700_000_000.5, bytes: 'aGk=' })
  })

  t.test('stratusJson: an AsyncIterable result streams as NDJSON', async (t) => {
    const res = await fetch(`${base}/stratus/v1/Count`, { method: 'POST', body: '{"n":3}' })
    t.equal(res.headers.get('content-type'), 'application/x-ndjson')
    t.same((await res.text()).split('\n'), ['{"i":1,"at":1}', '{"i":2,"at":2}', '{"i":3,"at":3}', ''])
  })

  t.test('stratusJson: a failure mid-stream is the last line', async (t) => {
    const res = await fetch(`${base}/stratus/v1/Count`, { method: 'POST', body: '{"n":5,"failAt":3}' })
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l))
    t.equal(lines.length, 3)
    t.same(lines[2], { __error: { type: 'InvalidParameterException', message: 'value 3 cannot be made', status: 400, stratus: { name: 'InvalidArgumentError', kind: 'InvalidArgument', code: 'Broken', field: 'n' } } })
  })

  t.test('stratusJson: the stream stops when the client goes away', async (t) => {
    const controller = new AbortController()
    const res = await fetch(`${base}/stratus/v1/Hold`, { method: 'POST', body: '{}', signal: controller.signal })
    const reader = res.body!.getReader()
    const first = await reader.read()
    t.equal(new TextDecoder().decode(first.value), '"first"\n', 'the first value arrives before the stream ends')
    controller.abort()
    await aborted
    t.pass('the operation saw its signal abort')
  })

  t.test('stratusJson: unknown operation', async (t) => {
    const res = await fetch(`${base}/stratus/v1/Nope`, { method: 'POST', body: '{}' })
    t.equal(res.status, 400)
    t.match(await res.json(), { __type: 'UnknownOperationException', message: /Nope/ })
  })
})
