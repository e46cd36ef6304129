// EventBridge rules delivering to a webhook, at least once: Batch job
// results go to an HTTP endpoint on loopback (a small server here) through a
// connection (an API key header) and an API destination; the webhook fails
// twice and is retried with backoff on the manual clock; a webhook that
// answers 404 is not retried, and the event is kept as a dead letter.
//
//   node dist/examples/event-webhook.js
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Stratus } from 'stratus'

// The webhook: answers 503 to its first two calls, then 200; /gone answers 404.
const received: string[] = []
let calls = 0
const webhook = createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    if (req.url === '/gone') { res.statusCode = 404; res.end(); return }
    if (++calls <= 2) { res.statusCode = 503; res.end(); return }
    received.push(`${req.headers['x-api-key']} ${body}`)
    res.end()
  })
})
await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`

await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
const conn = await cloud.events.connection('webhook').apiKey('x-api-key', 'key-123').create()
const hook = await cloud.events.apiDestination('results').connection(conn).endpoint(`${base}/results`).create()
const gone = await cloud.events.apiDestination('gone').connection(conn).endpoint(`${base}/gone`).create()

// Finished jobs, as a short message: "<job> <status>".
const rule = await cloud.events.rule('job-results').pattern({ source: ['aws.batch'], detail: { status: ['SUCCEEDED', 'FAILED'] } }).create()
await rule.target('webhook', hook, { inputTransformer: { paths: { job: '$.detail.jobName', status: '$.detail.status' }, template: '"<job> <status>"' } })
await rule.target('old-webhook', gone)

const ce = await cloud.batch.computeEnvironment('sim').managed().maxVcpus(4).instanceTypes('m5.large').create()
const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
const def = await cloud.batch.jobDefinition('task').command('true').vcpus(1).memory(256).register()
const ok = await cloud.batch.job('report').queue(queue).definition(def).env({ STRATUS_SIM_SECONDS: '30' }).submit()
await cloud.batch.job('backup').queue(queue).definition(def).env({ STRATUS_SIM_EXIT: '2' }).submit()
await cloud.clock.advance(60_000)
await ok.wait()
// The webhook's two failures are retried after 1 s and 2 s (with jitter): move the clock on.
for (let i = 0; i < 10 && received.length < 2; i++) await cloud.clock.advance(5_000)

console.log(`webhook got: ${[...received].sort().join(' | ')} (after ${calls - received.length} failed calls)`)
for (const letter of await cloud.events.deadLetters()) {
  console.log(`dead letter: ${letter.TargetId} ${letter.Attributes.ERROR_CODE} (${letter.Attributes.EXHAUSTED_RETRY_CONDITION}, ${letter.Attributes.RETRY_ATTEMPTS} retries)`)
}
webhook.close()
