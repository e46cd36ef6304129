// A crash of the engine mid-deployment (SQLite data dir, docker runner, the
// engine in a child process killed with SIGKILL while a rolling update runs):
// the engine started again over the same directory finishes the deployment
// with runningCount equal to the live containers (docker ps by the engine's
// labels) and no task of the new deployment launched twice.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'

const exec = promisify(execFile)
const CHILD = fileURLToPath(new URL('./services-crash-child.ts', import.meta.url))

interface Child { line: Promise<Record<string, any>>; kill(signal: NodeJS.Signals): Promise<void> }

function startChild(dataDir: string, mode: 'start' | 'resume'): Child {
  const loader = process.execArgv.filter((a) => a.includes('typescript') || a.includes('tsx'))
  const child = spawn(process.execPath, [...loader, CHILD, dataDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (c) => { err += c })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const line = new Promise<Record<string, any>>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (c) => {
      out += c
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)))
    })
    child.once('exit', (code, signal) => reject(new Error(`child ${mode} exited (${code ?? signal}): ${err}`)))
  })
  return {
    line,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    }
  }
}

async function containersOf(engineId: string): Promise<Array<{ id: string; state: string; sandbox: string }>> {
  const { stdout } = await exec('docker', ['ps', '-a', '--no-trunc', '--filter', `label=stratus.engine=${engineId}`, '--format', '{{.ID}}\t{{.State}}\t{{.Label "stratus.sandbox"}}'])
  return stdout.split('\n').filter(Boolean).map((l) => {
    const [id, state, sandbox] = l.split('\t')
    return { id, state, sandbox }
  })
}

t.test('a crash mid-deployment: the next engine finishes it, runningCount = live containers, no double launch', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const dir = await mkdtemp(join(tmpdir(), 'stratus-svc-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  const first = startChild(dir, 'start')
  t.teardown(() => first.kill('SIGKILL'))
  const deploying = await first.line
  const engineId = String(deploying.engineId)
  t.teardown(async () => {
    for (const c of await containersOf(engineId).catch(() => [])) await exec('docker', ['rm', '-f', c.id]).catch(() => undefined)
  })
  await first.kill('SIGKILL')
  const left = await containersOf(engineId)
  t.ok(left.filter((c) => c.state === 'running').length >= 3, `the killed engine's containers still run (${left.length})`)

  const second = startChild(dir, 'resume')
  t.teardown(() => second.kill('SIGKILL'))
  const settled = await second.line
  t.ok(settled.settled, `the deployment completed after the restart: ${JSON.stringify(settled.deployments)}`)
  const running = (await containersOf(engineId)).filter((c) => c.state === 'running')
  t.equal(settled.runningCount, running.length, 'runningCount is the live containers (docker ps by the engine\'s labels)')
  t.equal(running.length, 3)
  const liveRuns = new Set(running.map((c) => c.sandbox))
  t.ok(settled.live.every((l: { runId: string; taskDefinitionArn: string }) => liveRuns.has(l.runId) && l.taskDefinitionArn === deploying.v2), 'each live task is a running container of revision 2')
  const launched = settled.primaryTasks.length
  t.ok(launched <= 3 + settled.primaryTasks.filter((p: { lastStatus: string }) => p.lastStatus === 'STOPPED').length, 'only stopped tasks were replaced')
  t.same(settled.primaryTasks.filter((p: { lastStatus: string }) => p.lastStatus !== 'STOPPED').length, 3, 'exactly 3 live tasks of the new deployment: none launched twice')
  await second.kill('SIGTERM')
})
