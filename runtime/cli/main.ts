#!/usr/bin/env node
// stratus — the engine's command line.
//
//   stratus serve [--port 4750] [--data-dir DIR] [--runner auto|docker|oci|process|simulated] [--allow-privileged]
//   stratus registry scrub --data-dir DIR [--json]
//
// serve starts the engine's HTTP endpoint on 127.0.0.1 (the registry under /v2/)
// and runs until interrupted. registry scrub checks every blob of a data
// directory's registry against its digest, quarantines the corrupted ones and
// exits 1 when any blob is corrupted (found now, or earlier and not repaired).

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Registry } from '../../registry/index.js'
import { Engine } from '../engine.js'
import { RUNNER_CHOICES, type RunnerChoice } from '../runners/choice.js'

const USAGE = `usage: stratus serve [--port 4750] [--data-dir DIR] [--runner auto|docker|oci|process|simulated] [--allow-privileged]
       stratus registry scrub --data-dir DIR [--json]`

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4750' },
      'data-dir': { type: 'string' },
      runner: { type: 'string', default: 'auto' },
      'allow-privileged': { type: 'boolean', default: false }
    },
    strict: true
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`)
  if (!(RUNNER_CHOICES as readonly string[]).includes(values.runner)) throw new Error(`--runner must be one of ${RUNNER_CHOICES.join(', ')}, got ${values.runner}`)
  const engine = await Engine.start({
    port, dataDir: values['data-dir'], runner: values.runner as RunnerChoice, allowPrivileged: values['allow-privileged']
  })
  const where = values['data-dir'] === undefined ? `${engine.dataDir} (temporary: removed on exit; pass --data-dir to keep it)` : engine.dataDir
  console.log(`stratus listening on http://${engine.endpoint}`)
  console.log(`  registry  ${engine.endpoint}  (docker push ${engine.endpoint}/<repository>:<tag>)`)
  console.log(`  data      ${where}`)
  if (engine.runDir !== engine.dataDir) console.log(`  job logs  ${engine.runDir} (temporary)`)
  console.log(`  account   ${engine.accountId}, region ${engine.region}, runner ${engine.runner.kind}`)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping`)
    await engine.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/**
 * Opens the registry storage of a data directory (where `serve --data-dir DIR` keeps it),
 * scrubs it and prints the report. Run it on a directory no server is using: a registry
 * process owns its storage (a running server scrubs itself daily, or on demand through the
 * SDK). Exit status: 0 clean, 1 corruption, 2 usage or I/O error.
 */
async function registryScrub(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true })
  const dataDir = values['data-dir']
  if (dataDir === undefined) throw new Error('--data-dir is required (the directory given to stratus serve --data-dir)')
  const root = join(dataDir, 'registry')
  if (!existsSync(root)) throw new Error(`--data-dir: no registry storage at ${root}`)
  const registry = await Registry.open({
    storage: { driver: 'filesystem', rootDirectory: root },
    lifecycleIntervalMs: 0, uploadPurgeIntervalMs: 0, scrubIntervalMs: 0
  })
  try {
    const report = await registry.scrub()
    const quarantined = registry.quarantinedBlobs()
    if (values.json) {
      console.log(JSON.stringify({ ...report, quarantined }))
    } else {
      console.log(`scrubbed ${report.blobsChecked} blobs (${(report.bytesChecked / 1e6).toFixed(1)} MB) in ${root}`)
      console.log(`corrupted now: ${report.blobsCorrupted.length}; in quarantine (not repaired): ${quarantined.length}`)
      for (const q of quarantined) {
        const found = report.blobsCorrupted.includes(q.digest) ? 'found now' : `found ${new Date(q.detectedAt).toISOString()} by ${q.detectedBy}`
        console.log(`  ${q.digest}  ${q.reason}, ${found}; linked from ${q.repositories.join(', ') || 'no repository'}`)
      }
      if (quarantined.length > 0) console.log('push the images that hold them again to repair them')
    }
    process.exitCode = report.blobsCorrupted.length > 0 || quarantined.length > 0 ? 1 : 0
  } finally {
    await registry.close()
  }
}

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'serve') await serve(rest)
  else if (command === 'registry' && rest[0] === 'scrub') await registryScrub(rest.slice(1))
  else {
    console.error(USAGE)
    process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
} catch (error) {
  console.error(`stratus: ${(error as Error).message}`)
  process.exit(2)
}
