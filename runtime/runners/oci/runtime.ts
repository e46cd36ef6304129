// The OCI runtime (runc or crun) as the runner drives it: one shim per
// container (shim.c) that runs `<runtime> run -d` and waits for the container,
// forked by one small shim server per runner (ShimServer), and the runtime's
// CLI for the rest (delete, list, exec). Every runtime call uses a root of the
// runner's own (`--root <stateDir>/runtime`), so `list` shows only this
// runner's containers and two runners never meet.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { access, constants, readFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { RunnerError } from '../errors.js'

const exec = promisify(execFile)

export type RuntimeName = 'runc' | 'crun'

export interface RuntimeContainer {
  id: string
  pid: number
  status: 'created' | 'running' | 'pausing' | 'paused' | 'stopped' | string
  bundle: string
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).concat(['/usr/sbin', '/sbin'])) {
    const path = join(dir, name)
    try {
      await access(path, constants.X_OK)
      return path
    } catch {
      // next
    }
  }
  return undefined
}

/**
 * crun 1.8 refuses every container on a hybrid cgroup host whose v2 hierarchy has
 * any controller available (this machine: hugetlb), whatever its cgroup manager.
 */
async function crunRefusal(): Promise<string | undefined> {
  try {
    const controllers = (await readFile('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8')).trim()
    if (controllers !== '') return `crun refuses hybrid cgroup hosts whose cgroup v2 hierarchy has controllers (${controllers}): use runc`
  } catch {
    // not hybrid
  }
  return undefined
}

export class OciRuntime {
  private constructor(readonly name: RuntimeName, readonly binary: string, readonly root: string) {}

  /** The runtime asked for, else the first installed of runc and crun. */
  static async find(root: string, wanted?: RuntimeName): Promise<OciRuntime> {
    for (const name of wanted === undefined ? ['runc', 'crun'] as const : [wanted]) {
      const binary = await onPath(name)
      if (binary === undefined) continue
      if (name === 'crun') {
        const refusal = await crunRefusal()
        if (refusal !== undefined) {
          if (wanted === 'crun') throw new RunnerError('RunnerStartFailed', `the OCI runner cannot use crun on this machine: ${refusal}`, { field: 'runtime' })
          continue
        }
      }
      return new OciRuntime(name, binary, root)
    }
    throw new RunnerError('RunnerStartFailed', `the OCI runner needs ${wanted ?? 'runc or crun'} on the PATH (Debian: apt-get install ${wanted ?? 'runc'})`, { field: 'runtime' })
  }

