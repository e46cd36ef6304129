// ECS tasks as real containers (docker runner, one engine): a two-container
// Fargate task serving HTTP on its own 127.x address, whose containers share
// one localhost; an EC2 bridge task reached on the dynamic host port it was
// given; an essential container's exit stopping its task with its exit code;
// a health check making the task HEALTHY and a dependsOn HEALTHY start order.
import t from 'tap'
import http from 'node:http'
import { readFile } from 'node:fs/promises'
import { Engine } from '../../../runtime/engine.js'
import type { Task } from '../../../runtime/ecs/model-tasks.js'
import { containerLogPath } from '../../../runtime/ecs/sandbox-spec.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'
import { FARGATE_NETWORK, fargateDefinition, seedCluster, seedDefinition } from './tasks-fixtures.js'

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = ''
      res.on('data', (c) => { body += c })
      res.on('end', () => resolve(body))
    }).on('error', reject)
  })
}

/** Polls until the task reaches `status` (or fails the test after a generous bound, never asserting on time). */
async function reach(engine: Engine, arn: string, status: string, bound = 30_000): Promise<Task> {
  const until = Date.now() + bound
  for (;;) {
    const task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
    if (task?.lastStatus === status) return task
    if (Date.now() > until) throw new Error(`task ${arn} is ${task?.lastStatus} (${task?.stoppedReason ?? ''}), not ${status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function fetchWithRetry(host: string, port: number): Promise<string> {
  let last: unknown
  for (let i = 0; i < 50; i++) {
    try {
      return await get(host, port)
    } catch (error) {
      last = error
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw last
}

const SERVE = 'mkdir -p /www && echo "hello from $WHO" > /www/index.html && exec httpd -f -p 8080 -h /www'

t.test('tasks are real containers', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const engine = await Engine.start({ runner: 'docker' })
  t.teardown(() => engine.close())
  seedCluster(engine, 'work', { instances: [{ vcpus: 2, memory: 4096 }] })

  t.test('a two-container Fargate task serves HTTP on its own address, its containers on one localhost', async (t) => {
    fargateDefinition(engine, 'fg-web', [
      {
        name: 'web', image: 'busybox:1.36', command: ['sh', '-c', SERVE], environment: [{ name: 'WHO', value: 'fargate' }], portMappings: [{ containerPort: 8080 }],
        healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/'], interval: 5, timeout: 2, retries: 3 }
      },
      // Started once web is HEALTHY; reaches it on localhost: the task's containers share one network namespace.
      {
        name: 'probe', image: 'busybox:1.36', essential: false, dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }],
        command: ['sh', '-c', 'wget -q -O /tmp/page http://127.0.0.1:8080/ && cat /tmp/page; exec sleep 600']
      }
    ], '512', '1024')
    const { tasks, failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'fg-web', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
    t.same(failures, [])
    const running = await reach(engine, tasks![0].taskArn!, 'RUNNING')
    const address = running.attachments![0].details!.find((d) => d.name === 'privateIPv4Address')!.value!
    t.match(address, /^127\./)
    t.equal(await fetchWithRetry(address, 8080), 'hello from fargate\n', 'served on the task ENI address')
    // The task is HEALTHY once its essential container's check passes (its health came with the runner's reports).
    let healthy = running
    for (let i = 0; i < 300 && healthy.healthStatus !== 'HEALTHY'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      healthy = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [running.taskArn!] })).tasks![0]
    }
    t.equal(healthy.healthStatus, 'HEALTHY')
    t.equal(healthy.containers!.find((c) => c.name === 'web')!.healthStatus, 'HEALTHY')
    // The probe reached the web container on 127.0.0.1 and wrote the page to its log.
    const probeLog = containerLogPath(engine.ecs.context, running.taskArn!.split('/').pop()!, 'probe')
    let logged = ''
    for (let i = 0; i < 100 && !logged.includes('hello from fargate'); i++) {
      logged = await readFile(probeLog, 'utf8').catch(() => '')
      if (!logged.includes('hello from fargate')) await new Promise((r) => setTimeout(r, 100))
    }
    t.match(logged, /hello from fargate/, 'the other container reached it on localhost')
    const web = running.containers!.find((c) => c.name === 'web')!
    t.ok(web.runtimeId !== undefined && web.runtimeId.length > 0, 'the container id is reported')
    t.ok(running.pullStartedAt instanceof Date && running.pullStoppedAt instanceof Date, 'pull times are reported')
    await engine.ecs.stopTask({ cluster: 'work', task: running.taskArn! })
    const stopped = await reach(engine, running.taskArn!, 'STOPPED')
    t.equal(stopped.stopCode, 'UserInitiated')
  })

  t.test('an EC2 bridge task is reached on its dynamic host port', async (t) => {
    seedDefinition(engine, 'bridge-web', [
      { name: 'web', image: 'busybox:1.36', memory: 64, command: ['sh', '-c', SERVE], environment: [{ name: 'WHO', value: 'bridge' }], portMappings: [{ containerPort: 8080, hostPort: 0 }] },
      { name: 'side', image: 'busybox:1.36', memory: 32, essential: false, command: ['sleep', '600'] }
    ])
    const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'bridge-web' })
    const running = await reach(engine, tasks![0].taskArn!, 'RUNNING')
    const binding = running.containers!.find((c) => c.name === 'web')!.networkBindings![0]
    t.equal(binding.containerPort, 8080)
    t.ok(binding.hostPort! > 0 && binding.hostPort !== 8080, `a dynamic host port (${binding.hostPort})`)
    const host = binding.bindIP === '0.0.0.0' || binding.bindIP === undefined ? '127.0.0.1' : binding.bindIP
    t.equal(await fetchWithRetry(host, binding.hostPort!), 'hello from bridge\n')
    await engine.ecs.stopTask({ cluster: 'work', task: running.taskArn! })
    await reach(engine, running.taskArn!, 'STOPPED')
  })

  t.test("an essential container's exit stops the task with its exit code", async (t) => {
    seedDefinition(engine, 'exits', [
      { name: 'main', image: 'busybox:1.36', memory: 32, command: ['sh', '-c', 'sleep 0.5; exit 5'] },
      { name: 'side', image: 'busybox:1.36', memory: 32, essential: false, command: ['sleep', '600'] }
    ])
    const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'exits' })
    const stopped = await reach(engine, tasks![0].taskArn!, 'STOPPED')
    t.equal(stopped.stopCode, 'EssentialContainerExited')
    t.equal(stopped.stoppedReason, 'Essential container in task exited')
    t.equal(stopped.containers!.find((c) => c.name === 'main')!.exitCode, 5)
    t.equal(stopped.containers!.find((c) => c.name === 'side')!.lastStatus, 'STOPPED')
  })

  // Regression: a host-mode task ran with Docker's host network, the machine's own: a server on 0.0.0.0 faced the LAN.
  t.test('a host-mode task fails to start naming networkMode: never on the machine\'s network', async (t) => {
    seedDefinition(engine, 'on-host', [{ name: 'web', image: 'busybox:1.36', memory: 64, command: ['httpd', '-f', '-p', '18080'], portMappings: [{ containerPort: 18080 }] }], { networkMode: 'host' })
    const { tasks, failures } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'on-host' })
    t.same(failures, [])
    const stopped = await reach(engine, tasks![0].taskArn!, 'STOPPED')
    t.equal(stopped.stopCode, 'TaskFailedToStart')
    t.match(stopped.stoppedReason, /networkMode host/)
    t.equal(engine.pools.nodes('ecs-work')[0].value.running, 0, 'it holds nothing on its instance')
  })
})
