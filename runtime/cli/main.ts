#!/usr/bin/env node
// stratus — the engine's command line.
//
//   stratus serve [--port 4750] [--data-dir DIR] [--runner process|simulated]
//
// Starts the engine's HTTP endpoint on 127.0.0.1 (the registry under /v2/)
// and runs until interrupted.

import { parseArgs } from 'node:util'
import { Engine } from '../engine.js'
import type { RunnerName } from '../runners/index.js'

const USAGE = `usage: stratus serve [--port 4750] [--data-dir DIR] [--runner process|simulated]`

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4750' },
      'data-dir': { type: 'string' },
      runner: { type: 'string', default: 'process' }
    },
    strict: true
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`)
  const engine = await Engine.start({ port, dataDir: values['data-dir'], runner: values.runner as RunnerName })
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

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'serve') await serve(rest)
  else {
    console.error(USAGE)
    process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
} catch (error) {
  console.error(`stratus: ${(error as Error).message}`)
  process.exit(2)
}
