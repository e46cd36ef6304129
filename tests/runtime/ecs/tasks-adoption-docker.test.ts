// Adoption after a crash: an engine on docker with a data directory runs a
// task and is killed (SIGKILL); a new engine over the same directory finds the
// task's container still running and adopts it — the task stays RUNNING with
// the same container, no second container is started — and stopping it then
// works as for any task.
import t from 'tap'
import { spawn, execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Engine } from '../../../runtime/engine.js'
import type { Task } from '../../../runtime/ecs/model-tasks.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'

const exec = promisify(execFile)
const CHILD = fileURLToPath(new URL('./tasks-adoption-child.ts', import.meta.url))

async function containersOf(engineId: string): Promise<string[]> {
  const { stdout } = await exec('docker', ['ps', '-a', '--no-trunc', '--filter', `label=stratus.engine=${engineId}`, '--format', '{{.ID}} {{.State}}'])
  return stdout.split('\n').filter((l) => l !== '').sort()
}

async function reach(engine: Engine, arn: string, status: string): Promise<Task> {
  const until = Date.now() + 30_000
  for (;;) {
    const task = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
    if (task?.lastStatus === status) return task
    if (Date.now() > until) throw new Error(`task ${arn} is ${task?.lastStatus} (${task?.stoppedReason ?? ''}), not ${status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

t.test('a crashed engine\'s task is adopted by the next engine over the same data directory', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ecs-adoption-'))
  let engineId: string | undefined
  t.teardown(async () => {
    // Whatever a failed run left behind.
    if (engineId !== undefined) {
      const left = (await containersOf(engineId)).map((l) => l.split(' ')[0])
      if (left.length > 0) await exec('docker', ['rm', '-f', ...left]).catch(() => {})
    }
    await rm(dataDir, { recursive: true, force: true })
  })

  const loader = process.execArgv.filter((a) => a.includes('typescript') || a.includes('tsx'))
  const child = spawn(process.execPath, [...loader, CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let errors = ''
  child.stderr!.on('data', (c) => { errors += c })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const first = await new Promise<{ taskArn: string; runtimeId: string; engineId: string }>((resolve, reject) => {
    let line = ''
    child.stdout!.on('data', (c) => {
      line += c
      const nl = line.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(line.slice(0, nl)))
    })
    child.once('exit', (code, signal) => reject(new Error(`the child engine exited (${code ?? signal}): ${errors}`)))
  })
  engineId = first.engineId
  const before = await containersOf(engineId)
  t.ok(before.length > 0 && before.every((l) => l.endsWith(' running')), 'the task\'s container runs')
  child.kill('SIGKILL')
  await exited

  t.same(await containersOf(engineId), before, 'the kill left the container running')
  const engine = await Engine.start({ dataDir, runner: 'docker', port: 0 })
  t.teardown(() => engine.close())
  t.equal(engine.id, engineId)
  const adopted = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [first.taskArn] })).tasks![0]
  t.equal(adopted.lastStatus, 'RUNNING', 'the task stays RUNNING')
  t.equal(adopted.desiredStatus, 'RUNNING')
  t.equal(adopted.containers![0].runtimeId, first.runtimeId, 'with the same container')
  t.same((await engine.ecs.listTasks({ cluster: 'work' })).taskArns, [first.taskArn], 'one task, none launched twice')
  t.same(await containersOf(engineId), before, 'no container was started or removed')

  await engine.ecs.stopTask({ cluster: 'work', task: first.taskArn })
  const stopped = await reach(engine, first.taskArn, 'STOPPED')
  t.equal(stopped.stopCode, 'UserInitiated')
  t.equal(stopped.containers![0].exitCode, 143, 'SIGTERM reached the adopted container')
  t.same(await containersOf(engineId), [], 'its container is gone')
})
