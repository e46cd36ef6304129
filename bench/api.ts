// The AWS wire API's cost against `stratus serve` (a child process, simulated
// runner), at concurrency 16: SubmitJob per second and p99, DescribeJobs
// (100 ids) per second and p99, with authentication off and with SigV4 + IAM
// on (a user allowed batch:* by an identity policy), through two clients:
//   sdk  the official SDK v3 Batch client (what users run; its own CPU per
//        call is printed: on a small machine it, not the server, sets the rate)
//   raw  undici with the same JSON bodies (SigV4-signed by @smithy/signature-v4
//        when IAM is on): what the server itself sustains
// and the server's CPU per call (from /proc), against the baseline measured in
// the same run: the same calls at the same concurrency through the embedded
// engine's Batch service in this process (its CPU per call). Two ratios:
// wire_overhead_ratio.rate = embedded rate / wire rate, and
// wire_overhead_ratio.cpu = server CPU per wire call / embedded CPU per call.
//
//   npm run bench:api [-- --json] [--submits=20000 --describes=2000]
//
// Targets (issue 10): ≥ 5,000 SubmitJob/s over the wire with auth off, ≥ 3,000
// with IAM on, p99 ≤ 5 ms, wire ≤ 3× the embedded call. Never fails on time.

import { spawn } from 'node:child_process'
import { Agent } from 'node:http'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { BatchClient, CreateComputeEnvironmentCommand, CreateJobQueueCommand, DescribeComputeEnvironmentsCommand, DescribeJobsCommand, RegisterJobDefinitionCommand, SubmitJobCommand } from '@aws-sdk/client-batch'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import { Pool } from 'undici'
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
const TICK_US = 10_000 // /proc/<pid>/stat counts clock ticks of 10 ms (USER_HZ 100)

const log = (...args: unknown[]) => {
  if (!json) console.log(...args)
}

interface Figure { perSecond: number; p50Ms: number; p99Ms: number; clientCpuUsPerCall: number; serverCpuUsPerCall: number | null }

/** CPU time (µs) a process used so far: this one, or a child's from /proc. */
async function cpuOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) {
    const u = process.cpuUsage()
    return u.user + u.system
  }
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_US
}

/** Runs `count` calls, `CONCURRENCY` at a time; rate, latency percentiles, and CPU per call of this process and of the server. */
async function measure(count: number, serverPid: number | undefined, call: (i: number) => Promise<unknown>): Promise<Figure> {
  const latencies = new Float64Array(count)
  let next = 0
  const client0 = await cpuOf(undefined)
  const server0 = serverPid === undefined ? 0 : await cpuOf(serverPid)
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now()
      await call(i)
      latencies[i] = performance.now() - t0
    }
  }))
  const seconds = (performance.now() - started) / 1000
  const clientCpu = (await cpuOf(undefined)) - client0
  const serverCpu = serverPid === undefined ? null : (await cpuOf(serverPid)) - server0
  latencies.sort()
  const at = (q: number) => latencies[Math.min(count - 1, Math.floor(q * count))]
  return { perSecond: count / seconds, p50Ms: at(0.5), p99Ms: at(0.99), clientCpuUsPerCall: clientCpu / count, serverCpuUsPerCall: serverCpu === null ? null : serverCpu / count }
}

/** What every side runs: an unmanaged environment without instances (jobs stay RUNNABLE, nothing runs), a queue, a definition. */
interface Calls {
  setup(): Promise<void>
  submit(i: number): Promise<string>
  describe(ids: string[]): Promise<unknown>
}

const ENVIRONMENT = { computeEnvironmentName: 'bench', type: 'UNMANAGED' } as const
const QUEUE = { jobQueueName: 'bench', priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'bench' }] }
const DEFINITION = { jobDefinitionName: 'bench', type: 'container' as const, containerProperties: { command: ['true'], vcpus: 1, memory: 128 } }
const submission = (i: number) => ({ jobName: `j${i}`, jobQueue: 'bench', jobDefinition: 'bench' })

