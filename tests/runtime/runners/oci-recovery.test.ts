// Recovery after the runner's process is killed with SIGKILL: its containers run
// on (each with its shim), and a new runner with the same engine id and state
// dir finds them: list() shows them recovered, with their labels; attach() hears
// their exits, also of one that ended while no runner was alive; stop() ends one;
// published ports answer again; close() leaves nothing. The sandboxes that end
// by themselves end when the test opens their gate (oci-recovery-child.ts): on a
// loaded machine a sleep once ran out before the first runner was killed, and
// the test then waited for an exit nobody would report (tap's 300 s timeout).
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Registry } from '../../../registry/index.js'
import { registryImageSource, type SandboxInfo } from '../../../runtime/runners/index.js'
import { OciRunner } from '../../../runtime/runners/oci/index.js'
import { bundleDir } from '../../../runtime/runners/oci/bundle.js'
import { enginePrefix, readEvents, sandboxKey } from '../../../runtime/runners/oci/state.js'
import { observer, until } from './conformance-kit.js'

const get = (host: string, port: number) => new Promise<string>((resolve, reject) => {
  http.get({ host, port, path: '/', agent: false }, (res) => {
    let body = ''
    res.on('data', (c) => (body += c))
    res.on('end', () => resolve(body))
  }).on('error', reject)
})

/** The first runner lives in a child process (oci-recovery-child.ts, with the loader this test runs under). */
function firstRunner(stateDir: string, engineId: string, dir: string, scenario: string) {
  const loader = process.execArgv.filter((a) => a.includes('typescript') || a === '--import=tsx')
  const child = spawn(process.execPath, [...loader, join(import.meta.dirname, 'oci-recovery-child.ts'), stateDir, engineId, dir, scenario], { stdio: ['ignore', 'pipe', 'inherit'] })
  const ready = new Promise<SandboxInfo[]>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { ready: SandboxInfo[] }).ready)
    })
    child.on('exit', (code) => reject(new Error(`the first runner exited (${code}) before it was ready`)))
  })
  return { child, ready }
}

/** Lets a gated container of the first runner end. */
async function openGate(dir: string, name: string): Promise<void> {
  await writeFile(join(dir, 'gate', name), '')
}

/** Until the shim of sandbox `id` (one container) has written how it ended: it ended with no runner alive. */
async function endedUnheard(stateDir: string, engineId: string, id: string): Promise<void> {
  const events = join(bundleDir(stateDir, `${enginePrefix(engineId)}${sandboxKey(id)}-0`), 'events')
  await until(async () => (await readEvents(events)).ended !== undefined)
}

async function killed(child: ReturnType<typeof spawn>): Promise<void> {
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
}

