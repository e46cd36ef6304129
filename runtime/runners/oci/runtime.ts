// The OCI runtime (runc or crun) as the runner drives it: one shim per
// container (shim.c) that runs `<runtime> run -d` and waits for the container,
// and the runtime's CLI for the rest (delete, list, exec). Every runtime call
// uses a root of the runner's own (`--root <stateDir>/runtime`), so `list`
// shows only this runner's containers and two runners never meet.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
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

  /**
   * Starts the shim of one container: detached (a session of its own, so it outlives
   * the runner), stdout a pipe of its events, stderr the container's log (`logFd`).
   */
  spawnShim(shim: string, events: string, pidFile: string, withInit: boolean, runArgs: string[], logFd: number): ChildProcess {
    return spawn(shim, [events, pidFile, withInit ? '1' : '0', '--', ...runArgs], { detached: true, stdio: ['ignore', 'pipe', logFd] })
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
