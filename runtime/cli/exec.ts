// stratus exec: ECS Exec in the terminal. Calls ExecuteCommand on the
// engine's endpoint (SigV4-signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, default test/test, for AWS_REGION, default us-east-1),
// opens the session's WebSocket and joins it to this terminal: raw mode and a
// TTY for the command when stdin is a terminal (resized on SIGWINCH), plain
// pipes otherwise. Exits with the command's exit code.

import { parseArgs } from 'node:util'
import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'
import { openExecStream, type ExecCredentials } from '../ecs/exec-stream.js'
import type { ExecuteCommandResponse } from '../ecs/model-exec.js'

export const EXEC_USAGE = `usage: stratus exec --endpoint URL --task TASK [--cluster C] [--container NAME] [--command "sh"]

  --endpoint URL     the engine (http://127.0.0.1:4750)
  --cluster C        the task's cluster (default: default)
  --task T           the task's ARN or id (started with enableExecuteCommand)
  --container NAME   the container (needed when the task has several)
  --command CMD      what to run, by /bin/sh -c (default: sh)

  Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (default test/test), AWS_REGION (default us-east-1).
  Exits with the command's exit code.`

export class ExecUsageError extends Error {}

/** The environment's credentials: ExecuteCommand and the stream's handshake are signed with the same key. */
function credentialsOf(env: NodeJS.ProcessEnv): ExecCredentials {
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test', ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1'
  }
}

async function executeCommand(endpoint: URL, input: Record<string, unknown>): Promise<ExecuteCommandResponse> {
  const { region, ...credentials } = credentialsOf(process.env)
  const signer = new SignatureV4({ credentials, region: region!, service: 'ecs', sha256: Hash.bind(null, 'sha256') })
  const body = JSON.stringify(input)
  const signed = await signer.sign({
    method: 'POST', protocol: endpoint.protocol, hostname: endpoint.hostname, port: Number(endpoint.port) || undefined, path: '/',
    headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ExecuteCommand' }, body
  })
  const response = await fetch(new URL('/', endpoint), { method: 'POST', headers: signed.headers, body })
  const text = await response.text()
  if (!response.ok) {
    let shown = text
    try {
      const error = JSON.parse(text) as { __type?: string; message?: string }
      shown = `${error.__type ?? response.status}: ${error.message ?? ''}`
    } catch { /* not JSON: shown as it is */ }
    throw new Error(`ExecuteCommand failed: ${shown}`)
  }
  return JSON.parse(text) as ExecuteCommandResponse
}

/** Runs `stratus exec`; resolves with the exit code the process should end with. */
export async function execCommandLine(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      endpoint: { type: 'string' }, cluster: { type: 'string' }, task: { type: 'string' }, container: { type: 'string' },
      command: { type: 'string', default: 'sh' }, help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) {
    console.log(EXEC_USAGE)
    return 0
  }
  if (values.endpoint === undefined) throw new ExecUsageError('--endpoint is required (http://127.0.0.1:4750)')
  if (values.task === undefined) throw new ExecUsageError('--task is required (the task\'s ARN or id)')
  let endpoint: URL
  try {
    endpoint = new URL(values.endpoint)
  } catch {
    throw new ExecUsageError(`--endpoint must be http://host:port, got ${values.endpoint}`)
  }
  const answer = await executeCommand(endpoint, {
    task: values.task, command: values.command, interactive: true,
    ...(values.cluster !== undefined ? { cluster: values.cluster } : {}), ...(values.container !== undefined ? { container: values.container } : {})
  })
  const session = answer.session
  if (session?.streamUrl === undefined || session.tokenValue === undefined) throw new Error('ExecuteCommand answered no session')
  const tty = process.stdin.isTTY === true
  const credentials = credentialsOf(process.env)
  const stream = await openExecStream(session.streamUrl, session.tokenValue, tty ? { tty: true, columns: process.stdout.columns, rows: process.stdout.rows, credentials } : { credentials })
  const onResize = () => stream.resize(process.stdout.columns, process.stdout.rows)
  if (tty) {
    process.stdin.setRawMode(true)
    process.on('SIGWINCH', onResize)
  }
  stream.output.pipe(process.stdout, { end: false })
  const onData = (chunk: Buffer) => stream.write(chunk)
  const onEnd = () => stream.end()
  process.stdin.on('data', onData)
  process.stdin.on('end', onEnd)
  try {
    return await stream.exit
  } finally {
    process.stdin.off('data', onData)
    process.stdin.off('end', onEnd)
    if (tty) {
      process.off('SIGWINCH', onResize)
      process.stdin.setRawMode(false)
    }
    process.stdin.pause()
    process.stdin.unref?.()
  }
}
