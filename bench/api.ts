// The AWS wire API's cost, through the official SDK v3 Batch client at
// concurrency 16 against `stratus serve` (a child process, simulated runner):
// SubmitJob per second and p99, DescribeJobs (100 ids) per second and p99,
// with authentication off and with SigV4 + IAM on (a user allowed batch:* by
// an identity policy). The baseline, measured in the same run: the same calls
// at the same concurrency through the embedded engine's Batch service in this
// process — wire_overhead_ratio is embedded rate / wire rate (how many times
// a call costs more over the wire).
//
//   npm run bench:api [-- --json] [--submits=20000 --describes=2000]
//
// Targets (issue 10): ≥ 5,000 SubmitJob/s over the wire with auth off, ≥ 3,000
// with IAM on, p99 ≤ 5 ms, wire ≤ 3× the embedded call. Never fails on time.

import { spawn } from 'node:child_process'
import { Agent } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DescribeComputeEnvironmentsCommand, DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand } from '@aws-sdk/client-batch'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { Stratus } from '../sdk/index.js'
import type { BatchService } from '../runtime/index.js'
import { onCleanup, runBench, stopChild, track } from './cleanup.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const json = process.argv.includes('--json')
const option = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const SUBMITS = option('submits', 20_000)
const DESCRIBES = option('describes', 2_000)
const CONCURRENCY = 16
const REGION = 'us-east-1'
const KEY = { accessKeyId: 'AKIABENCHAPI00000001', secretAccessKey: 'bench/api/secret/key/for/sigv4/0000000000' }
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'runtime', 'cli', 'main.js')

const log = (...args: unknown[]) => {
  if (!json) console.log(...args)
}

interface Figure { perSecond: number; p50Ms: number; p99Ms: number }

/** Runs `count` calls, `CONCURRENCY` at a time; rate and latency percentiles. */
async function measure(count: number, call: (i: number) => Promise<unknown>): Promise<Figure> {
  const latencies = new Float64Array(count)
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now()
      await call(i)
      latencies[i] = performance.now() - t0
    }
  }))
  const seconds = (performance.now() - started) / 1000
  latencies.sort()
  const at = (q: number) => latencies[Math.min(count - 1, Math.floor(q * count))]
  return { perSecond: count / seconds, p50Ms: at(0.5), p99Ms: at(0.99) }
}

/** What both sides run: an unmanaged environment without instances (jobs stay RUNNABLE, nothing runs), a queue, a definition. */
interface Calls {
  setup(): Promise<void>
  submit(i: number): Promise<string>
  describe(ids: string[]): Promise<unknown>
}

function serviceCalls(batch: BatchService): Calls {
  return {
    async setup() {
      await batch.createComputeEnvironment({ computeEnvironmentName: 'bench', type: 'UNMANAGED' })
      await batch.waitForComputeEnvironment('bench')
      await batch.createJobQueue({ jobQueueName: 'bench', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'bench' }] })
      await batch.registerJobDefinition({ jobDefinitionName: 'bench', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } })
    },
    async submit(i) {
      return (await batch.submitJob({ jobName: `j${i}`, jobQueue: 'bench', jobDefinition: 'bench' })).jobId
    },
    describe: (ids) => batch.describeJobs({ jobs: ids })
  }
}

function wireCalls(client: BatchClient): Calls {
  return {
    async setup() {
      await client.send(new CreateComputeEnvironmentCommand({ computeEnvironmentName: 'bench', type: 'UNMANAGED' }))
      for (;;) {
        const [ce] = (await client.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['bench'] }))).computeEnvironments ?? []
        if (ce?.status === 'VALID') break
        await new Promise((r) => setTimeout(r, 20))
      }
      await client.send(new CreateJobQueueCommand({ jobQueueName: 'bench', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'bench' }] }))
      await client.send(new RegisterJobDefinitionCommand({ jobDefinitionName: 'bench', type: 'container', containerProperties: { command: ['true'], vcpus: 1, memory: 128 } }))
    },
    async submit(i) {
      return (await client.send(new SubmitJobCommand({ jobName: `j${i}`, jobQueue: 'bench', jobDefinition: 'bench' }))).jobId!
    },
    describe: (ids) => client.send(new DescribeJobsCommand({ jobs: ids }))
  }
}

