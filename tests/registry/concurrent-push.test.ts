// Two clients pushing the same blob at once both succeed, and one copy is stored.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { req, sha256, startRegistry, tempDir } from './helpers.js'

function slowBody (data: Buffer, pieces: number): Readable {
  const size = Math.ceil(data.length / pieces)
  return Readable.from((async function * () {
    for (let i = 0; i < data.length; i += size) {
      yield data.subarray(i, i + size)
      await new Promise((resolve) => setImmediate(resolve))
    }
  })())
}

t.test('concurrent pushes of one blob', async (t) => {
  const dir = await tempDir(t)
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir } })
  t.teardown(() => srv.close())
  const u = srv.url
  const data = randomBytes(4 * 1024 * 1024)
  const digest = sha256(data)

  const monolithic = (repo: string) => req(u, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { body: slowBody(data, 64) })
  const chunked = async (repo: string) => {
    const loc = (await req(u, 'POST', `/v2/${repo}/blobs/uploads/`)).headers.location as string
    await req(u, 'PATCH', loc, { body: slowBody(data, 64) })
    return req(u, 'PUT', `${loc}?digest=${digest}`)
  }
  const results = await Promise.all([monolithic('race/a'), monolithic('race/a'), chunked('race/a'), chunked('race/b')])
  t.same(results.map((r) => r.status), [201, 201, 201, 201], 'every push succeeds')
  for (const repo of ['race/a', 'race/b']) {
    const back = await req(u, 'GET', `/v2/${repo}/blobs/${digest}`)
    t.ok(back.body.equals(data), `${repo} serves the blob`)
  }
  const hex = digest.slice('sha256:'.length)
  const blobDir = join(dir, 'blobs', 'sha256', hex.slice(0, 2))
  t.same(await readdir(blobDir), [hex], 'one blob directory')
  t.same(await readdir(join(blobDir, hex)), ['data'], 'one copy, no temp files left')
  t.same(await readdir(join(dir, 'uploads')), [], 'every upload session is gone')
})
