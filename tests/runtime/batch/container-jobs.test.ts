// Batch container jobs for real, on the docker and the oci runner: the image's
// filesystem (not the host's), images from the built-in registry with auth on
// (by the endpoint and by the ECR form of the repository URI), a missing image
// failing with AWS's reason, exit codes, OOM, timeouts, retries, the
// AWS_BATCH_* environment, logs, work without an image running as a process
// beside them, and nothing left behind once the engine is closed.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Stratus, type Job } from '../../../sdk/index.js'
import { loadBusyboxIntoDocker, pushBusybox, BUSYBOX_TAG } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'

const exec = promisify(execFile)
const TIMEOUT = 'Job attempt duration exceeded timeout'

async function logOf(job: Job, attempt?: number): Promise<string[]> {
  const lines: string[] = []
  for await (const line of job.logs({ follow: false, ...(attempt ? { attempt } : {}) })) lines.push(line)
  return lines
}

/** What each runner has of an engine: its containers (docker), or the pids of its runc containers (oci) still alive. */
async function leftovers(runner: 'docker' | 'oci', cloud: Stratus, pids: number[] = []): Promise<string[]> {
  if (runner === 'docker') {
    const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=stratus.engine=${cloud.engine.id}`])
    return stdout.split('\n').filter(Boolean)
  }
  return pids.filter((pid) => existsSync(`/proc/${pid}`)).map(String)
}

/** The pids of the oci runner's containers (its own runc root, under the engine's data dir). */
async function ociPids(cloud: Stratus): Promise<number[]> {
  const { stdout } = await exec('runc', ['--root', join(cloud.engine.dataDir, 'runners', 'oci', 'runtime'), 'list', '--format', 'json'])
  return ((JSON.parse(stdout || '[]') ?? []) as Array<{ pid: number; status: string }>).filter((c) => c.status === 'running').map((c) => c.pid)
}

await requireTool('docker', 'busybox')
await loadBusyboxIntoDocker()

for (const runner of ['docker', 'oci'] as const) {
  t.test(`container jobs on the ${runner} runner`, async (t) => {
    const cloud = await Stratus.embedded({ runner, clock: 'manual', registry: { auth: { enabled: true } }, batch: { killGraceMs: 200 } })
    let closed = false
    t.teardown(async () => { if (!closed) await cloud.close() })
    // The oci runner's local images are the built-in registry's; docker has busybox:1.36 locally.
    await pushBusybox(cloud.engine.registry, BUSYBOX_TAG)
    await pushBusybox(cloud.engine.registry, 'team/tool:1')
    const ce = await cloud.batch.computeEnvironment('local').unmanaged().create()
    await ce.registerNode({ vcpus: 4, memory: 4096 })
    const queue = await cloud.batch.jobQueue('jobs').computeEnvironments(ce).create()
    const run = async (name: string, image: string, script: string, more: (j: ReturnType<typeof cloud.batch.jobDefinition>) => ReturnType<typeof cloud.batch.jobDefinition> = (j) => j) => {
      const def = await more(cloud.batch.jobDefinition(name).image(image).command('sh', '-c', script).vcpus(1).memory(128)).register()
      return cloud.batch.job(name).queue(queue).definition(def).submit()
    }

    t.test('the command runs in the image, not on the host, with the AWS_BATCH_* environment', async (t) => {
      const job = await run('inside', BUSYBOX_TAG, 'test -e /etc/os-release && echo host || echo image; echo "$AWS_BATCH_JOB_ID|$AWS_BATCH_JQ_NAME|$AWS_BATCH_CE_NAME|$AWS_BATCH_JOB_ATTEMPT"; ls /bin/busybox')
      const done = await job.wait()
      t.equal(done.status, 'SUCCEEDED')
      t.same(await logOf(job), ['image', `${job.id}|jobs|local|1`, '/bin/busybox'])
      t.match(done.attempts[0].container, { exitCode: 0, logStreamName: /^inside\/default\//, taskArn: /:task\//, containerInstanceArn: /:container-instance\// })
    })

    t.test('images from the built-in registry with auth on: by its endpoint and by the ECR repository URI', async (t) => {
      const byEndpoint = await run('endpoint', `${cloud.endpoint}/team/tool:1`, 'echo pulled')
      const ecr = `${cloud.engine.accountId}.dkr.ecr.${cloud.engine.region}.amazonaws.com/team/tool:1`
      const byEcr = await run('ecr', ecr, 'echo pulled too')
      t.equal((await byEndpoint.wait()).status, 'SUCCEEDED')
      t.equal((await byEcr.wait()).status, 'SUCCEEDED')
      t.same(await logOf(byEndpoint), ['pulled'])
      t.same(await logOf(byEcr), ['pulled too'])
    })

    t.test('a missing image fails the job with CannotPullContainerError naming it — never a success', async (t) => {
      const missing = await run('missing', `${cloud.endpoint}/team/nothing-here:1`, 'echo never')
      const done = await missing.wait()
      t.equal(done.status, 'FAILED')
      t.match(done.attempts[0].container.reason, /^CannotPullContainerError: .*team\/nothing-here:1/)
      const elsewhere = await run('elsewhere', 'registry.example.com/app:1', 'echo never')
      const other = await elsewhere.wait()
      t.equal(other.status, 'FAILED')
      t.match(other.attempts[0].container.reason, /^CannotPullContainerError: .*registry\.example\.com\/app:1/)
    })

    t.test('exit codes, retries and OOM as AWS reports them', async (t) => {
      const three = await run('three', BUSYBOX_TAG, 'exit 3', (d) => d.retry({ attempts: 2 }))
      const done = await three.wait()
      t.equal(done.status, 'FAILED')
      t.same(done.attempts.map((a) => a.container.exitCode), [3, 3], 'retried once, each attempt in a container')
      const hog = await run('hog', BUSYBOX_TAG, 'head -c 200m /dev/zero | tail > /dev/null', (d) => d.memory(32))
      const oom = await hog.wait()
      t.equal(oom.status, 'FAILED')
      t.match(oom.attempts[0].container, { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' })
    })

    t.test('a timeout stops and removes the container, and is not retried', async (t) => {
      const slow = await run('slow', BUSYBOX_TAG, 'echo started; exec sleep 600', (d) => d.timeout(60).retry({ attempts: 3 }))
      for await (const line of slow.logs()) if (line === 'started') break
      // The program may print before the runner has heard that its container started.
      while ((await slow.describe()).status !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 20))
      await cloud.clock.advance(61_000)
      const done = await slow.wait()
      t.equal(done.status, 'FAILED')
      t.equal(done.statusReason, TIMEOUT)
      t.equal(done.attempts.length, 1)
      t.same(await logOf(slow), ['started'])
      if (runner === 'docker') {
        const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=stratus.engine=${cloud.engine.id}`])
        t.same(stdout.split('\n').filter(Boolean), [], 'its container is removed')
      } else {
        t.same(await ociPids(cloud), [], 'its container is gone')
      }
    })

    t.test('volumes, mount points, user, ulimits and a read-only root, as the container sees them', async (t) => {
      const host = await mkdtemp(join(tmpdir(), `stratus-batch-volume-${runner}-`))
      t.teardown(() => rm(host, { recursive: true, force: true }))
      await writeFile(join(host, 'input.txt'), 'from the host\n')
      const created = join(host, 'made', 'by-batch')
      const script = [
        'cat /data/input.txt',
        'touch /data/nope 2>/dev/null && echo data-writable || echo data-read-only',
        'echo scratch > /scratch/out && cat /scratch/out',
        'touch /rootfs-write 2>/dev/null && echo root-writable || echo root-read-only',
        'echo "nofile $(ulimit -n)"',
        'test -d /made && echo made-exists'
      ].join('; ')
      const job = await run('settings', BUSYBOX_TAG, script, (d) => d
        .volume('data', host).mount('data', '/data', { readOnly: true })
        .volume('scratch').mount('scratch', '/scratch')
        .volume('made', created).mount('made', '/made')
        .ulimit('nofile', 1024, 2048).readonlyRootFilesystem())
      const done = await job.wait()
      t.equal(done.status, 'SUCCEEDED')
      t.same(await logOf(job), ['from the host', 'data-read-only', 'scratch', 'root-read-only', 'nofile 1024', 'made-exists'])
      t.ok(existsSync(created), 'a host path that did not exist was created, as the Docker daemon does')
      const nobody = await run('nobody', BUSYBOX_TAG, 'echo "uid $(id -u) gid $(id -g)"', (d) => d.user('65534:65534'))
      t.equal((await nobody.wait()).status, 'SUCCEEDED')
      t.same(await logOf(nobody), ['uid 65534 gid 65534'], 'the user the definition names, not root')
    })

    t.test('a container job is in the host\'s network, as Batch runs EC2 jobs: it reaches the engine\'s endpoint', async (t) => {
      const job = await run('endpoint-call', BUSYBOX_TAG, `wget -qO- http://${cloud.endpoint}/health; echo`)
      t.equal((await job.wait()).status, 'SUCCEEDED')
      t.match(JSON.parse((await logOf(job)).join('')), { service: 'stratus', accountId: cloud.engine.accountId })
    })

    t.test('a job without an image runs as a process beside the containers', async (t) => {
      const def = await cloud.batch.jobDefinition('plain').command('sh', '-c', 'test -e /etc/os-release && echo host').vcpus(1).memory(64).register()
      const job = await cloud.batch.job('plain').queue(queue).definition(def).submit()
      t.equal((await job.wait()).status, 'SUCCEEDED')
      t.same(await logOf(job), ['host'])
    })

    t.test('closing the engine leaves nothing behind', async (t) => {
      const sleeper = await run('sleeper', BUSYBOX_TAG, 'echo up; exec sleep 600')
      for await (const line of sleeper.logs()) if (line === 'up') break
      const pids = runner === 'oci' ? await ociPids(cloud) : []
      t.not((await leftovers(runner, cloud, pids)).length, 0, 'something runs')
      await cloud.close()
      closed = true
      t.same(await leftovers(runner, cloud, pids), [])
      if (runner === 'docker') {
        const { stdout } = await exec('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'])
        t.same(stdout.split('\n').filter((name) => name.startsWith(`${cloud.endpoint}/`)), [], 'the images it pulled by the engine\'s endpoint are untagged')
      }
    })
  })
}
