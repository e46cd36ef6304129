// The aws CLI (Debian's awscli) against Stratus, unchanged but for
// --endpoint-url: a queue and a definition, an array job that really runs,
// its log through `aws logs get-log-events` and `aws logs tail`, then `aws ecr get-login-password
// | docker login --password-stdin`, a real `docker push` and `aws ecr
// describe-images`. With authentication on, so every call is SigV4-signed by
// the CLI and verified by the engine.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Stratus } from '../../sdk/index.js'
import { AWS_CLI, requireTool } from '../tools.js'
import { BUSYBOX_TAG, loadBusyboxIntoDocker } from '../fixtures/busybox-image.js'

const exec = promisify(execFile)
const KEY = { accessKeyId: 'AKIASMOKETEST0000001', secretAccessKey: 'smoke/test/secret/key/0000000000000000000' }

t.test('aws CLI: batch, logs and ecr with docker login and push', async (t) => {
  await requireTool('aws', 'docker', 'busybox')
  const home = await mkdtemp(join(tmpdir(), 'stratus-awscli-'))
  t.teardown(() => rm(home, { recursive: true, force: true }))
  const cloud = await Stratus.embedded({
    runner: 'process', auth: 'iam',
    iam: {
      users: [{
        userName: 'smoke', accessKeys: [KEY],
        policies: [{ policyName: 'all', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['batch:*', 'logs:*', 'ecr:*'], Resource: '*' }] } }]
      }]
    }
  })
  t.teardown(() => cloud.close())
  const endpoint = `http://${cloud.endpoint}`
  // A home of its own: no config or credentials of the machine's user leak in.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: join(home, 'docker'),
    AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials')
  }
  const aws = async (...args: string[]): Promise<any> => {
    const { stdout } = await exec(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env })
    return stdout.trim() === '' ? {} : JSON.parse(stdout)
  }

  const ceFile = join(home, 'ce.json')
  await writeFile(ceFile, JSON.stringify({
    computeEnvironmentName: 'smoke', type: 'MANAGED',
    computeResources: { type: 'EC2', minvCpus: 0, maxvCpus: 4, instanceTypes: ['optimal'], subnets: ['subnet-0'], securityGroupIds: ['sg-0'], instanceRole: 'ecsInstanceRole' }
  }))
  const ce = await aws('batch', 'create-compute-environment', '--cli-input-json', `file://${ceFile}`)
  t.match(ce.computeEnvironmentArn, /^arn:aws:batch:us-east-1:\d{12}:compute-environment\/smoke$/)
  for (let i = 0; ; i++) {
    const { computeEnvironments } = await aws('batch', 'describe-compute-environments', '--compute-environments', 'smoke')
    if (computeEnvironments[0].status === 'VALID') break
    if (i > 200) throw new Error(`compute environment not VALID: ${JSON.stringify(computeEnvironments[0])}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  await aws('batch', 'create-job-queue', '--job-queue-name', 'smoke', '--priority', '1', '--compute-environment-order', 'order=1,computeEnvironment=smoke')
  const def = await aws('batch', 'register-job-definition', '--job-definition-name', 'hello', '--type', 'container',
    '--container-properties', JSON.stringify({ command: ['sh', '-c', 'echo hello from child $AWS_BATCH_JOB_ARRAY_INDEX'], resourceRequirements: [{ type: 'VCPU', value: '1' }, { type: 'MEMORY', value: '128' }] }))
  t.equal(def.revision, 1)
  const submitted = await aws('batch', 'submit-job', '--job-name', 'array', '--job-queue', 'smoke', '--job-definition', 'hello', '--array-properties', 'size=3')
  t.match(submitted.jobId, /^[0-9a-f-]{36}$/)
  let job: any
  for (let i = 0; ; i++) {
    ;[job] = (await aws('batch', 'describe-jobs', '--jobs', submitted.jobId)).jobs
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') break
    if (i > 1200) throw new Error(`array job did not finish: ${job.status}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(job.status, 'SUCCEEDED', 'the array job ran to completion')
  t.same(job.arrayProperties.statusSummary.SUCCEEDED, 3)
  const listed = await aws('batch', 'list-jobs', '--array-job-id', submitted.jobId, '--job-status', 'SUCCEEDED')
  t.equal(listed.jobSummaryList.length, 3, 'list-jobs shows the three children')

  const [child] = (await aws('batch', 'describe-jobs', '--jobs', `${submitted.jobId}:1`)).jobs
  const stream = child.container.logStreamName
  t.ok(stream, 'the child reports its log stream')
  const events = await aws('logs', 'get-log-events', '--log-group-name', '/aws/batch/job', '--log-stream-name', stream, '--start-from-head')
  t.same(events.events.map((e: { message: string }) => e.message), ['hello from child 1'], 'get-log-events shows what the child printed')
  t.ok(events.events[0].timestamp > 0, 'with a timestamp')
  // aws logs tail (FilterLogEvents over the last 10 minutes) shows every child's line.
  const tail = (await exec(AWS_CLI, ['--endpoint-url', endpoint, 'logs', 'tail', '/aws/batch/job', '--format', 'short'], { env })).stdout
  for (const i of [0, 1, 2]) t.match(tail, new RegExp(`hello from child ${i}$`, 'm'), `aws logs tail shows child ${i}`)

  // ECR: the token the CLI gets logs docker in; a real push lands in the repository.
  const repo = await aws('ecr', 'create-repository', '--repository-name', 'smoke/app')
  const uri = repo.repository.repositoryUri
  t.equal(uri, `${cloud.endpoint}/smoke/app`, 'repositoryUri is the endpoint: docker push works with no DNS tricks')
  await loadBusyboxIntoDocker()
  const password = (await exec(AWS_CLI, ['--endpoint-url', endpoint, 'ecr', 'get-login-password'], { env })).stdout.trim()
  await new Promise<void>((resolve, reject) => {
    const login = spawn('docker', ['login', '--username', 'AWS', '--password-stdin', cloud.endpoint], { env: { ...process.env, DOCKER_CONFIG: env.DOCKER_CONFIG }, stdio: ['pipe', 'pipe', 'pipe'] })
    let err = ''
    login.stderr.on('data', (c) => (err += c))
    login.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker login: ${err}`))))
    login.stdin.end(password)
  })
  const tag = `${uri}:1`
  t.teardown(() => exec('docker', ['rmi', '-f', tag]).catch(() => undefined))
  await exec('docker', ['tag', BUSYBOX_TAG, tag])
  await exec('docker', ['push', tag], { env: { ...process.env, DOCKER_CONFIG: env.DOCKER_CONFIG } })
  const { imageDetails } = await aws('ecr', 'describe-images', '--repository-name', 'smoke/app')
  t.equal(imageDetails.length, 1, 'describe-images shows the pushed image')
  t.same(imageDetails[0].imageTags, ['1'])

  // Unsigned by a known key: refused, nothing created.
  const refused = await exec(AWS_CLI, ['--endpoint-url', endpoint, 'ecr', 'create-repository', '--repository-name', 'nope'], {
    env: { ...env, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' }
  }).then(() => undefined, (e: { stderr: string }) => e.stderr)
  t.match(refused, /UnrecognizedClientException/, 'an unknown key is refused')
  const names = (await aws('ecr', 'describe-repositories')).repositories.map((r: { repositoryName: string }) => r.repositoryName)
  t.same(names, ['smoke/app'], 'and nothing was created')
})
