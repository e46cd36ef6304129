// One storage-driver conformance suite, run unchanged against every registered driver.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { STORAGE_DRIVERS, createStorageDriver, type StorageDriver, type StorageConfig } from '../../registry/index.js'
import { tempDir } from './helpers.js'

async function collect (stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

const configs: Record<keyof typeof STORAGE_DRIVERS, (dir: string) => StorageConfig> = {
  filesystem: (dir) => ({ driver: 'filesystem', rootDirectory: dir }),
  inmemory: () => ({ driver: 'inmemory' })
}

for (const name of Object.keys(STORAGE_DRIVERS) as Array<keyof typeof STORAGE_DRIVERS>) {
  t.test(`${name} driver`, async (t) => {
    const dir = await tempDir(t)
    const driver: StorageDriver = createStorageDriver(configs[name](dir))
    t.equal(driver.name, name)

    t.test('put / get content round-trips and replaces atomically', async (t) => {
      await driver.putContent('/a/b/c', 'hello')
      t.equal((await driver.getContent('/a/b/c')).toString(), 'hello')
      await driver.putContent('/a/b/c', Buffer.from('world!'))
      t.equal((await driver.getContent('/a/b/c')).toString(), 'world!')
      t.equal((await driver.stat('/a/b/c')).size, 6)
      t.equal((await driver.stat('/a/b')).isDir, true)
    })

    t.test('missing paths are PathNotFound everywhere', async (t) => {
      await t.rejects(driver.getContent('/nope'), { code: 'PathNotFound' })
      await t.rejects(driver.stat('/nope'), { code: 'PathNotFound' })
      await t.rejects(driver.reader('/nope'), { code: 'PathNotFound' })
      await t.rejects(driver.list('/nope'), { code: 'PathNotFound' })
      await t.rejects(driver.move('/nope', '/other'), { code: 'PathNotFound' })
      await t.rejects(driver.delete('/nope'), { code: 'PathNotFound' })
    })

    t.test('invalid paths are refused', async (t) => {
      for (const bad of ['relative', '/a/../b', '/a//b', '/a/./b', '/sp ace']) {
        await t.rejects(driver.putContent(bad, 'x'), { code: 'InvalidPath' }, bad)
      }
    })

    t.test('reader streams from an offset and for a length', async (t) => {
      const data = randomBytes(3 * 1024 * 1024 + 17)
      const w = await driver.writer('/big/data', false)
      for (let i = 0; i < data.length; i += 65536) await w.write(data.subarray(i, i + 65536))
      await w.commit()
      t.same(await collect(await driver.reader('/big/data')), data)
      t.same(await collect(await driver.reader('/big/data', 1000)), data.subarray(1000))
      t.same(await collect(await driver.reader('/big/data', 1000, 5000)), data.subarray(1000, 6000))
      t.equal((await collect(await driver.reader('/big/data', data.length + 10))).length, 0)
      const file = await driver.open('/big/data')
      t.equal(file.size, data.length)
      const buf = Buffer.alloc(70000)
      t.equal(await file.read(buf, 70000, 65530), 70000)
      t.same(buf, data.subarray(65530, 135530), 'positioned reads span internal chunks')
      t.equal(await file.read(buf, 70000, data.length - 10), 10)
      t.equal(await file.read(buf, 100, data.length), 0)
      await file.close()
      await t.rejects(driver.open('/nope'), { code: 'PathNotFound' })
    })

    t.test('writer appends after a close, truncates without append, cancel deletes', async (t) => {
      const w1 = await driver.writer('/up/data', false)
      await w1.write(Buffer.from('abc'))
      t.equal(w1.size, 3)
      await w1.close()
      const w2 = await driver.writer('/up/data', true)
      t.equal(w2.size, 3, 'append starts at the existing size')
      await w2.write(Buffer.from('def'))
      await w2.close()
      t.equal((await driver.getContent('/up/data')).toString(), 'abcdef')
      const w3 = await driver.writer('/up/data', false)
      await w3.write(Buffer.from('z'))
      await w3.commit()
      t.equal((await driver.getContent('/up/data')).toString(), 'z')
      const w4 = await driver.writer('/up/gone', false)
      await w4.write(Buffer.from('x'))
      await w4.cancel()
      await t.rejects(driver.stat('/up/gone'), { code: 'PathNotFound' })
    })

    t.test('list returns sorted direct children; walk visits everything, skip prunes', async (t) => {
      await driver.putContent('/tree/b/2', '2')
      await driver.putContent('/tree/a/1', '1')
      await driver.putContent('/tree/c', 'c')
      await driver.putContent('/tree/b/x/deep', 'd')
      t.same(await driver.list('/tree'), ['/tree/a', '/tree/b', '/tree/c'])
      const seen: string[] = []
      await driver.walk('/tree', (info) => { seen.push(info.path + (info.isDir ? '/' : '')) })
      t.same(seen, ['/tree/a/', '/tree/a/1', '/tree/b/', '/tree/b/2', '/tree/b/x/', '/tree/b/x/deep', '/tree/c'])
      const pruned: string[] = []
      await driver.walk('/tree', (info) => { pruned.push(info.path); return info.path === '/tree/b' ? 'skip' : undefined })
      t.same(pruned, ['/tree/a', '/tree/a/1', '/tree/b', '/tree/c'])
    })

    t.test('move is a rename that replaces the destination', async (t) => {
      await driver.putContent('/m/src', 'new')
      await driver.putContent('/m2/dst', 'old')
      await driver.move('/m/src', '/m2/dst')
      t.equal((await driver.getContent('/m2/dst')).toString(), 'new')
      await t.rejects(driver.stat('/m/src'), { code: 'PathNotFound' })
      await driver.putContent('/mv/dir/f', 'f')
      await driver.move('/mv/dir', '/mv/renamed')
      t.equal((await driver.getContent('/mv/renamed/f')).toString(), 'f')
    })

    t.test('delete removes a file or a whole tree', async (t) => {
      await driver.putContent('/del/x/1', '1')
      await driver.putContent('/del/x/2', '2')
      await driver.putContent('/del/keep', 'k')
      await driver.delete('/del/x')
      await t.rejects(driver.stat('/del/x/1'), { code: 'PathNotFound' })
      t.same(await driver.list('/del'), ['/del/keep'])
      await driver.delete('/del/keep')
      await t.rejects(driver.getContent('/del/keep'), { code: 'PathNotFound' })
    })

    t.test('concurrent putContent of one path leaves one whole value', async (t) => {
      const values = Array.from({ length: 20 }, (_, i) => `value-${i}-${'x'.repeat(1000 * i)}`)
      await Promise.all(values.map((v) => driver.putContent('/race/file', v)))
      t.ok(values.includes((await driver.getContent('/race/file')).toString()))
    })

    t.test('putContent without durability is still atomic and readable at once', async (t) => {
      const values = Array.from({ length: 20 }, (_, i) => `quick-${i}-${'y'.repeat(1000 * i)}`)
      await Promise.all(values.map((v) => driver.putContent('/quick/file', v, { durable: false })))
      t.ok(values.includes((await driver.getContent('/quick/file')).toString()))
      t.same(await driver.list('/quick'), ['/quick/file'], 'no temporary file is left behind')
    })
  })
}
