// Job output: one file per attempt, named by its log stream (AWS's
// `<definition>/default/<task>`), under the engine's data directory. Readers
// may follow a stream while the attempt is still writing it.

import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'

export class LogStore {
  readonly root: string

  constructor(root: string) {
    this.root = root
  }

  pathOf(logStreamName: string): string {
    return join(this.root, ...logStreamName.split('/').map((part) => part.replace(/[^A-Za-z0-9._:-]/g, '_')))
  }

  /**
   * Lines of a stream. With `follow`, keeps reading until `done()` says the
   * writer finished and everything written has been read.
   */
  async *lines(logStreamName: string, options: { follow?: () => boolean; pollMs?: number } = {}): AsyncGenerator<string> {
    const path = this.pathOf(logStreamName)
    let offset = 0
    let partial = ''
    const decoder = new TextDecoder()
    const buffer = Buffer.alloc(64 * 1024)
    for (;;) {
      const finished = options.follow === undefined || !options.follow()
      let size = 0
      try {
        size = (await stat(path)).size
      } catch {
        size = 0
      }
      if (size > offset) {
        const file = await open(path, 'r')
        try {
          while (offset < size) {
            const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - offset), offset)
            if (bytesRead === 0) break
            offset += bytesRead
            partial += decoder.decode(buffer.subarray(0, bytesRead), { stream: true })
            let nl: number
            while ((nl = partial.indexOf('\n')) >= 0) {
              yield partial.slice(0, nl)
              partial = partial.slice(nl + 1)
            }
          }
        } finally {
          await file.close()
        }
        continue
      }
      if (finished) break
      // Real time, not the engine's clock: a writer's output arrives in real time.
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50))
    }
    if (partial.length > 0) yield partial
  }
}