function serviceCalls(batch: BatchService): Calls {
  return {
    async setup() {
      await batch.createComputeEnvironment({ ...ENVIRONMENT })
      await batch.waitForComputeEnvironment('bench')
      await batch.createJobQueue(structuredClone(QUEUE))
      await batch.registerJobDefinition(structuredClone(DEFINITION))
    },
    async submit(i) {
      return (await batch.submitJob(submission(i))).jobId
    },
    describe: (ids) => batch.describeJobs({ jobs: ids })
  }
}

async function untilValid(describe: () => Promise<string | undefined>): Promise<void> {
  while ((await describe()) !== 'VALID') await new Promise((r) => setTimeout(r, 20))
}

function sdkCalls(client: BatchClient): Calls {
  return {
    async setup() {
      await client.send(new CreateComputeEnvironmentCommand({ ...ENVIRONMENT }))
      await untilValid(async () => (await client.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['bench'] }))).computeEnvironments?.[0]?.status)
      await client.send(new CreateJobQueueCommand(structuredClone(QUEUE)))
      await client.send(new RegisterJobDefinitionCommand(structuredClone(DEFINITION)))
    },
    async submit(i) {
      return (await client.send(new SubmitJobCommand(submission(i)))).jobId!
    },
    describe: (ids) => client.send(new DescribeJobsCommand({ jobs: ids }))
  }
}

/** restJson1 by hand: POST /v1/<op> with the JSON body, signed when a signer is given. */
function rawCalls(endpoint: string, signer: SignatureV4 | undefined): Calls & { close(): Promise<void> } {
  const url = new URL(endpoint)
  const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 })
  const post = async (op: string, input: unknown): Promise<any> => {
    const body = JSON.stringify(input)
    const path = `/v1/${op}`
    let headers: Record<string, string> = { host: url.host, 'content-type': 'application/json' }
    if (signer !== undefined) {
      headers = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query: {}, headers, body })).headers
    }
    const res = await pool.request({ method: 'POST', path, headers, body })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`${op}: ${res.statusCode} ${text}`)
    return JSON.parse(text)
  }
  return {
    async setup() {
      await post('createcomputeenvironment', ENVIRONMENT)
      await untilValid(async () => (await post('describecomputeenvironments', { computeEnvironments: ['bench'] })).computeEnvironments[0]?.status)
      await post('createjobqueue', QUEUE)
      await post('registerjobdefinition', DEFINITION)
    },
    async submit(i) {
      return (await post('submitjob', submission(i))).jobId
    },
    describe: (ids) => post('describejobs', { jobs: ids }),
    close: () => pool.close()
  }
}

interface Phases { submit: Figure; describe: Figure }

/** Submits, then describes the submitted jobs 100 at a time. */
async function phases(calls: Calls, serverPid: number | undefined): Promise<Phases> {
  await calls.setup()
  const warm = Math.min(1000, SUBMITS / 10)
  const ids: string[] = []
  await measure(warm, serverPid, async (i) => { ids.push(await calls.submit(-1 - i)) })
  const submit = await measure(SUBMITS, serverPid, async (i) => { ids.push(await calls.submit(i)) })
  const batches = Math.floor(ids.length / 100)
  const describe = await measure(DESCRIBES, serverPid, (i) => {
    const at = (i % batches) * 100
    return calls.describe(ids.slice(at, at + 100))
  })
  return { submit, describe }
}

/** `stratus serve` on a free port; resolves once the banner names its endpoint. */
async function serve(args: string[]): Promise<{ endpoint: string; pid: number; stop: () => Promise<void> }> {
  const child = track(spawn(process.execPath, [cli, 'serve', '--port', '0', '--runner', 'simulated', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  let output = ''
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (found) resolve(found[1])
    })
    child.stderr!.on('data', (c: Buffer) => { output += c })
    child.once('exit', (code) => reject(new Error(`stratus serve exited (${code}) before listening: ${output}`)))
  })
  return { endpoint, pid: child.pid!, stop: () => stopChild(child) }
}

async function iamFile(dir: string): Promise<string> {
  const file = join(dir, 'iam.json')
  await writeFile(file, JSON.stringify({
    users: [{
      userName: 'bench', accessKeys: [{ ...KEY }],
      policies: [{ policyName: 'batch', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'batch:*', Resource: '*' }] } }]
    }]
  }))
  return file
}

