// `stratus serve`: starts the engine's endpoint on loopback with the registry
// under /v2/, says where its data lives, and stops cleanly on SIGTERM.
// `stratus registry scrub`: checks a data directory's registry blobs, exit 1 on corruption.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from '../../registry/index.js'
import { writeFile } from 'node:fs/promises'
import { flipBytes } from '../registry/helpers.js'

const root = join(fileURLToPath(import.meta.url), '..', '..', '..')
const cli = join(root, 'dist', 'runtime', 'cli', 'main.js')

t.test('serve on a free port, with a data directory, then SIGTERM', async (t) => {
  t.ok(existsSync(cli), 'the CLI is built (npm install runs the build)')
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk
      const m = /listening on http:\/\/(127\.0\.0\.1:\d+)[\s\S]*runner /.exec(output)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  t.match(output, dataDir, 'says where the data goes')
  const health = await (await fetch(`http://${endpoint}/`)).json() as { service: string }
  t.equal(health.service, 'stratus')
  const v2 = await fetch(`http://${endpoint}/v2/`)
  t.equal(v2.status, 200, 'the registry answers under /v2/')
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0 on SIGTERM')
  t.ok(existsSync(join(dataDir, 'registry')), 'registry data stays in --data-dir')
})

t.test('unknown command and bad port', async (t) => {
  const run = (args: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (c) => (err += c))
    child.once('exit', (code) => resolve({ code, err }))
  })
  const unknown = await run(['launch'])
  t.equal(unknown.code, 2)
  t.match(unknown.err, /unknown command launch/)
  t.match(unknown.err, /usage: stratus <command>/)
  t.match(unknown.err, /stratus serve \[--port 4750\]/)
  t.match(unknown.err, /stratus registry scrub --data-dir DIR/)
  const badPort = await run(['serve', '--port', '99999'])
  t.equal(badPort.code, 2)
  t.match(badPort.err, /--port/)
})

t.test('registry scrub --data-dir: reports and quarantines corrupted blobs, exit 1 until repaired', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-cli-scrub-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const root = join(dataDir, 'registry')
  const payload = 'the same layer, twice\n'.repeat(1000)
  const push = async () => {
    const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0 })
    try {
      return await registry.image('cli/app:1').fromScratch().addContent(payload, '/etc/data').push()
    } finally {
      await registry.close()
    }
  }
  const scrub = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, 'registry', 'scrub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.once('close', (code) => resolve({ code, out, err }))
  })
  const image = await push()
  const layer = image.layers[0].digest

  const clean = await scrub(['--data-dir', dataDir, '--json'])
  t.equal(clean.code, 0, 'clean: exit 0')
  const cleanReport = JSON.parse(clean.out)
  t.equal(cleanReport.blobsChecked, 3, 'config, layer, manifest')
  t.same(cleanReport.blobsCorrupted, [])

  await flipBytes(root, layer, 100)
  const found = await scrub(['--data-dir', dataDir, '--json'])
  t.equal(found.code, 1, 'corruption: exit 1')
  const report = JSON.parse(found.out)
  t.same(report.blobsCorrupted, [layer], 'exactly the corrupted layer')
  t.match(report.quarantined, [{ digest: layer, reason: 'digest-mismatch', detectedBy: 'scrub', repositories: ['cli/app'] }])

  const readable = await scrub(['--data-dir', dataDir])
  t.equal(readable.code, 1, 'still exit 1 while the blob is quarantined')
  t.match(readable.out, /corrupted now: 0; in quarantine \(not repaired\): 1/)
  t.match(readable.out, layer)

  await push()
  const repaired = await scrub(['--data-dir', dataDir, '--json'])
  t.equal(repaired.code, 0, 'pushing the image again repairs it: exit 0')
  t.same(JSON.parse(repaired.out).blobsQuarantined, [])

  const missing = await scrub([])
  t.equal(missing.code, 2)
  t.match(missing.err, /--data-dir is required/)
  const nowhere = await scrub(['--data-dir', join(dataDir, 'nope')])
  t.equal(nowhere.code, 2)
  t.match(nowhere.err, /no registry storage/)
})

/** Runs the CLI to its end: exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.once('close', (code) => resolve({ code, out, err }))
  })
}

/** `stratus serve` with args until its banner is out; lines it writes after are collected in `output()`. */
async function startServe(t: Test, args: string[]): Promise<{ endpoint: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--runner', 'simulated', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr.on('data', (c) => (output += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(() => { child.kill('SIGKILL') })
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk
      const m = /listening on http:\/\/(127\.0\.0\.1:\d+)[\s\S]*--endpoint-url/.exec(output)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  return { endpoint, output: () => output, stop: async () => { child.kill('SIGTERM'); return exited } }
}

/** Waits until `output()` matches (the call log is written asynchronously). */
async function eventually(output: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 200 && !pattern.test(output()); i++) await new Promise((r) => setTimeout(r, 25))
  return output()
}