t.test('a runner killed with SIGKILL: a new one finds its sandboxes', { timeout: 150_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-oci-recovery-'))
  const stateDir = join(dir, 'state')
  const engineId = `recovery-${process.pid}`
  const registry = await Registry.open({ storage: { driver: 'inmemory' } })
  let second: OciRunner | undefined
  t.teardown(async () => {
    await second?.close()
    await registry.close()
    await rm(dir, { recursive: true, force: true })
  })

  const { child, ready: starting } = firstRunner(stateDir, engineId, dir, 'main')
  const ready = await starting
  const port = ready[0].containers[0].networkBindings![0].hostPort
  await until(async () => (await get('127.0.0.6', port).catch(() => '')) === 'recovered-web\n')
  await killed(child)
  await openGate(dir, 'short') // it ends now, with no runner alive
  await endedUnheard(stateDir, engineId, 'short')

  second = await OciRunner.create({ now: () => Date.now(), engineId, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir, graceMs: 2000 })
  const found = second.list().sort((a, b) => a.id.localeCompare(b.id))
  t.same(found.map((s) => [s.id, s.labels.role, s.recovered, s.state]), [
    ['late', 'late', true, 'running'], ['pair', 'pair', true, 'running'], ['short', 'short', true, 'exited'], ['web', 'web', true, 'running']
  ])
  t.same(second.list({ role: 'web' }).map((s) => s.id), ['web'], 'found by label')
  const byId = new Map(ready.map((s) => [s.id, s]))
  for (const s of found) t.equal(s.startedAt, byId.get(s.id)!.startedAt, `${s.id} keeps its start time`)
  t.match(second.inspect('web')?.containers[0], { state: 'running', pid: ready[0].containers[0].pid, networkBindings: [{ bindIP: '127.0.0.6', hostPort: port }] })
  t.equal(await get('127.0.0.6', port), 'recovered-web\n', 'its port answers again, on the same host port')

  const short = observer()
  t.equal(second.attach!('short', short.listener), true)
  t.match(await short.done, { exitCode: 7, stopped: false }, 'an exit while no runner was alive is heard')
  t.equal(second.inspect('short'), undefined)

  const late = observer()
  t.equal(second.attach!('late', late.listener), true)
  t.equal(second.attach!('late', observer().listener), false, 'one listener per sandbox')
  t.equal(second.attach!('nope', observer().listener), false)
  await openGate(dir, 'late')
  t.match(await late.done, { exitCode: 5, stopped: false }, 'an exit after attach() is heard')

  const web = observer()
  second.attach!('web', web.listener)
  t.equal(second.stop('web', { graceMs: 2000 }), true)
  t.match(await web.done, { exitCode: null, signal: 'SIGTERM', stopped: true })
  t.same(web.calls, ['exited'], 'running() is not repeated')
  t.equal(await get('127.0.0.6', port).then(() => 'answered', () => 'refused'), 'refused')

  const pair = observer()
  second.attach!('pair', pair.listener)
  await second.close()
  t.match(await pair.done, { signal: 'SIGKILL', stopped: true })
  second = undefined

  const third = await OciRunner.create({ now: () => Date.now(), engineId, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir })
  t.same(third.list(), [], 'nothing is left for a third runner')
  t.same((await third.runtime.list()).map((c) => c.id), [], 'the runtime has no container left')
  await third.close()
})

t.test('a recovered sandbox stopped without a listener leaves list()', { timeout: 150_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-oci-recovery-'))
  const stateDir = join(dir, 'state')
  const engineId = `recovery-stop-${process.pid}`
  const registry = await Registry.open({ storage: { driver: 'inmemory' } })
  let second: OciRunner | undefined
  t.teardown(async () => {
    await second?.close()
    await registry.close()
    await rm(dir, { recursive: true, force: true })
  })
  const { child, ready } = firstRunner(stateDir, engineId, dir, 'stop')
  await ready
  await killed(child)
  await openGate(dir, 'gone') // it ends now, with no runner alive
  await endedUnheard(stateDir, engineId, 'gone')

  second = await OciRunner.create({ now: () => Date.now(), engineId, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir, graceMs: 2000 })
  t.same(second.list().map((s) => [s.id, s.state]).sort(), [['gone', 'exited'], ['orphan', 'running']])

  // As the TaskLauncher does after a restart: stop every recovered sandbox, attaching to none.
  t.equal(second.stop('orphan', { graceMs: 2000 }), true)
  // Its teardown removes its record last: once that is gone, the sandbox is forgotten, or kept (what broke).
  await until(async () => !(await readdir(join(stateDir, 'sandboxes'))).includes(`${sandboxKey('orphan')}.json`))
  // The record's unlink is seen by readdir before rm()'s promise settles: give the teardown's last steps a bounded while.
  for (let i = 0; i < 500 && second.inspect('orphan') !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(second.inspect('orphan'), undefined, 'a stopped recovered sandbox is gone once it ended')
  t.equal(second.stop('gone'), true, 'stop() removes a recovered sandbox that ended before anyone attached')
  t.same(second.list(), [], 'neither lingers in list()')
  t.equal(second.attach!('orphan', observer().listener), false)
  t.equal(second.attach!('gone', observer().listener), false)
  t.same(await readdir(join(stateDir, 'sandboxes')), [], 'their records are gone')
  t.same((await second.runtime.list()).map((c) => c.id), [], 'and their containers')
})
