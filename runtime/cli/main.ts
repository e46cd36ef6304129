#!/usr/bin/env node
// stratus — the engine's command line.
//
//   stratus serve [options]            (stratus serve --help lists them)
//   stratus registry scrub --data-dir DIR [--json]
//   stratus exec --endpoint URL --task T [--cluster C] [--container N] [--command CMD]
//
// serve starts the engine's one HTTP endpoint on 127.0.0.1 — the AWS API
// (SigV4 and IAM with --auth iam), the registry under /v2/, the health
// document — logs one line per API call, and runs until interrupted.
// registry scrub checks every blob of a data directory's registry against its
// digest, quarantines the corrupted ones and exits 1 when any blob is
// corrupted (found now, or earlier and not repaired).

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Registry } from '../../registry/index.js'
import { Engine } from '../engine.js'
import { SqliteStore } from '../store/sqlite.js'
import { StoreRepositorySettings } from '../registry-state/index.js'
import { RUNNER_CHOICES, type RunnerChoice } from '../runners/choice.js'
import { callLog, LOG_FORMATS, type LogFormat } from './call-log.js'
import { EXEC_USAGE, ExecUsageError, execCommandLine } from './exec.js'

const USAGE = `usage: stratus <command> [options]

commands:
  serve            run the engine: the AWS API, the registry (/v2/) and /health on one loopback endpoint
  registry scrub   check a data directory's registry blobs against their digests
  exec             ECS Exec: a command (or a shell) in a running task's container, in this terminal
  help             this text; stratus serve --help lists serve's options

       stratus serve [--port 4750] [--data-dir DIR] [--runner auto|docker|oci|process|simulated] [--auth off|iam] [--iam FILE] …
       stratus registry scrub --data-dir DIR [--json]
       stratus exec --endpoint URL --task T [--cluster C] [--container N] [--command CMD]`

const SERVE_USAGE = `usage: stratus serve [options]

  --port N               port on 127.0.0.1 (default 4750; 0 picks a free one)
  --data-dir DIR         keep the engine's state (DIR/state.db: environments, queues, jobs…),
                         the registry, job logs and working directories in DIR; started again
                         with the same DIR, the engine carries on where it stopped
                         (default: a temporary directory and state in memory, removed on exit)
  --store-sync MODE      normal (default: a commit survives the process being killed) or full
                         (it survives power loss too; an fsync per commit)
  --runner NAME          how work runs: auto (default: docker when a Docker engine answers,
                         else oci with runc/crun as root, else process), docker, oci,
                         process or simulated
  --allow-privileged     allow privileged containers (refused otherwise)
  --auth MODE            off (default: any credentials are accepted, as the peers do) or
                         iam (requests must be SigV4-signed by a known key; IAM policies apply)
  --iam FILE             IAM users, roles, access keys and policies, as JSON:
                         { "users": [{ "userName", "accessKeys": [{ "accessKeyId", "secretAccessKey" }],
                           "policies": [{ "policyName", "policyDocument" }], "tags": {} }], "roles": [...],
                           "root": { "accessKeys": [...] } }
                         With --auth iam and no --iam, the account's root signs with test/test;
                         with --iam, root has only the keys its "root" member lists.
  --account-id ID        the 12-digit account of every ARN (default 000000000000)
  --region NAME          the region (default us-east-1)
  --clock real|manual    manual: time moves only when advanced (the /stratus/ API, or the SDK)
  --log-format FORMAT    text (default: one readable line per API call) or json (JSON lines)
  --quiet                no line per API call
  -h, --help             this text`

/** Thrown for bad command-line input: printed with the usage, exit 2. */
class UsageError extends Error {}

