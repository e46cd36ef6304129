// Job output: one file per attempt, named by its log stream (AWS's
// `<definition>/default/<task>`), under the engine's data directory. Readers
// may follow a stream while the attempt is still writing it.
//
// The runners write the files themselves (a child's stdout, the OCI shim,
// the Docker log pump), so nothing sees each line as it is written. A line's
// time (CloudWatch Logs' event timestamp) is what the engine can honestly
// say of it: the time it first saw the bytes, kept in a sidecar of marks
// (see stream-marks.ts), bounded by the attempt's end. Layout:
//
//   <root>/<stream>                 the output, as written
//   <root>/.marks/<stream>          "<byteOffset> <epochMs>" lines: bytes before offset were seen by then
//   <root>/.group                   epoch ms the log group was created (the first attempt's start)

import { writeFileSync, readFileSync, mkdirSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileLines } from './file-lines.js'
import { readStream, type StreamRead } from './stream-marks.js'

const SAFE = /^(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]*\/)*[A-Za-z0-9_:-][A-Za-z0-9._:-]*$/
const MARKS = '.marks'
const GROUP = '.group'

/** A name part as a path component: unsafe characters (and a leading dot) percent-encoded, so listing gives the name back. */
function encodePart(part: string): string {
  return part.replace(/[^A-Za-z0-9._:-]|^\./g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)
}

function decodePart(part: string): string {
  if (!part.includes('%')) return part
  if (part === '%') return ''
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

export class LogStore {
  readonly root: string
  #groupCreatedAt: number | undefined

  constructor(root: string) {
    this.root = root
  }

  /** The file of a stream: each part of its name made safe as a path component. */
  pathOf(logStreamName: string): string {
    // The common case (every character safe, no empty or dot part) is a plain concatenation:
    // one path per attempt, on the hot path of a million-child array.
    if (SAFE.test(logStreamName)) return `${this.root}/${logStreamName}`
    return join(this.root, ...logStreamName.split('/').map((part) => (part === '' ? '%' : encodePart(part))))
  }

  /** The sidecar of a stream's marks. */
  marksOf(logStreamName: string): string {
    return join(this.root, MARKS, this.pathOf(logStreamName).slice(this.root.length + 1))
  }

  /**
   * Lines of a stream. With `follow`, keeps reading until `done()` says the
   * writer finished and everything written has been read.
   */
  lines(logStreamName: string, options: { follow?: () => boolean; pollMs?: number } = {}): AsyncGenerator<string> {
    return fileLines(this.pathOf(logStreamName), options)
  }

  /**
   * A stream's lines with their times. Bytes never seen before are stamped
   * `now`; with `live` (the attempt still writes) that stamp is kept in the
   * sidecar and the last line, if it has no newline yet, waits for its end.
   */
  read(logStreamName: string, options: { now: number; live: boolean }): Promise<StreamRead> {
    return readStream(this.pathOf(logStreamName), this.marksOf(logStreamName), options)
  }

  /** Whether a stream has a file (its attempt started on a runner that writes output). */
  async exists(logStreamName: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(logStreamName))).isFile()
    } catch {
      return false
    }
  }

  /** Every stream that has a file, by name (unsorted). */
  async streams(): Promise<string[]> {
    const out: string[] = []
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        if (prefix === '' && (e.name === MARKS || e.name === GROUP)) continue
        const name = prefix + decodePart(e.name)
        if (e.isDirectory()) await walk(join(dir, e.name), `${name}/`)
        else if (e.isFile()) out.push(name)
      }
    }
    await walk(this.root, '')
    return out
  }

  /** Whether noteGroup() was called (cheap: asked once per attempt start). */
  get hasGroup(): boolean {
    return this.#groupCreatedAt !== undefined
  }

  /** Notes that a job's attempt started (engine clock ms): the log group exists from the first one on, as on AWS. */
  noteGroup(now: number): void {
    if (this.#groupCreatedAt !== undefined) return
    try {
      mkdirSync(this.root, { recursive: true })
      writeFileSync(join(this.root, GROUP), String(now), { flag: 'wx' })
      this.#groupCreatedAt = now
    } catch {
      // Already there (an engine over the same data dir): its time stands.
      this.#groupCreatedAt = this.groupCreatedAt() ?? now
    }
  }

  /** When the log group came to be (epoch ms), or undefined while no attempt ever started. */
  groupCreatedAt(): number | undefined {
    if (this.#groupCreatedAt !== undefined) return this.#groupCreatedAt
    try {
      const at = Number(readFileSync(join(this.root, GROUP), 'utf8'))
      if (Number.isFinite(at)) this.#groupCreatedAt = at
    } catch {
      // Not created yet.
    }
    return this.#groupCreatedAt
  }
}
