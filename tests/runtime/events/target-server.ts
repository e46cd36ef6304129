// A real HTTP server on 127.0.0.1 port 0 standing in for an API destination's
// endpoint: it records every request (method, path, headers, body) and
// answers as `mode` says — 200, 500, or not at all (a timeout), or the status
// `mode` is when it is a number. Not a test file.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received { method: string; url: string; headers: IncomingMessage['headers']; body: string }
export type Mode = 'ok' | 'fail' | 'hang' | 'bad-request' | number

export interface TargetServer {
  readonly url: string
  readonly received: Received[]
  /** Bodies of requests answered 2xx, in arrival order. */
  readonly acknowledged: string[]
  mode: Mode
  /** Called as the n-th request (from 1) is about to be answered; a number returned delays the answer by that many ms (real time). */
  onRequest: ((n: number) => number | void) | undefined
  /** Resolves once `n` requests have been received in all. */
  receivedAtLeast(n: number): Promise<void>
  /** Resolves with the first received request whose parsed JSON body satisfies `test` (now or when it arrives). */
  receivedWhere(test: (body: any) => boolean): Promise<Received>
  close(): Promise<void>
}

export async function targetServer(mode: Mode = 'ok'): Promise<TargetServer> {
  const received: Received[] = []
  const acknowledged: string[] = []
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const finders: Array<{ test: (body: any) => boolean; resolve: (r: Received) => void }> = []
  const parse = (body: string): unknown => { try { return JSON.parse(body) } catch { return undefined } }
  const hanging = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      received.push(r)
      for (const f of finders.filter((f) => f.test(parse(body)))) {
        finders.splice(finders.indexOf(f), 1)
        f.resolve(r)
      }
      for (const w of waiters.filter((w) => received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
      const m = self.mode
      if (m === 'hang') {
        hanging.add(res)
        res.on('close', () => hanging.delete(res))
        return
      }
      const status = typeof m === 'number' ? m : m === 'ok' ? 200 : m === 'bad-request' ? 400 : 500
      const answer = () => {
        if (status >= 200 && status <= 299) acknowledged.push(body)
        res.statusCode = status
        res.end(status <= 299 ? '{}' : '{"message":"no"}')
      }
      // A slow answer (the caller waits for it in real time) when onRequest says how long.
      const delayMs = self.onRequest?.(received.length) ?? 0
      if (delayMs > 0) setTimeout(answer, delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const self: TargetServer = {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    acknowledged,
    mode,
    onRequest: undefined,
    receivedAtLeast: (n) => received.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    receivedWhere: (test) => {
      const found = received.find((r) => test(parse(r.body)))
      return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => finders.push({ test, resolve }))
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  return self
}