function parseServe(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4750' },
      'data-dir': { type: 'string' },
      'store-sync': { type: 'string', default: 'normal' },
      runner: { type: 'string', default: 'auto' },
      'allow-privileged': { type: 'boolean', default: false },
      auth: { type: 'string', default: 'off' },
      iam: { type: 'string' },
      'account-id': { type: 'string' },
      region: { type: 'string' },
      clock: { type: 'string', default: 'real' },
      'log-format': { type: 'string', default: 'text' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  const port = Number(values.port)
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values.port}`)
  const oneOf = (flag: string, value: string, allowed: readonly string[]) => {
    if (!allowed.includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${value}`)
  }
  oneOf('runner', values.runner, RUNNER_CHOICES)
  oneOf('auth', values.auth, ['off', 'iam'])
  oneOf('clock', values.clock, ['real', 'manual'])
  oneOf('store-sync', values['store-sync'], ['normal', 'full'])
  oneOf('log-format', values['log-format'], LOG_FORMATS)
  if (values.iam !== undefined && !existsSync(values.iam)) throw new UsageError(`--iam: no such file ${values.iam}`)
  return { ...values, port }
}

/** Display names of the services the wire API answers, by signing name. */
const SERVICE_NAMES: Record<string, string> = {
  batch: 'AWS Batch', ecr: 'Amazon ECR', logs: 'CloudWatch Logs', iam: 'IAM', sts: 'STS', cloudtrail: 'CloudTrail',
  ecs: 'Amazon ECS', lightsail: 'Amazon Lightsail', events: 'Amazon EventBridge', elasticloadbalancing: 'Elastic Load Balancing v2', acm: 'AWS Certificate Manager',
  stratus: 'Stratus extensions (/stratus/v1/)'
}

/** The banner's lines on the wire API: each service with its protocol, and those answering no operation yet. */
function servicesLines(engine: Engine): string[] {
  const served = engine.api.tables.filter((t) => t.operations.length > 0)
  const pending = engine.api.tables.filter((t) => t.operations.length === 0)
  const byProtocol = new Map<string, string[]>()
  for (const table of served) byProtocol.set(table.protocol, [...(byProtocol.get(table.protocol) ?? []), `${SERVICE_NAMES[table.signingName] ?? table.signingName} (${table.operations.length})`])
  const lines = [...byProtocol].map(([protocol, names], i) => `${i === 0 ? '  api       ' : '            '}${protocol.padEnd(12)}${names.join(', ')}`)
  if (pending.length > 0) lines.push(`  not yet   ${pending.map((t) => SERVICE_NAMES[t.signingName] ?? t.signingName).join(', ')} (their calls answer UnknownOperationException)`)
  return lines
}

/** The account root's access keys, as the banner shows them (a secret only when it is the well-known default). */
function rootKeys(engine: Engine): string {
  const keys = engine.iam.directory.keysOf('root')
  if (keys.length === 0) return 'none (root cannot sign; add "root": { "accessKeys": [...] } to the IAM file)'
  return keys.map((k) => (k.accessKeyId === 'test' && k.secretAccessKey === 'test' ? 'test / test (the default: every policy check passes for it)' : k.accessKeyId)).join(', ')
}

/** What a user exports to point the AWS CLI and SDKs at this engine. */
function exportsFor(endpoint: string, region: string, auth: string, iamFile: string | undefined): string[] {
  return [
    `export AWS_ENDPOINT_URL=http://${endpoint}`,
    `export AWS_REGION=${region} AWS_DEFAULT_REGION=${region}`,
    auth === 'off'
      ? 'export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test   # any credentials are accepted'
      : iamFile === undefined
        ? 'export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test   # the account root'
        : 'export AWS_ACCESS_KEY_ID=<an access key of --iam> AWS_SECRET_ACCESS_KEY=<its secret>',
    `(aws CLI before 2.13 ignores AWS_ENDPOINT_URL: pass --endpoint-url http://${endpoint})`
  ]
}

