// Multi-node parallel jobs in containers: on the docker and the oci runner the
// main node really serves on AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS (its
// own 127.x address, in the host's network as Batch runs EC2 jobs) and the
// child nodes really reach it there; and one compute environment backed by
// two Docker engines on this machine places jobs on both and runs one
// multi-node job across both.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { promisify } from 'node:util'
import { Stratus, type Job } from '../../../sdk/index.js'
import type { TaskEvent } from '../../../runtime/tasks/index.js'
import { loadBusyboxIntoDocker, pushBusybox, BUSYBOX_TAG } from '../../fixtures/busybox-image.js'
import { startSecondDockerd } from '../../fixtures/second-dockerd.js'
import { requireTool } from '../../tools.js'

const exec = promisify(execFile)

async function logOf(job: Job): Promise<string[]> {
  const lines: string[] = []
  for await (const line of job.logs({ follow: false })) lines.push(line)
  return lines
}

/** A port free on 127.0.0.1 now (the main node binds it on its own 127.x address). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

// The main node serves a CGI on its address; each child node calls it with its index; the main
// node ends once every child has called.
const MAIN = [
  'set -e; mkdir -p /tmp/www/cgi-bin',
  `printf '#!/bin/sh\\necho "Content-Type: text/plain"\\necho\\necho "hello node $QUERY_STRING"\\ntouch /tmp/www/seen-$QUERY_STRING\\n' > /tmp/www/cgi-bin/hi`,
  'chmod +x /tmp/www/cgi-bin/hi',
  'httpd -p "$AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS:$PORT" -h /tmp/www',
  'echo "main node $AWS_BATCH_JOB_NODE_INDEX of $AWS_BATCH_JOB_NUM_NODES serves"',
  'while [ "$(ls /tmp/www | grep -c seen-)" -lt $((AWS_BATCH_JOB_NUM_NODES - 1)) ]; do sleep 0.1; done',
  'echo "main node saw every child"'
].join('\n')
const CHILD = [
  'for i in $(seq 150); do',
  '  out=$(wget -q -O - "http://$AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS:$PORT/cgi-bin/hi?$AWS_BATCH_JOB_NODE_INDEX" 2>/dev/null) && break',
  '  sleep 0.2',
  'done',
  'echo "child got: $out"'
].join('\n')

async function mnpJob(cloud: Stratus, queue: Parameters<ReturnType<Stratus['batch']['job']>['queue']>[0], numNodes: number): Promise<Job> {
  const port = String(await freePort())
  const def = await cloud.batch.jobDefinition('mnp').vcpus(1).memory(128).multiNode({ numNodes, mainNode: 0 })
    .nodeRange('0', (c) => c.image(BUSYBOX_TAG).command('sh', '-c', MAIN).env({ PORT: port }))
    .nodeRange('1:', (c) => c.image(BUSYBOX_TAG).command('sh', '-c', CHILD).env({ PORT: port }))
    .register()
  return cloud.batch.job('mnp').queue(queue).definition(def).submit()
}

async function checkExchange(t: Test, job: Job, numNodes: number): Promise<void> {
  const done = await job.wait()
  t.equal(done.status, 'SUCCEEDED', 'the main node exited 0: every child reached it')
  const main = await logOf(job.node(0))
  t.same(main, [`main node 0 of ${numNodes} serves`, 'main node saw every child'])
  for (let i = 1; i < numNodes; i++) t.same(await logOf(job.node(i)), [`child got: hello node ${i}`], `child node ${i} got the main node's answer`)
}

await requireTool('docker', 'busybox')
await loadBusyboxIntoDocker()

for (const runner of ['docker', 'oci'] as const) {
  t.test(`multi-node parallel jobs on the ${runner} runner: the children reach the main node's address`, async (t) => {
    await using cloud = await Stratus.embedded({ runner })
    await pushBusybox(cloud.engine.registry, BUSYBOX_TAG)
    const ce = await cloud.batch.computeEnvironment('mnp').managed().minVcpus(6).maxVcpus(6).instanceTypes('m5.large').create()
    const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
    await checkExchange(t, await mnpJob(cloud, queue, 3), 3)
  })
}

t.test('one compute environment over two Docker engines: jobs on both, a multi-node job across both', async (t) => {
  const second = await startSecondDockerd()
  t.teardown(() => second.stop())
  await loadBusyboxIntoDocker(second.host)
  const hosts = [{ name: 'local', socketPath: '/var/run/docker.sock' }, { name: 'second', socketPath: second.socketPath }]
  const cloud = await Stratus.embedded({ runner: 'docker', docker: { hosts } })
  t.teardown(() => cloud.close())
  const hostsRun: string[] = []
  const unwatch = cloud.engine.launcher.watch((event: TaskEvent) => {
    if (event.type === 'running' && event.row.spec.host !== undefined) hostsRun.push(event.row.spec.host)
  })
  t.teardown(unwatch)
  // Two m5.large instances (2 vCPUs each): the first on one engine, the second on the other.
  const ce = await cloud.batch.computeEnvironment('two').managed().minVcpus(4).maxVcpus(4).instanceTypes('m5.large').create()
  const queue = await cloud.batch.jobQueue('q').computeEnvironments(ce).create()
  const nodes = await ce.nodes()
  t.equal(nodes.length, 2)

  const def = await cloud.batch.jobDefinition('sleepy').image(BUSYBOX_TAG).command('sh', '-c', 'echo up; exec sleep 600').vcpus(2).memory(128).register()
  const jobs = await Promise.all([0, 1].map((i) => cloud.batch.job(`sleepy-${i}`).queue(queue).definition(def).submit()))
  for (const job of jobs) for await (const line of job.logs()) if (line === 'up') break
  const running = async (host: string) => {
    const { stdout } = await exec('docker', ['-H', host, 'ps', '-q', '--filter', `label=stratus.engine=${cloud.engine.id}`])
    return stdout.split('\n').filter(Boolean).length
  }
  t.equal(await running('unix:///var/run/docker.sock'), 1, 'one job runs on the local engine')
  t.equal(await running(second.host), 1, 'the other on the second engine')
  t.same([...hostsRun].sort(), ['local', 'second'])
  for (const job of jobs) await job.terminate('enough')
  for (const job of jobs) t.equal((await job.wait()).status, 'FAILED')

  hostsRun.length = 0
  await checkExchange(t, await mnpJob(cloud, queue, 2), 2)
  t.same([...hostsRun].sort(), ['local', 'second'], 'each node on an instance of its own: one per engine')
  await cloud.close()
  t.equal(await running('unix:///var/run/docker.sock') + await running(second.host), 0, 'nothing left on either engine')
})
