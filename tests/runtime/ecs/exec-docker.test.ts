// ECS Exec on real containers (docker runner, one engine): a command run to
// its end through the SDK, embedded and remote (output and exit code); the
// wire's ExecuteCommand with the official client and its WebSocket stream
// driven by a client of our own, the SDK's TTY session (its size) (stdin in, output and exit code out, text
// frames refused); refusals as ECS words them (no enableExecuteCommand,
// several containers and none named); `stratus exec` with a pipe for stdin
// exiting with the command's exit code.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs'
import { Stratus } from '../../../sdk/index.js'
import { CHANNEL as EXEC_CHANNEL, TOKEN_HEADER } from '../../../runtime/ecs/exec-stream.js'
import { EXEC_NOT_ENABLED } from '../../../runtime/ecs/exec.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'
import { clientConfig } from '../api/clients.js'
import { closeOf, rawWebSocket } from './ws-client.js'

const cli = join(fileURLToPath(new URL('../../..', import.meta.url)), 'dist', 'runtime', 'cli', 'main.js')

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.stdin.end()
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('ECS Exec on docker', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const cloud = await Stratus.embedded({ runner: 'docker' })
  t.teardown(() => cloud.close())
  const ecs = new ECSClient(clientConfig(cloud))
  t.teardown(() => ecs.destroy())

  const cluster = await cloud.ecs.cluster('exec').create()
  const sleeper = { image: 'busybox:1.36', command: ['sleep', '600'], memory: 64 }
  const duo = await cloud.ecs.taskDefinition('exec-duo').container('app', sleeper).container('side', sleeper).register()
  const solo = await cloud.ecs.taskDefinition('exec-solo').container('app', sleeper).register()
  const [task] = await cluster.runTask(duo, { enableExecuteCommand: true })
  const [plain] = await cluster.runTask(solo)
  t.teardown(() => Promise.all([task.stop(), plain.stop()]).catch(() => {}))
  await Promise.all([task.waitRunning({ timeoutMs: 60_000 }), plain.waitRunning({ timeoutMs: 60_000 })])

  // A command to its end, through the SDK: embedded, then remote (the /stratus/ API).
  const ran = await task.exec('echo out; echo err >&2; exit 4', { container: 'app' })
  t.equal(ran.exitCode, 4, 'the exit code is the command\'s')
  t.match(ran.output, /out/, 'stdout is in the output')
  t.match(ran.output, /err/, 'stderr is in the output')
  const remote = await Stratus.connect(`http://${cloud.endpoint}`)
  t.teardown(() => remote.close())
  const far = await remote.ecs.cluster('exec').task(task.arn).exec('cat /etc/hostname; exit 0', { container: 'side' })
  t.equal(far.exitCode, 0, 'remote exec: exit code 0')
  t.ok(far.output.trim().length > 0, `remote exec: the container's hostname (${far.output.trim()})`)

  // Refusals, as ECS words them.
  const several = await ecs.send(new ExecuteCommandCommand({ cluster: 'exec', task: task.arn, command: 'true', interactive: true })).catch((e: Error) => e) as Error
  t.equal(several.name, 'InvalidParameterException', 'several containers and none named: InvalidParameterException')
  t.match(several.message, /container/)
  const notEnabled = await ecs.send(new ExecuteCommandCommand({ cluster: 'exec', task: plain.arn, command: 'true', interactive: true })).catch((e: Error) => e) as Error
  t.equal(notEnabled.name, 'InvalidParameterException', 'a task run without enableExecuteCommand: InvalidParameterException')
  t.equal(notEnabled.message, EXEC_NOT_ENABLED, 'with ECS\'s words')

  // The wire: ExecuteCommand's shape, then the stream with our own client.
  const answer = await ecs.send(new ExecuteCommandCommand({ cluster: 'exec', task: task.arn, container: 'app', command: 'sh', interactive: true }))
  t.equal(answer.taskArn, task.arn, 'taskArn')
  t.equal(answer.containerName, 'app', 'containerName')
  t.equal(answer.interactive, true, 'interactive')
  t.match(answer.clusterArn, /:cluster\/exec$/, 'clusterArn')
  t.match(answer.session?.streamUrl, new RegExp(`^ws://${cloud.endpoint}/stratus/exec/`), 'the stream is a WebSocket on the engine endpoint')
  const socket = await rawWebSocket(answer.session!.streamUrl!, { [TOKEN_HEADER]: answer.session!.tokenValue! })
  if (!('frames' in socket)) throw new Error(`the stream was refused: ${socket.status} ${socket.body}`)
  socket.sendBinary(Buffer.concat([Buffer.from([EXEC_CHANNEL.stdin]), Buffer.from('echo hi from $((6*7)); exit 7\n')]))
  socket.sendBinary(Buffer.from([EXEC_CHANNEL.stdin])) // an empty stdin frame closes stdin
  const frames = await socket.frames
  const output = Buffer.concat(frames.filter((f) => f.opcode === 0x2 && f.payload[0] === EXEC_CHANNEL.output).map((f) => f.payload.subarray(1))).toString()
  t.match(output, /hi from 42/, 'stdin reached the shell; its output came back on channel 1')
  const exit = frames.find((f) => f.opcode === 0x2 && f.payload[0] === EXEC_CHANNEL.exit)
  t.equal(exit?.payload.subarray(1).toString(), '7', 'the exit code on channel 3')
  t.equal(closeOf(frames)?.code, 1000, 'then a normal close')
  t.notOk(frames.some((f) => f.opcode === 0x1), 'no text frame was sent')

  const second = await ecs.send(new ExecuteCommandCommand({ cluster: 'exec', task: task.arn, container: 'app', command: 'sleep 30', interactive: true }))
  const texting = await rawWebSocket(second.session!.streamUrl!, { [TOKEN_HEADER]: second.session!.tokenValue! })
  if (!('frames' in texting)) throw new Error('the second stream was refused')
  texting.sendText('ls')
  t.equal(closeOf(await texting.frames)?.code, 1003, 'a text frame closes the stream with 1003')

  // The SDK's session with a TTY of a given size (resize on channel 2 at the start).
  // The size is sent on channel 2 right after the exec starts (Docker 20.10's exec has no size at creation), so the
  // command waits a bounded while for it to arrive rather than racing it.
  const tty = await task.shell('i=0; while [ "$(stty size 2>/dev/null)" != "40 100" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; stty size; tty', { container: 'app', tty: true, columns: 100, rows: 40 })
  let shown = ''
  tty.output.on('data', (c: Buffer) => { shown += c.toString() })
  t.equal(await tty.exit, 0, 'a TTY session exits 0')
  t.match(shown, /40 100/, 'the TTY has the size asked for')
  t.match(shown, /\/dev\/pts\//, 'and is a pseudo-terminal')

  // The audit trail has the wire's ExecuteCommand calls.
  let audited = false
  for await (const e of cloud.audit.lookup({ eventName: 'ExecuteCommand' })) audited ||= e.EventName === 'ExecuteCommand'
  t.ok(audited, 'ExecuteCommand is in the audit trail')

  // stratus exec, stdin a pipe: no TTY, the command's output, its exit code.
  const run = await runCli(['exec', '--endpoint', `http://${cloud.endpoint}`, '--cluster', 'exec', '--task', task.arn, '--container', 'app', '--command', 'echo hi; exit 3'])
  t.equal(run.code, 3, `stratus exec exits with the command's exit code (stderr: ${run.stderr.trim()})`)
  t.equal(run.stdout.trim(), 'hi', 'and prints its output')
  const refusedCli = await runCli(['exec', '--endpoint', `http://${cloud.endpoint}`, '--cluster', 'exec', '--task', plain.arn, '--command', 'true'])
  t.equal(refusedCli.code, 2, 'stratus exec on a task without exec enabled fails')
  t.match(refusedCli.stderr, /InvalidParameterException/, 'naming ECS\'s exception')
})
