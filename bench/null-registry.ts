// The null registry of bench/registry.ts (run as `registry.js --null LAYOUT`): the clients'
// ceiling on this machine, measured in the same run as the real registries.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { exitWithParent } from './cleanup.js'

const MiB = 1024 * 1024

/**
 * The null registry: enough of the distribution protocol for skopeo to push and pull, with
 * no work behind it. Pushed bodies are counted and dropped; a blob "exists" once its upload
 * was completed; pulls are served from the layout's bytes in memory.
 */
export async function serveNull (layoutDir: string): Promise<void> {
  const content = new Map<string, Buffer>()
  for (const hex of await readdir(join(layoutDir, 'blobs', 'sha256'))) content.set(`sha256:${hex}`, await readFile(join(layoutDir, 'blobs', 'sha256', hex)))
  const present = new Set<string>()
  const manifests = new Map<string, { body: Buffer, type: string, digest: string }>()
  let uploads = 0
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://null')
    const path = url.pathname
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Buffer): void => {
      res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Length': body?.length ?? 0, ...headers })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const drain = (then: (size: number) => void): void => {
      let size = 0
      req.on('data', (c: Buffer) => { size += c.length })
      req.on('end', () => then(size))
    }
    if (path === '/v2/') { send(200); return }
    let m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path)
    if (m !== null) {
      const location = `/v2/${m[1]}/blobs/uploads/u${m[2] === '' ? uploads++ : m[2].slice(1)}`
      if (req.method === 'POST') { drain(() => send(202, { Location: location, Range: '0-0' })); return }
      if (req.method === 'PATCH') { drain((size) => send(202, { Location: location, Range: `0-${Math.max(0, size - 1)}` })); return }
      if (req.method === 'PUT') {
        const digest = url.searchParams.get('digest') ?? ''
        drain(() => { present.add(digest); send(201, { Location: `/v2/${m![1]}/blobs/${digest}`, 'Docker-Content-Digest': digest }) })
        return
      }
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path)
    if (m !== null) {
      const body = present.has(m[2]) ? content.get(m[2]) : undefined
      if (body === undefined) { send(404); return }
      res.writeHead(200, { 'Content-Length': body.length, 'Docker-Content-Digest': m[2], 'Content-Type': 'application/octet-stream' })
      if (req.method === 'HEAD') { res.end(); return }
      let offset = 0
      const pump = (): void => {
        while (offset < body.length) {
          const end = Math.min(offset + MiB, body.length)
          const more = res.write(body.subarray(offset, end))
          offset = end
          if (!more) { res.once('drain', pump); return }
        }
        res.end()
      }
      pump()
      return
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path)
    if (m !== null) {
      if (req.method === 'PUT') {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          const body = Buffer.concat(chunks)
          const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
          const entry = { body, type: String(req.headers['content-type']), digest }
          manifests.set(m![2], entry)
          manifests.set(digest, entry)
          send(201, { 'Docker-Content-Digest': digest, Location: `/v2/${m![1]}/manifests/${digest}` })
        })
        return
      }
      const entry = manifests.get(m[2])
      if (entry === undefined) { send(404); return }
      send(200, { 'Content-Type': entry.type, 'Docker-Content-Digest': entry.digest }, entry.body)
      return
    }
    send(404)
  })
  server.keepAliveTimeout = 30_000
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n')
  })
  const stop = (): void => { server.closeAllConnections(); server.close(); process.exit(0) }
  process.on('SIGTERM', stop)
  exitWithParent(stop)
}
