// Lines of a file that may still be growing: the one reader behind LogStore's
// streams and the runners' logs(). A missing file has no lines (yet).

import { open, stat } from 'node:fs/promises'

export interface FileLinesOptions {
  /** Keep reading while this says the writer is still writing; then read what is left and stop. */
  follow?: () => boolean
  /** How often to look for more while following, real ms (default 50). */
  pollMs?: number
}

export async function* fileLines(path: string, options: FileLinesOptions = {}): AsyncGenerator<string> {
  let offset = 0
  let partial = ''
  const decoder = new TextDecoder()
  const buffer = Buffer.alloc(64 * 1024)
  for (;;) {
    // Decided before looking at the file: whatever the writer wrote before it finished is read.
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
