// `stratus serve`: starts the engine's endpoint on loopback with the registry
// under /v2/, says where its data lives, and stops cleanly on SIGTERM.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

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
  t.match(unknown.err, /usage: stratus serve/)
  const badPort = await run(['serve', '--port', '99999'])
  t.equal(badPort.code, 2)
  t.match(badPort.err, /--port/)
})
