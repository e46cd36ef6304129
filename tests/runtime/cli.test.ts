// `stratus serve`: starts the engine's endpoint on loopback with the registry
// under /v2/, says where its data lives, and stops cleanly on SIGTERM.
// `stratus registry scrub`: checks a data directory's registry blobs, exit 1 on corruption.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from '../../registry/index.js'
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
  t.match(unknown.err, /usage: stratus serve/)
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
