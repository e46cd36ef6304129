// Exec: a command run in a running container, through the engine's exec API
// (POST /containers/{id}/exec, then POST /exec/{id}/start on a hijacked
// connection, which carries stdin one way and the output the other). Without
// a TTY the output is multiplexed (logs.ts demultiplexes it); with one it is
// the terminal's raw bytes. The exit code is the exec's, once it has ended.
import { PassThrough, Writable } from 'node:stream'
import type { Duplex } from 'node:stream'
import type { ExecOptions, ExecResult, ExecSession } from '../runner.js'
import type { DockerClient } from './client.js'
import { Demultiplexer } from './logs.js'

interface ExecInspect {
  Running: boolean
  ExitCode: number | null
}

async function createExec(client: DockerClient, containerId: string, command: readonly string[], options: ExecOptions, stdin: boolean): Promise<string> {
  const body: Record<string, unknown> = {
    AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Tty: options.tty === true, Cmd: [...command]
  }
  if (options.env !== undefined) body.Env = Object.entries(options.env).map(([k, v]) => `${k}=${v}`)
  if (options.user !== undefined) body.User = options.user
  if (options.workingDirectory !== undefined) body.WorkingDir = options.workingDirectory
  const { Id } = await client.request<{ Id: string }>('POST', `/containers/${containerId}/exec`, { body })
  return Id
}

/** How long an exec may run on after its stream ended (the connection broke off) before exit is rejected. */
const EXIT_WAIT_MS = 10_000

/** The exec's exit code; the engine records it a moment after the output ends. */
async function exitCodeOf(client: DockerClient, execId: string): Promise<number> {
  const deadline = performance.now() + EXIT_WAIT_MS
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const state = await client.request<ExecInspect>('GET', `/exec/${execId}/json`)
    if (!state.Running && state.ExitCode !== null) return state.ExitCode
    if (performance.now() > deadline) throw new Error(`exec ${execId}: its stream ended but it still runs`)
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** Pipes the hijacked socket's output into `output`, demultiplexed unless it is a TTY. */
function readOutput(socket: Duplex, tty: boolean, output: PassThrough): Promise<void> {
  // A reader that falls behind holds the engine's stream (the socket pauses), never our memory.
  let paused = false
  const forward = (payload: Buffer) => {
    if (!output.write(payload) && !paused) {
      paused = true
      socket.pause()
      output.once('drain', () => {
        paused = false
        socket.resume()
      })
    }
  }
  const demux = tty ? undefined : new Demultiplexer((_stream, payload) => forward(payload))
  return new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => (demux ? demux.push(chunk) : forward(chunk)))
    socket.on('error', () => {}) // a reset after the exec ended: 'close' follows
    socket.on('close', () => {
      output.end()
      resolve()
    })
  })
}

/** Runs a command to its end and collects its output (stdout and stderr interleaved). */
export async function execCollect(client: DockerClient, containerId: string, command: readonly string[]): Promise<ExecResult> {
  const execId = await createExec(client, containerId, command, {}, false)
  const socket = await client.hijack(`/exec/${execId}/start`, { Detach: false, Tty: false })
  const output = new PassThrough()
  const chunks: Buffer[] = []
  output.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.end() // no stdin
  await readOutput(socket, false, output)
  return { exitCode: await exitCodeOf(client, execId), output: Buffer.concat(chunks).toString('utf8') }
}

/** An interactive exec: stdin streams in (its end closes the command's stdin), output streams out. */
export async function execInteractive(
  client: DockerClient, containerId: string, command: readonly string[], options: ExecOptions = {}
): Promise<ExecSession> {
  const tty = options.tty === true
  const execId = await createExec(client, containerId, command, options, true)
  const socket = await client.hijack(`/exec/${execId}/start`, { Detach: false, Tty: tty })
  const output = new PassThrough()
  const ended = readOutput(socket, tty, output)
  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (socket.writable) socket.write(chunk, () => callback())
      else callback()
    },
    final(callback) {
      // Half-closes the connection: the command reads EOF, its output still streams back.
      if (socket.writable) socket.end()
      callback()
    }
  })
  const exit = ended.then(() => exitCodeOf(client, execId))
  exit.catch(() => {})
  return {
    stdin,
    output,
    exit,
    async resize(columns: number, rows: number) {
      await client.request('POST', `/exec/${execId}/resize`, { query: { h: rows, w: columns } })
    }
  }
}