async function serve(argv: string[]): Promise<void> {
  const options = parseServe(argv)
  if (options.help) {
    console.log(SERVE_USAGE)
    return
  }
  const log = callLog({ format: options['log-format'] as LogFormat, quiet: options.quiet })
  const engine = await Engine.start({
    port: options.port, dataDir: options['data-dir'], storeSync: options['store-sync'] as 'normal' | 'full', runner: options.runner as RunnerChoice, allowPrivileged: options['allow-privileged'],
    auth: options.auth as 'off' | 'iam', ...(options.iam !== undefined ? { iam: options.iam } : {}),
    ...(options['account-id'] !== undefined ? { accountId: options['account-id'] } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
    clock: options.clock as 'real' | 'manual',
    ...(log.observe !== undefined ? { onCall: log.observe } : {})
  })
  const where = options['data-dir'] === undefined
    ? `${engine.dataDir} (temporary, state in memory: removed on exit; pass --data-dir to keep it)`
    : `${engine.dataDir} (state in state.db, ${engine.store.kind} store, synchronous=${options['store-sync']})`
  const lines = [
    `stratus listening on http://${engine.endpoint}`,
    ...servicesLines(engine),
    `  registry  ${engine.endpoint}  (docker push ${engine.endpoint}/<repository>:<tag>; OCI distribution under /v2/)`,
    `  auth      ${options.auth === 'off' ? 'off — any credentials are accepted (--auth iam to require SigV4 and IAM)' : `iam — SigV4-signed requests from known keys, IAM policies enforced${options.iam !== undefined ? ` (${options.iam})` : ''}`}`,
    ...(options.auth === 'iam' ? [`            root key: ${rootKeys(engine)}`] : []),
    `  data      ${where}`,
    ...(engine.runDir !== engine.dataDir ? [`  job logs  ${engine.runDir} (temporary)`] : []),
    `  account   ${engine.accountId}, region ${engine.region}, runner ${engine.runner.kind}, clock ${engine.clock.kind}`,
    `  calls     ${options.quiet ? 'not logged (--quiet)' : `one line each, ${options['log-format']}`}`,
    '',
    'point the AWS CLI and SDKs at it:',
    ...exportsFor(engine.endpoint, engine.region, options.auth, options.iam).map((line) => `  ${line}`),
    ''
  ]
  console.log(lines.join('\n'))
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping`)
    await engine.close()
    log.flush()
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
  // An engine's data directory keeps the repositories' settings in its store (state.db): the
  // scrub reads them there (which repositories link a corrupted blob). Opening it takes the
  // store's lock, so a scrub of a directory a server is using is refused (StoreLocked).
  const statePath = join(dataDir, 'state.db')
  const store = existsSync(statePath) ? SqliteStore.open(statePath) : undefined
  const registry = await Registry.open({
    storage: { driver: 'filesystem', rootDirectory: root },
    lifecycleIntervalMs: 0, uploadPurgeIntervalMs: 0, scrubIntervalMs: 0,
    ...(store !== undefined ? { repositorySettings: new StoreRepositorySettings(store) } : {})
  }).catch(async (error: unknown) => {
    await store?.close()
    throw error
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
    await store?.close()
  }
}

const [command, ...rest] = process.argv.slice(2)
try {
  if (command === 'serve') await serve(rest)
  else if (command === 'registry' && rest[0] === 'scrub') await registryScrub(rest.slice(1))
  else if (command === 'exec') process.exitCode = await execCommandLine(rest)
  else if (command === undefined || command === 'help' || command === '--help' || command === '-h') console.log(USAGE)
  else {
    console.error(`stratus: unknown command ${command}\n${USAGE}`)
    process.exitCode = 2
  }
} catch (error) {
  const usage = error instanceof UsageError || error instanceof ExecUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
  const help = command === 'serve' ? SERVE_USAGE : command === 'exec' ? EXEC_USAGE : undefined
  console.error(`stratus: ${(error as Error).message}${usage && help !== undefined ? `\n${help}` : ''}`)
  process.exit(2)
}