const signedHeaders = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' }

t.test('--help lists every option of serve; the banner says what is on and what to export', async (t) => {
  const top = await runCli(['--help'])
  t.equal(top.code, 0)
  t.match(top.out, /serve[\s\S]*registry scrub[\s\S]*stratus serve --help/, 'the commands')
  const help = await runCli(['serve', '--help'])
  t.equal(help.code, 0)
  for (const option of ['--port', '--data-dir', '--runner', '--allow-privileged', '--auth', '--iam', '--account-id', '--region', '--clock', '--log-format', '--quiet', '-h, --help']) {
    t.match(help.out, new RegExp(`^  ${option}\\b`, 'm'), `serve --help lists ${option}`)
  }
  const server = await startServe(t, ['--region', 'eu-west-1'])
  const banner = server.output()
  t.match(banner, /restJson1\s+AWS Batch/, 'Batch over restJson1')
  t.match(banner, /awsJson1_1\s+Amazon ECR \(\d+\), CloudWatch Logs/, 'ECR and Logs over awsJson1_1')
  t.match(banner, /awsQuery\s+IAM/, 'IAM over awsQuery')
  t.match(banner, /awsJson1_1 .*Amazon ECS \(\d+\)/, 'ECS is served')
  t.match(banner, /not yet\s+Amazon Lightsail \(/, 'and what is not served yet')
  t.match(banner, /auth\s+off/, 'the auth mode')
  t.match(banner, new RegExp(`export AWS_ENDPOINT_URL=http://${server.endpoint.replace(/\./g, '\\.')}`), 'the endpoint to export')
  t.match(banner, /AWS_REGION=eu-west-1/, 'and the region')
  t.equal(await server.stop(), 0)
})

t.test('one log line per API call: readable by default, JSON lines with --log-format json, none with --quiet', async (t) => {
  const text = await startServe(t, [])
  const res = await fetch(`http://${text.endpoint}/`, { method: 'POST', headers: signedHeaders, body: JSON.stringify({ repositoryNames: ['nope'] }) })
  t.equal(res.status, 400)
  const line = /^\S+Z ecr DescribeRepositories 400 [\d.]+ms arn:aws:iam::000000000000:root RepositoryNotFoundException$/m
  t.match(await eventually(text.output, line), line, 'time, service, operation, status, ms, principal, error')
  await text.stop()

  const json = await startServe(t, ['--log-format', 'json'])
  await fetch(`http://${json.endpoint}/v1/describejobqueues`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const out = await eventually(json.output, /"operation":"DescribeJobQueues"/)
  const record = JSON.parse(out.split('\n').find((l) => l.includes('"operation":"DescribeJobQueues"'))!)
  t.match(record, { service: 'batch', operation: 'DescribeJobQueues', status: 200, principal: 'arn:aws:iam::000000000000:root' })
  t.type(record.ms, 'number')
  t.type(record.requestId, 'string')
  await json.stop()

  const quiet = await startServe(t, ['--quiet'])
  await fetch(`http://${quiet.endpoint}/v1/describejobqueues`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  await new Promise((r) => setTimeout(r, 300))
  t.notMatch(quiet.output(), /DescribeJobQueues/, '--quiet: no call lines')
  await quiet.stop()
})

t.test('--auth iam with --iam FILE: unsigned calls are refused; a malformed file is refused at start naming the member', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-cli-iam-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'iam.json')
  await writeFile(file, JSON.stringify({ users: [{ userName: 'ci', accessKeys: [{ accessKeyId: 'AKIACLITEST000000001', secretAccessKey: 'cli/test/secret' }] }] }))
  const server = await startServe(t, ['--auth', 'iam', '--iam', file])
  t.match(server.output(), /auth\s+iam/, 'the banner says iam')
  t.match(server.output(), /root key: none/, 'and that root has no key: the file gives it none')
  const res = await fetch(`http://${server.endpoint}/`, { method: 'POST', headers: signedHeaders, body: '{}' })
  t.equal(res.status, 400, 'an unsigned call is refused (awsJson1_1 services answer authentication errors with 400)')
  t.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], 'MissingAuthenticationTokenException')
  await server.stop()

  await writeFile(file, JSON.stringify({ users: [{ userName: 'ci', accessKeys: [{ accessKeyId: 'AKIACLITEST000000001' }] }] }))
  const refused = await runCli(['serve', '--port', '0', '--runner', 'simulated', '--auth', 'iam', '--iam', file])
  t.equal(refused.code, 2, 'exit 2')
  t.match(refused.err, /users\[0\]\.accessKeys\[0\]\.secretAccessKey/, 'names the bad member')
  const badAuth = await runCli(['serve', '--auth', 'sometimes'])
  t.equal(badAuth.code, 2)
  t.match(badAuth.err, /--auth must be one of off, iam/)
})