/** Submits, then describes the submitted jobs 100 at a time. */
async function phases(calls: Calls): Promise<{ submit: Figure; describe: Figure }> {
  await calls.setup()
  const warm = Math.min(1000, SUBMITS / 10)
  const ids: string[] = []
  await measure(warm, async (i) => { ids.push(await calls.submit(-1 - i)) })
  const submit = await measure(SUBMITS, async (i) => { ids.push(await calls.submit(i)) })
  const batches = Math.floor(ids.length / 100)
  const describe = await measure(DESCRIBES, (i) => {
    const at = (i % batches) * 100
    return calls.describe(ids.slice(at, at + 100))
  })
  return { submit, describe }
}

/** `stratus serve` on a free port; resolves with its endpoint once the banner names it. */
async function serve(args: string[]): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const child = track(spawn(process.execPath, [cli, 'serve', '--port', '0', '--runner', 'simulated', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  const endpoint = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (found) resolve(found[1])
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (c: Buffer) => { output += c })
    child.once('exit', (code) => reject(new Error(`stratus serve exited (${code}) before listening: ${output}`)))
  })
  child.stdout!.resume()
  return { endpoint, stop: () => stopChild(child) }
}

async function overWire(auth: 'off' | 'iam', dir: string): Promise<{ submit: Figure; describe: Figure }> {
  const args: string[] = []
  if (auth === 'iam') {
    const file = join(dir, 'iam.json')
    await writeFile(file, JSON.stringify({
      users: [{
        userName: 'bench', accessKeys: [KEY],
        policies: [{ policyName: 'batch', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'batch:*', Resource: '*' }] } }]
      }]
    }))
    args.push('--auth', 'iam', '--iam', file)
  }
  const server = await serve(args)
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const client = new BatchClient({
    endpoint: server.endpoint, region: REGION, credentials: KEY, maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: agent })
  })
  try {
    return await phases(wireCalls(client))
  } finally {
    client.destroy()
    agent.destroy()
    await server.stop()
  }
}

async function embedded(): Promise<{ submit: Figure; describe: Figure }> {
  const cloud = await Stratus.embedded({ runner: 'simulated' })
  try {
    return await phases(serviceCalls(cloud.batch.service))
  } finally {
    await cloud.close()
  }
}

const fmt = (f: Figure) => `${Math.round(f.perSecond).toLocaleString('en-US')}/s  p50 ${f.p50Ms.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms`

await runBench(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-api-'))
  onCleanup(() => rm(dir, { recursive: true, force: true }))
  log(`bench:api — ${SUBMITS.toLocaleString('en-US')} SubmitJob, ${DESCRIBES.toLocaleString('en-US')} DescribeJobs (100 ids), concurrency ${CONCURRENCY}`)
  const base = await embedded()
  log(`  embedded     SubmitJob ${fmt(base.submit)}`)
  log(`               DescribeJobs ${fmt(base.describe)}`)
  const off = await overWire('off', dir)
  log(`  wire, auth off  SubmitJob ${fmt(off.submit)}   (target ≥ 5,000/s, p99 ≤ 5 ms)`)
  log(`                  DescribeJobs ${fmt(off.describe)}`)
  const iam = await overWire('iam', dir)
  log(`  wire, SigV4+IAM SubmitJob ${fmt(iam.submit)}   (target ≥ 3,000/s)`)
  log(`                  DescribeJobs ${fmt(iam.describe)}`)
  const ratio = (wire: Figure, embeddedFigure: Figure) => embeddedFigure.perSecond / wire.perSecond
  const result = {
    concurrency: CONCURRENCY,
    embedded: base,
    wire_auth_off: off,
    wire_iam: iam,
    wire_overhead_ratio: {
      submit_auth_off: ratio(off.submit, base.submit), submit_iam: ratio(iam.submit, base.submit),
      describe_auth_off: ratio(off.describe, base.describe), describe_iam: ratio(iam.describe, base.describe)
    }
  }
  log(`  wire_overhead_ratio (embedded rate / wire rate; target ≤ 3): SubmitJob ${result.wire_overhead_ratio.submit_auth_off.toFixed(2)}× off, ${result.wire_overhead_ratio.submit_iam.toFixed(2)}× iam; DescribeJobs ${result.wire_overhead_ratio.describe_auth_off.toFixed(2)}× off, ${result.wire_overhead_ratio.describe_iam.toFixed(2)}× iam`)
  if (json) console.log(JSON.stringify(result))
})