/** One server per client kind and auth mode, so each starts from the same empty state. */
async function overWire(auth: 'off' | 'iam', client: 'sdk' | 'raw', dir: string): Promise<Phases> {
  const server = await serve(auth === 'iam' ? ['--auth', 'iam', '--iam', await iamFile(dir)] : [])
  try {
    if (client === 'raw') {
      const signer = auth === 'iam' ? new SignatureV4({ credentials: { ...KEY }, region: REGION, service: 'batch', sha256: Hash.bind(null, 'sha256') }) : undefined
      const calls = rawCalls(server.endpoint, signer)
      try {
        return await phases(calls, server.pid)
      } finally {
        await calls.close()
      }
    }
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
    // The SDK adds members to a credentials object it is given: each client gets its own.
    const sdk = new BatchClient({ endpoint: server.endpoint, region: REGION, credentials: { ...KEY }, maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpAgent: agent }) })
    try {
      return await phases(sdkCalls(sdk), server.pid)
    } finally {
      sdk.destroy()
      agent.destroy()
    }
  } finally {
    await server.stop()
  }
}

async function embedded(): Promise<Phases> {
  const cloud = await Stratus.embedded({ runner: 'simulated' })
  try {
    return await phases(serviceCalls(cloud.batch.service), undefined)
  } finally {
    await cloud.close()
  }
}

const n = (x: number) => Math.round(x).toLocaleString('en-US')
function fmt(f: Figure): string {
  const cpu = f.serverCpuUsPerCall === null ? `cpu ${n(f.clientCpuUsPerCall)} µs/call` : `server cpu ${n(f.serverCpuUsPerCall)} µs/call, client ${n(f.clientCpuUsPerCall)}`
  return `${n(f.perSecond).padStart(7)}/s  p50 ${f.p50Ms.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms  (${cpu})`
}

await runBench(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-api-'))
  onCleanup(() => rm(dir, { recursive: true, force: true }))
  log(`bench:api — ${n(SUBMITS)} SubmitJob, then ${n(DESCRIBES)} DescribeJobs of 100 ids, concurrency ${CONCURRENCY}`)
  const base = await embedded()
  log(`  embedded (baseline)  SubmitJob    ${fmt(base.submit)}`)
  log(`                       DescribeJobs ${fmt(base.describe)}`)
  const runs: Record<string, Phases> = {}
  for (const auth of ['off', 'iam'] as const) {
    for (const client of ['sdk', 'raw'] as const) {
      const run = await overWire(auth, client, dir)
      runs[`${client}_auth_${auth}`] = run
      const label = `${client}, ${auth === 'off' ? 'auth off' : 'SigV4+IAM'}`.padEnd(20)
      log(`  ${label} SubmitJob    ${fmt(run.submit)}`)
      log(`  ${''.padEnd(20)} DescribeJobs ${fmt(run.describe)}`)
    }
  }
  const ratios = (pick: (p: Phases) => Figure) => Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, {
    rate: pick(base).perSecond / pick(run).perSecond,
    cpu: pick(run).serverCpuUsPerCall === null ? null : pick(run).serverCpuUsPerCall! / pick(base).clientCpuUsPerCall
  }]))
  const result = { concurrency: CONCURRENCY, embedded: base, ...runs, wire_overhead_ratio: { submit: ratios((p) => p.submit), describe: ratios((p) => p.describe) } }
  log('  wire_overhead_ratio (target ≤ 3): rate = embedded rate / wire rate; cpu = server cpu per call / embedded cpu per call')
  for (const [call, byRun] of Object.entries(result.wire_overhead_ratio)) {
    log(`    ${call.padEnd(9)} ${Object.entries(byRun).map(([name, r]) => `${name} rate ${r.rate.toFixed(1)}× cpu ${r.cpu === null ? 'n/a' : `${r.cpu.toFixed(1)}×`}`).join('; ')}`)
  }
  log('  targets: ≥ 5,000 SubmitJob/s auth off, ≥ 3,000 with IAM, p99 ≤ 5 ms')
  if (json) console.log(JSON.stringify(result))
})
