// Job output: one file per attempt, named by its log stream (AWS's
// `<definition>/default/<task>`), under the engine's data directory. Readers
// may follow a stream while the attempt is still writing it.

import { join } from 'node:path'
import { fileLines } from './file-lines.js'

const SAFE = /^(?:[A-Za-z0-9_:-][A-Za-z0-9._:-]*\/)*[A-Za-z0-9_:-][A-Za-z0-9._:-]*$/

export class LogStore {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  /** The file of a stream: each part of its name made safe as a path component. */
  pathOf(logStreamName: string): string {
    // The common case (every character safe, no empty or dot part) is a plain concatenation:
    // one path per attempt, on the hot path of a million-child array.
    if (SAFE.test(logStreamName)) return `${this.root}/${logStreamName}`
    return join(this.root, ...logStreamName.split('/').map((part) => part.replace(/[^A-Za-z0-9._:-]/g, '_')))
  }

  /**
   * Lines of a stream. With `follow`, keeps reading until `done()` says the
   * writer finished and everything written has been read.
   */
  lines(logStreamName: string, options: { follow?: () => boolean; pollMs?: number } = {}): AsyncGenerator<string> {
    return fileLines(this.pathOf(logStreamName), options)
  }
}
