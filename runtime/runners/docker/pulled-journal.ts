// The names a docker runner pulled images by, kept in a file of its state
// directory. A built-in-registry image is pulled by the engine's endpoint
// (127.0.0.1:<port>/repo:tag), whose port dies with the engine: close()
// untags those names, but an engine killed with SIGKILL never closes, and each
// crash would leave one more name per image in the Docker engine. So a name is
// written here before its first pull (intent before side effect), and the next
// runner of the same state directory untags what an earlier one left — when
// it starts, and again at its close() for the names still in use then (an
// engine refuses to untag an image's last name while a container uses it).
// One JSON line per name: {"host":"local","name":"127.0.0.1:33623/busybox:1.36"}.
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DockerApiError, type DockerClient } from './client.js'

interface Entry { host: string; name: string }

export class PulledJournal {
  /** Lines written (or read) and not yet untagged, by host and name. */
  readonly #known = new Set<string>()
  #writes: Promise<void> = Promise.resolve()

  constructor(readonly path: string) {}

  /** Records a name before it is first pulled; resolves once the line is in the file. */
  record(host: string, name: string): Promise<void> {
    const key = JSON.stringify({ host, name })
    if (this.#known.has(key)) return this.#writes
    this.#known.add(key)
    this.#writes = this.#writes.then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      await appendFile(this.path, `${key}\n`)
    })
    return this.#writes
  }

  /**
   * Untags every recorded name on the hosts given (by name): those the engine
   * untags, or no longer has, leave the file; those it refuses (in use), or
   * that a host not given holds, stay for the next sweep. Best effort: an
   * engine that does not answer keeps its names.
   */
  async sweep(clients: ReadonlyMap<string, DockerClient>, signal?: AbortSignal): Promise<void> {
    await this.#writes
    const entries = await this.#read()
    const kept: Entry[] = []
    await Promise.all(entries.map(async (entry) => {
      const client = clients.get(entry.host)
      if (client === undefined) {
        kept.push(entry)
        return
      }
      try {
        await client.request('DELETE', `/images/${encodeURIComponent(entry.name)}`, { signal })
      } catch (error) {
        if (!(error instanceof DockerApiError && error.statusCode === 404)) kept.push(entry)
      }
    }))
    this.#known.clear()
    for (const entry of kept) this.#known.add(JSON.stringify(entry))
    this.#writes = this.#writes.then(() => kept.length === 0
      ? rm(this.path, { force: true })
      : writeFile(this.path, kept.map((e) => `${JSON.stringify(e)}\n`).join('')))
    await this.#writes
  }

  async #read(): Promise<Entry[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch {
      return []
    }
    const out = new Map<string, Entry>()
    for (const line of text.split('\n')) {
      try {
        const entry = JSON.parse(line) as Entry
        if (typeof entry.host === 'string' && typeof entry.name === 'string') out.set(JSON.stringify({ host: entry.host, name: entry.name }), entry)
      } catch {
        // An empty line, or one cut by a kill while it was written: nothing was pulled by it yet.
      }
    }
    return [...out.values()]
  }
}
