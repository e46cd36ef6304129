// A blob corrupted on disk (bytes flipped, same length) is never served as a complete
// response: a GET is hashed as it streams and aborted before its last bytes; the blob is
// quarantined (reported, 404 BLOB_UNKNOWN in every repository that links it) until a push
// of the same content repairs it. Regression: it was served 200 with the wrong bytes, and
// only the client's own digest check caught it.
import t, { type Test } from 'tap'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { blobDataPath, errorCodes, flipBytes, pushBlob, recordChannel, req, requireTool, run, startRegistry, tempDir, type TestRegistry } from './helpers.js'

interface RawAnswer { status: number, contentLength: number | undefined, bodyBytes: number, body: Buffer }

/** One GET on a raw socket, read until the server closes it: what really arrived. */
function rawGet (srv: TestRegistry, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const port = (srv.server.address() as net.AddressInfo).port
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer (hang)')) }, 15_000)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      const all = Buffer.concat(chunks)
      const headEnd = all.indexOf('\r\n\r\n')
      const head = headEnd < 0 ? all.toString('latin1') : all.toString('latin1', 0, headEnd)
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1]
      const body = headEnd < 0 ? Buffer.alloc(0) : all.subarray(headEnd + 4)
      resolve({ status, contentLength: length === undefined ? undefined : Number(length), bodyBytes: body.length, body })
    })
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`)
  })
}

/** The answer is not a complete response: no status at all, or fewer body bytes than announced. */
function assertAborted (t: Test, answer: RawAnswer, what: string): void {
  const complete = answer.status !== 0 && answer.contentLength !== undefined && answer.bodyBytes >= answer.contentLength
  t.notOk(complete, `${what}: the response is aborted (status ${answer.status}, ${answer.bodyBytes} of ${answer.contentLength ?? '?'} bytes)`)
}

t.test('corrupted blobs are never served complete', async (t) => {
  const root = await tempDir(t)
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0 })
  t.teardown(() => srv.close())
  const u = srv.url
  const corrupt = recordChannel(t, 'stratus:registry:blob-corrupt')
  const repaired = recordChannel(t, 'stratus:registry:blob-repaired')

  t.test('a whole GET is aborted, then every repository that links the blob answers 404', async (t) => {
    const content = randomBytes(3 * 1024 * 1024 + 17) // several 1 MiB chunks and a short last one
    const digest = await pushBlob(u, 'bad/one', content)
    t.equal((await req(u, 'POST', `/v2/bad/two/blobs/uploads/?mount=${digest}&from=bad/one`)).status, 201, 'mounted into a second repository')
    const good = await rawGet(srv, `/v2/bad/one/blobs/${digest}`)
    t.equal(good.status, 200)
    t.equal(good.bodyBytes, content.length, 'intact: served whole')
    t.ok(good.body.equals(content))

    await flipBytes(root, digest, 100)
    const answer = await rawGet(srv, `/v2/bad/one/blobs/${digest}`)
    assertAborted(t, answer, 'corrupted blob')
    t.ok(answer.bodyBytes < content.length, 'the last bytes were never sent')

    for (const name of ['bad/one', 'bad/two']) {
      for (const method of ['GET', 'HEAD']) {
        const r = await req(u, method, `/v2/${name}/blobs/${digest}`)
        t.equal(r.status, 404, `${method} from ${name}: 404 once quarantined`)
        if (method === 'GET') t.same(errorCodes(r), ['BLOB_UNKNOWN'])
      }
    }
    const [record] = srv.registry.quarantinedBlobs()
    t.match(record, { digest, reason: 'digest-mismatch', detectedBy: 'serve', storedSize: content.length }, 'the registry reports it')
    t.same([...record.repositories].sort(), ['bad/one', 'bad/two'], 'with the repositories that linked it')
    t.not(record.actualDigest, digest)
    t.same(corrupt.map((m) => (m as { digest: string }).digest), [digest], 'published on stratus:registry:blob-corrupt')

    // A push of the same bytes stores them again: served whole, quarantine empty.
    t.equal(await pushBlob(u, 'bad/one', content), digest)
    const again = await rawGet(srv, `/v2/bad/one/blobs/${digest}`)
    t.equal(again.status, 200)
    t.ok(again.body.equals(content), 'repaired: the right bytes, whole')
    t.same(srv.registry.quarantinedBlobs(), [])
    t.same(repaired.map((m) => (m as { digest: string }).digest), [digest], 'published on stratus:registry:blob-repaired')
  })

  t.test('a range is verified against the whole blob: a range of intact bytes of a corrupted blob is aborted too', async (t) => {
    const content = randomBytes(2 * 1024 * 1024 + 5)
    const digest = await pushBlob(u, 'bad/range', content)
    const intact = await rawGet(srv, `/v2/bad/range/blobs/${digest}`, { Range: 'bytes=10-1048675' })
    t.equal(intact.status, 206)
    t.ok(intact.body.equals(content.subarray(10, 1048676)), 'an intact blob serves its ranges')
    await flipBytes(root, digest, content.length - 3, 2) // after the range asked for
    const answer = await rawGet(srv, `/v2/bad/range/blobs/${digest}`, { Range: 'bytes=0-99' })
    assertAborted(t, answer, 'range of a corrupted blob')
    t.equal((await req(u, 'GET', `/v2/bad/range/blobs/${digest}`)).status, 404, 'then quarantined')
  })

  t.test('a file of the wrong length is refused before a byte is sent', async (t) => {
    const content = randomBytes(64 * 1024)
    const digest = await pushBlob(u, 'bad/short', content)
    await truncate(blobDataPath(root, digest), 1000)
    const r = await req(u, 'GET', `/v2/bad/short/blobs/${digest}`)
    t.equal(r.status, 404)
    t.same(errorCodes(r), ['BLOB_UNKNOWN'])
    t.match(srv.registry.quarantinedBlobs().find((q) => q.digest === digest), { reason: 'size-mismatch', storedSize: 1000, detectedBy: 'serve' })
  })

  t.test('a corrupted manifest is MANIFEST_UNKNOWN once it leaves the cache', async (t) => {
    // A restart empties the manifest cache, so the bytes are read from disk and checked.
    const dir = await tempDir(t)
    let reg = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir }, scrubIntervalMs: 0 })
    const pushed = await reg.registry.image('bad/manifest:1').fromScratch().addContent('hello\n', '/etc/motd').push()
    await reg.close()
    await flipBytes(dir, pushed.imageDigest, 20, 1)
    reg = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: dir }, scrubIntervalMs: 0 })
    t.teardown(() => reg.close())
    const r = await req(reg.url, 'GET', '/v2/bad/manifest/manifests/1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
    t.equal(r.status, 404)
    t.same(errorCodes(r), ['MANIFEST_UNKNOWN'])
    t.match(reg.registry.quarantinedBlobs(), [{ digest: pushed.imageDigest, detectedBy: 'read' }])
  })
})

t.test('skopeo: a pull of an image with a corrupted layer fails; pushing the image again repairs it', async (t) => {
  await requireTool('skopeo')
  const root = await tempDir(t)
  const srv = await startRegistry({ storage: { driver: 'filesystem', rootDirectory: root }, scrubIntervalMs: 0 })
  t.teardown(() => srv.close())
  const pushed = await srv.registry.image('corrupt/app:1').fromScratch().addFile('/bin/busybox', '/bin/busybox').cmd(['/bin/busybox', 'true']).push()
  const work = await tempDir(t, 'stratus-corrupt-layout-')
  const source = join(work, 'source')
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${srv.host}/corrupt/app:1`, `oci:${source}:v1`])

  const layer = pushed.layers[0].digest
  await flipBytes(root, layer, Math.floor(pushed.layers[0].size / 2))
  const failed = await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${srv.host}/corrupt/app:1`, `oci:${join(work, 'broken')}:v1`])
    .then(() => undefined, (err: { stderr?: string }) => err)
  t.ok(failed, 'skopeo copy from the registry fails')
  t.match(srv.registry.quarantinedBlobs(), [{ digest: layer, detectedBy: 'serve', repositories: ['corrupt/app'] }])

  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${source}:v1`, `docker://${srv.host}/corrupt/app:1`])
  t.same(srv.registry.quarantinedBlobs(), [], 'the push stored the layer again')
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${srv.host}/corrupt/app:1`, `oci:${join(work, 'repaired')}:v1`])
  t.pass('skopeo pulls the repaired image')
})
