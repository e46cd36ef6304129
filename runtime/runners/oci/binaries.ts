// The OCI runner's three C helpers, compiled with the system C compiler ($CC,
// else cc) on first use and kept by the hash of their source:
//   init           static: PID 1 inside a container (any image, even one without a libc)
//   shim           per container, on the host: waits for it and says how it ended
//   overlay-marks  whiteouts → overlayfs marks (mknod 0/0, trusted.overlay.opaque)
//   tty-exec       exec with a TTY: receives the pseudo-terminal from the runtime's console socket
// The sources live beside this module (runtime/runners/oci/*.c), found from it
// whether it runs from source or from dist/. They are built into the package's
// build/oci/<hash>/ when it is writable, else into <stateDir>/bin/<hash>/; a
// build lands by rename, so runners starting together never see half a file.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, constants, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { RunnerError } from '../errors.js'

const exec = promisify(execFile)

export interface OciBinaries {
  init: string
  shim: string
  overlayMarks: string
  ttyExec: string
}

const SOURCES = { init: 'init.c', shim: 'shim.c', overlayMarks: 'overlay-marks.c', ttyExec: 'tty-exec.c' } as const
const NAMES: Record<keyof OciBinaries, string> = { init: 'init', shim: 'shim', overlayMarks: 'overlay-marks', ttyExec: 'tty-exec' }
const FLAGS: Record<keyof OciBinaries, string[]> = {
  init: ['-static', '-Os', '-s'],
  shim: ['-O2'],
  overlayMarks: ['-O2'],
  ttyExec: ['-O2']
}
const SOURCE_DIR = join('runtime', 'runners', 'oci')

/** The directory holding init.c and its siblings: this module's own, or the package's runtime/runners/oci from dist/. */
async function sourceDir(): Promise<{ dir: string; packageRoot: string | undefined }> {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 8; depth++) {
    for (const candidate of [dir, join(dir, SOURCE_DIR)]) {
      if (await exists(join(candidate, SOURCES.init))) {
        const root = candidate.endsWith(SOURCE_DIR) ? candidate.slice(0, -SOURCE_DIR.length - 1) : undefined
        return { dir: candidate, packageRoot: root }
      }
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new RunnerError('RunnerStartFailed', `the OCI runner's C sources (${SOURCE_DIR}/*.c) are not beside ${fileURLToPath(import.meta.url)}`)
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

async function writable(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true })
    await access(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

const building = new Map<string, Promise<OciBinaries>>()

/** The helpers, compiled if they are not yet (once per process and source version). */
export function ociBinaries(stateDir: string): Promise<OciBinaries> {
  let pending = building.get(stateDir)
  if (pending === undefined) {
    pending = build(stateDir)
    pending.catch(() => building.delete(stateDir))
    building.set(stateDir, pending)
  }
  return pending
}

async function build(stateDir: string): Promise<OciBinaries> {
  const { dir, packageRoot } = await sourceDir()
  const hash = createHash('sha256')
  const texts: Record<string, Buffer> = {}
  for (const [key, file] of Object.entries(SOURCES)) {
    texts[key] = await readFile(join(dir, file))
    hash.update(file).update(texts[key]).update(FLAGS[key as keyof OciBinaries].join(' '))
  }
  const version = hash.digest('hex').slice(0, 16)
  const packageOut = packageRoot === undefined ? undefined : join(packageRoot, 'build', 'oci', version)
  const out = packageOut !== undefined && await writable(packageOut) ? packageOut : join(stateDir, 'bin', version)
  await mkdir(out, { recursive: true })
  const cc = process.env.CC || 'cc'
  const result = {} as OciBinaries
  for (const key of Object.keys(SOURCES) as Array<keyof OciBinaries>) {
    const target = join(out, `stratus-oci-${NAMES[key]}`)
    result[key] = target
    if (await exists(target)) continue
    const tmp = `${target}.tmp-${process.pid}`
    try {
      await exec(cc, ['-Wall', '-Wextra', ...FLAGS[key], '-o', tmp, join(dir, SOURCES[key])])
      await rename(tmp, target)
    } catch (error) {
      await rm(tmp, { force: true })
      const why = (error as { stderr?: string }).stderr?.trim() || (error as Error).message
      throw new RunnerError('RunnerStartFailed', `the OCI runner could not compile its ${key} helper with ${cc}: ${why}`, { cause: error })
    }
  }
  return result
}