  /** The runtime's own arguments before a command. */
  #global(logFile?: string): string[] {
    const args = ['--root', this.root]
    if (logFile !== undefined) args.push(this.name === 'runc' ? '--log' : `--log=file:${logFile}`, ...(this.name === 'runc' ? [logFile] : []), '--log-format', 'json')
    return args
  }

  /** argv of `run -d` for a bundle (what the shim execs). */
  runArgs(id: string, bundle: string, pidFile: string, logFile: string, withInit: boolean): string[] {
    return [this.binary, ...this.#global(logFile), 'run', '-d', '--pid-file', pidFile, ...(withInit ? ['--preserve-fds', '1'] : []), '--bundle', bundle, id]
  }


  /** argv of the delete a shim runs once its container ended. */
  deleteArgs(id: string): string[] {
    return [this.binary, ...this.#global(), 'delete', id]
  }

  /** Removes a container (killing it first when it still runs); a container that is not there is fine. */
  async delete(id: string): Promise<void> {
    try {
      await exec(this.binary, [...this.#global(), 'delete', '--force', id])
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '')
      if (/does not exist|not found|No such file/i.test(stderr)) return
      throw new RunnerError('RunnerStartFailed', `${this.name} delete ${id} failed: ${stderr.trim() || (error as Error).message}`, { cause: error })
    }
  }

  async kill(id: string, signal: string): Promise<void> {
    await exec(this.binary, [...this.#global(), 'kill', id, signal.replace(/^SIG/, '')]).catch(() => {})
  }

  async list(): Promise<RuntimeContainer[]> {
    try {
      const { stdout } = await exec(this.binary, [...this.#global(), 'list', '--format', 'json'])
      const parsed = JSON.parse(stdout.trim() || '[]') as Array<{ id: string; pid: number; status: string; bundle: string }> | null
      return (parsed ?? []).map((c) => ({ id: c.id, pid: c.pid, status: c.status, bundle: c.bundle }))
    } catch {
      return []
    }
  }

  /** `exec` argv (without the runtime binary): a process in a running container. */
  execArgs(id: string, command: readonly string[], options: {
    env?: Readonly<Record<string, string>>; user?: string; cwd?: string; tty?: boolean; consoleSocket?: string; pidFile?: string
  } = {}): string[] {
    const args = [...this.#global(), 'exec']
    for (const [k, v] of Object.entries(options.env ?? {})) args.push('--env', `${k}=${v}`)
    if (options.user !== undefined) args.push('--user', options.user)
    if (options.cwd !== undefined) args.push('--cwd', options.cwd)
    // The runtime hands a terminal out only to a detached exec (tty-exec.c waits for it).
    if (options.tty) args.push('--detach', '--tty', '--console-socket', options.consoleSocket!, '--pid-file', options.pidFile!)
    args.push(id, ...command)
    return args
  }
}

/** The last error the runtime logged (its --log file, JSON lines), for a start that failed. */
export async function runtimeError(logFile: string): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(logFile, 'utf8')
  } catch {
    return undefined
  }
  let last: string | undefined
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string }
      if (entry.level === 'error' && entry.msg) last = entry.msg
    } catch {
      if (line.trim() !== '') last = line.trim()
    }
  }
  return last
}

export interface ShimHandlers {
  /** An event line of the shim (state.ts applyEvent), or `spawned <pid>`. */
  line(text: string): void
  /** The shim ended (every event of it came before). */
  closed(): void
  /** The server died: the shim lives on, unheard (its events file says what it does). */
  serverGone(): void
}

/**
 * The shim server (`stratus-oci-shim serve`): it forks a shim per container, each in a
 * session of its own, so starting one costs a fork of a small C program instead of a
 * fork of this (large) Node process, and the shims outlive the server and the runner.
 */
export class ShimServer {
  readonly #child: ChildProcess
  readonly #handlers = new Map<string, ShimHandlers>()
  #gone: ((error: Error) => void) | undefined

  constructor(binary: string, onGone: (error: Error) => void) {
    this.#gone = onGone
    this.#child = spawn(binary, ['serve'], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.#child.stdin!.on('error', () => {})
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const space = line.indexOf(' ')
      const tag = line.slice(0, space)
      const text = line.slice(space + 1)
      const handlers = this.#handlers.get(tag)
      if (handlers === undefined) return
      if (text === 'closed') {
        this.#handlers.delete(tag)
        handlers.closed()
      } else {
        handlers.line(text)
      }
    })
    this.#child.on('exit', (code, signal) => {
      const gone = this.#gone
      this.#gone = undefined
      if (gone === undefined) return
      gone(new Error(`the shim server exited (${signal ?? code})`))
      for (const handlers of this.#handlers.values()) handlers.serverGone()
      this.#handlers.clear()
    })
  }

  /**
   * Starts the shim of one container; `tag` names it in the server's lines (the container id).
   * Once the container ended, the shim reads `oomFile` (its memory cgroup's OOM count) and
   * runs `deleteArgs` (the runtime's delete), before its last event.
   */
  start(tag: string, shim: { events: string; pidFile: string; withInit: boolean; logFile: string; oomFile: string | undefined; deleteArgs: readonly string[]; runArgs: readonly string[] }, handlers: ShimHandlers): void {
    const fields = [tag, shim.events, shim.pidFile, shim.withInit ? '1' : '0', shim.logFile, shim.oomFile ?? '', String(shim.deleteArgs.length), ...shim.deleteArgs, ...shim.runArgs]
    this.#handlers.set(tag, handlers)
    this.#child.stdin!.write(`${fields.length}\n${fields.map((f) => `${f}\0`).join('')}`)
  }

  /** Ends the server (its shims go on). */
  close(): void {
    this.#gone = undefined
    this.#child.stdin!.end()
  }
}
