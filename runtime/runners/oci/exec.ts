// exec into a running container: `<runtime> exec`, which starts the command in
// the container's namespaces and cgroup with the container's own process
// settings (capabilities, no new privileges, its environment, user and
// working directory) unless the options change them.
//   exec()        the command's stdout and stderr, interleaved, and its exit code
//   execStream()  stdin in, output out, while it runs; with a TTY through the
//                 tty helper (tty-exec.c), which receives the pseudo-terminal's
//                 master from the runtime's console socket and relays it
import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { invalidArgument } from '../errors.js'
import type { ExecOptions, ExecResult, ExecSession } from '../runner.js'
import { resolveUser } from './image-user.js'
import type { OciRuntime } from './runtime.js'

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  const n = signal === null ? 9 : ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as Record<string, number>)[signal] ?? 9
  return 128 + n
}

/** `uid[:gid]` as the runtime takes it (names were resolved by the caller). */
function checkUser(user: string | undefined): void {
  if (user !== undefined && !/^\d+(:\d+)?$/.test(user)) throw invalidArgument('options.user', `must be uid or uid:gid once resolved, got ${JSON.stringify(user)}`)
}

export function execCollect(runtime: OciRuntime, id: string, command: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime.binary, runtime.execArgs(id, command), { stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal), output: Buffer.concat(chunks).toString('utf8') }))
  })
}

export interface TtyHelper {
  /** The tty helper binary (tty-exec.c). */
  ttyExec: string
}

/** A user given by name is looked up in the container's own files, resolved inside its root (never the host's). */
async function execUser(pid: number, user: string | undefined): Promise<string | undefined> {
  if (user === undefined || /^\d+(:\d+)?$/.test(user)) return user
  const root = { digest: '', root: `/proc/${pid}/root`, unpacked: { whiteouts: [], opaque: [], skipped: [], entries: 0, bytes: 0 } }
  const found = await resolveUser([root], user).catch((error: Error) => { throw invalidArgument('options.user', error.message) })
  return `${found.uid}:${found.gid}`
}

/** `pid`: the container's init on the host (its root is where a user name is looked up). */
export async function execInteractive(runtime: OciRuntime, helpers: TtyHelper, id: string, pid: number, command: readonly string[], options: ExecOptions): Promise<ExecSession> {
  const user = await execUser(pid, options.user)
  checkUser(user)
  const base = { env: options.env, user, cwd: options.workingDirectory }
  if (options.tty === true) return ttySession(runtime, helpers, id, command, base)
  const child = spawn(runtime.binary, runtime.execArgs(id, command, base), { stdio: ['pipe', 'pipe', 'pipe'] })
  const output = new PassThrough()
  let open = 2
  const end = () => { if (--open === 0) output.end() }
  child.stdout!.on('data', (chunk: Buffer) => output.write(chunk))
  child.stderr!.on('data', (chunk: Buffer) => output.write(chunk))
  child.stdout!.on('end', end)
  child.stderr!.on('end', end)
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)))
  })
  child.stdin!.on('error', () => {})
  return { stdin: child.stdin!, output, exit }
}

/**
 * A TTY: the helper runs `<runtime> exec --detach --tty --console-socket <its socket>`,
 * takes the master end it is sent, relays it to its own stdin and stdout, and waits
 * for the command; a line "<columns> <rows>" on its fd 3 resizes the terminal.
 */
function ttySession(runtime: OciRuntime, helpers: TtyHelper, id: string, command: readonly string[], base: { env?: Readonly<Record<string, string>>; user?: string; cwd?: string }): ExecSession {
  const args = runtime.execArgs(id, command, { ...base, tty: true, consoleSocket: '{console-socket}', pidFile: '{pid-file}' })
  const child = spawn(helpers.ttyExec, ['--', runtime.binary, ...args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
  const output = new PassThrough()
  child.stdout!.pipe(output)
  // The runtime's own complaints, should it refuse, are part of the session's output.
  child.stderr!.pipe(output, { end: false })
  const control = child.stdio[3] as NodeJS.WritableStream
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)))
  })
  child.stdin!.on('error', () => {})
  ;(control as unknown as { on(e: string, f: () => void): void }).on('error', () => {})
  return {
    stdin: child.stdin!,
    output,
    exit,
    resize: async (columns: number, rows: number) => {
      if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 1 || rows < 1 || columns > 65535 || rows > 65535) {
        throw invalidArgument('resize', `columns and rows must be whole numbers from 1 to 65535, got ${columns}x${rows}`, 65535)
      }
      control.write(`${columns} ${rows}\n`)
    }
  }
}
