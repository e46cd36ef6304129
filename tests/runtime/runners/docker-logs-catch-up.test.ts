// The log pump's catch-up: an engine that ends a followed log stream before a just-exited
// container's last lines (as dockerd does now and then under load) loses none of them: the
// pump asks once more, not followed, from the last line it copied, and copies each line once.
// The engine here is a small HTTP server on loopback speaking the logs endpoint's framing.
import http from 'node:http'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { DockerClient } from '../../../runtime/runners/docker/client.js'
import { pumpLogs } from '../../../runtime/runners/docker/logs.js'

/** One multiplexed stdout frame: "<RFC 3339 stamp> <line>\n". */
function frame(stamp: string, line: string): Buffer {
  const payload = Buffer.from(`${stamp} ${line}\n`)
  const header = Buffer.alloc(8)
  header[0] = 1
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

const stampOf = (i: number): string => `2026-12-03T10:00:00.${String(i * 1000).padStart(9, '0')}Z`

t.test('a followed stream cut short: the rest comes from one unfollowed request, each line once', async (t) => {
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`)
  const requests: Array<{ follow: string | null; since: string | null }> = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname.endsWith('/version')) {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ ApiVersion: '1.45', MinAPIVersion: '1.24' }))
      return
    }
    const follow = url.searchParams.get('follow')
    const since = url.searchParams.get('since')
    requests.push({ follow, since })
    res.setHeader('content-type', 'application/vnd.docker.multiplexed-stream')
    if (follow === 'true') {
      // Ends after 30 of the 50 lines, as if the container's end came first.
      res.end(Buffer.concat(lines.slice(0, 30).map((l, i) => frame(stampOf(i), l))))
      return
    }
    // Not followed: everything from `since` on, inclusive, as the engine answers.
    // Line i is stamped i µs past the second: since's nanoseconds / 1000 is the first line sent.
    const from = since === null ? 0 : Number(since.split('.')[1]) / 1000
    res.end(Buffer.concat(lines.map((l, i) => frame(stampOf(i), l)).slice(Math.ceil(from))))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as { port: number }).port
  const client = await DockerClient.connect({ name: 'fake', url: `tcp://127.0.0.1:${port}` })
  t.teardown(() => client.close())
  const dir = await mkdtemp(join(os.tmpdir(), 'stratus-logs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'main.log')

  const pump = pumpLogs(client, 'c0ffee', path)
  await pump.done
  const copied = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
  t.same(copied, lines, 'all 50 lines, in order, none twice')
  t.equal(requests.length, 2, 'the followed stream, then one catch-up')
  t.same(requests[1], { follow: 'false', since: '1796292000.000029000' }, 'the catch-up starts at the last line copied (line 29)')
})
