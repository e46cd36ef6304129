// Hostile layers: each rule of the OCI runner's unpacker (unpack.ts) against a
// crafted tar, and a hostile image through the runner, which fails the task with
// a reason naming the layer and the entry. Nothing is ever written outside the
// layer's directory: every case looks at the directory around it, and at the
// host path the entry aimed at.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { unpackLayer, UnsafeLayerError, type UnpackLimits } from '../../../runtime/runners/oci/index.js'
import { observer } from './conformance-kit.js'
import { dir, file, hardlink, ociTestRunner, pushLayers, symlink, tarOf, type TarEntry } from './oci-kit.js'

const unique = `stratus-hostile-${process.pid}-${Date.now()}`

/** Unpacks into <scratch>/layer; returns the scratch dir, the layer dir and the outcome. */
async function unpack(t: Test, entries: TarEntry[], limits?: UnpackLimits) {
  const scratch = await mkdtemp(join(tmpdir(), 'stratus-unpack-'))
  t.teardown(() => rm(scratch, { recursive: true, force: true }))
  const layer = join(scratch, 'layer')
  await mkdir(layer)
  const tar = await tarOf(entries)
  const outcome = await unpackLayer(Readable.from([tar]), layer, limits).then((r) => ({ ok: r }), (error: Error) => ({ error }))
  return { scratch, layer, outcome }
}

/** Only `layer` is in the scratch dir: nothing landed beside it. */
async function nothingOutside(t: Test, scratch: string): Promise<void> {
  t.same(await readdir(scratch), ['layer'], 'nothing was written beside the layer directory')
}

t.test('../ paths are refused, naming the entry', async (t) => {
  for (const name of ['../escaped', 'a/../../escaped', './../escaped']) {
    const { scratch, outcome } = await unpack(t, [dir('a/'), file(name, 'x')])
    t.type((outcome as { error: Error }).error, UnsafeLayerError, name)
    t.match((outcome as { error: UnsafeLayerError }).error, { entry: name, message: /climbs out of the layer/ })
    await nothingOutside(t, scratch)
  }
  const { layer, outcome } = await unpack(t, [file('a/../inside', 'x')])
  t.ok('ok' in outcome, 'a .. that stays inside is fine')
  t.equal(await readFile(join(layer, 'inside'), 'utf8'), 'x')
})

t.test('absolute paths are confined to the layer', async (t) => {
  const { scratch, layer, outcome } = await unpack(t, [file(`/tmp/${unique}`, 'confined'), file('/etc/hostile-abs', 'x')])
  t.ok('ok' in outcome)
  t.equal(await readFile(join(layer, 'tmp', unique), 'utf8'), 'confined')
  t.notOk(existsSync(`/tmp/${unique}`), 'the host path was not written')
  await nothingOutside(t, scratch)
})

t.test('a symlink followed by a file written through it is refused', async (t) => {
  for (const target of ['/', '..', '../..', '/tmp']) {
    const { scratch, layer, outcome } = await unpack(t, [symlink('link', target), file(`link/tmp/${unique}`, 'through')])
    t.match((outcome as { error: UnsafeLayerError }).error, { entry: `link/tmp/${unique}`, message: /through the symlink "link"/ }, `link -> ${target}`)
    t.notOk(existsSync(`/tmp/${unique}`), 'the host path was not written')
    t.ok((await lstat(join(layer, 'link'))).isSymbolicLink(), 'the symlink itself is in the layer')
    await nothingOutside(t, scratch)
  }
  const { outcome } = await unpack(t, [symlink('d', '/'), dir('d/etc/')])
  t.match((outcome as { error: UnsafeLayerError }).error, { message: /through the symlink "d"/ }, 'a directory through a symlink too')
  const replaced = await unpack(t, [symlink('d', '/'), dir('d/'), file('d/x', 'in')])
  t.ok('ok' in replaced.outcome, 'a directory entry replaces the symlink first')
  t.ok((await lstat(join(replaced.layer, 'd'))).isDirectory())
  t.equal(await readFile(join(replaced.layer, 'd', 'x'), 'utf8'), 'in')
})

t.test('a hardlink to a file outside the layer is refused', async (t) => {
  const outsideFile = join(tmpdir(), `${unique}-target`)
  for (const linkname of ['/etc/passwd', '../outside', '../../../etc/passwd', outsideFile, 'not-in-this-layer']) {
    const { scratch, layer, outcome } = await unpack(t, [hardlink('hl', linkname)])
    t.type((outcome as { error: Error }).error, UnsafeLayerError, linkname)
    t.match((outcome as { error: UnsafeLayerError }).error, { entry: 'hl' })
    t.notOk(existsSync(join(layer, 'hl')))
    await nothingOutside(t, scratch)
  }
  const { layer, outcome } = await unpack(t, [file('bin/tool', 'elf'), hardlink('bin/alias', 'bin/tool'), hardlink('bin/abs-alias', '/bin/tool')])
  t.ok('ok' in outcome, 'a hardlink to a file of the same layer is fine')
  t.equal((await stat(join(layer, 'bin', 'alias'))).ino, (await stat(join(layer, 'bin', 'tool'))).ino)
  t.equal((await stat(join(layer, 'bin', 'abs-alias'))).ino, (await stat(join(layer, 'bin', 'tool'))).ino)
  const viaDir = await unpack(t, [dir('d/'), hardlink('hl', 'd')])
  t.match((viaDir.outcome as { error: UnsafeLayerError }).error, { message: /hardlink to the directory/ })
})

t.test('device nodes and FIFOs are skipped, never made', async (t) => {
  const { scratch, layer, outcome } = await unpack(t, [
    { header: { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 } },
    { header: { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o666 } },
    { header: { name: 'run/pipe', type: 'fifo', mode: 0o666 } },
    file('etc/ok', 'ok')
  ])
  t.match(outcome, { ok: { skipped: [{ path: 'dev/mem', type: 'character-device' }, { path: 'dev/sda', type: 'block-device' }, { path: 'run/pipe', type: 'fifo' }] } })
  for (const p of ['dev/mem', 'dev/sda', 'run/pipe']) t.notOk(existsSync(join(layer, p)), `${p} is not there`)
  t.equal(await readFile(join(layer, 'etc', 'ok'), 'utf8'), 'ok')
  await nothingOutside(t, scratch)
})

t.test('setuid and setgid bits are stripped', async (t) => {
  const { layer, outcome } = await unpack(t, [
    dir('shared/', { mode: 0o2775 }),
    file('bin/su', 'x', { mode: 0o4755 }),
    file('bin/wall', 'x', { mode: 0o2755 }),
    file('bin/both', 'x', { mode: 0o6777 }),
    dir('tmp/', { mode: 0o1777 })
  ])
  t.ok('ok' in outcome)
  t.equal((await stat(join(layer, 'bin', 'su'))).mode & 0o7777, 0o755)
  t.equal((await stat(join(layer, 'bin', 'wall'))).mode & 0o7777, 0o755)
  t.equal((await stat(join(layer, 'bin', 'both'))).mode & 0o7777, 0o1777 & 0o777)
  t.equal((await stat(join(layer, 'shared'))).mode & 0o7777, 0o775)
  t.equal((await stat(join(layer, 'tmp'))).mode & 0o7777, 0o1777, 'the sticky bit stays')
})

t.test('a tar bomb is refused past the size and entry limits, with a clear error', async (t) => {
  const limits = { maxBytes: 64 * 1024, maxEntries: 50 }
  const big = await unpack(t, [file('a', 'x'.repeat(40 * 1024)), file('b', 'y'.repeat(40 * 1024))], limits)
  t.match((big.outcome as { error: UnsafeLayerError }).error, { entry: 'b', message: /past its limit of 65536 bytes/ })
  t.notOk(existsSync(join(big.layer, 'b')), 'the entry past the limit was not written')
  const many = await unpack(t, Array.from({ length: 60 }, (_, i) => file(`f${i}`, '')), limits)
  t.match((many.outcome as { error: UnsafeLayerError }).error, { entry: 'f50', message: /past the limit of 50 entries/ })
  const within = await unpack(t, [file('a', 'x'.repeat(1000))], limits)
  t.ok('ok' in within.outcome, 'a layer within the limits unpacks')
})

t.test('whiteouts and opaque markers are reported, not written', async (t) => {
  const { layer, outcome } = await unpack(t, [
    dir('etc/'), file('etc/.wh.gone', ''), dir('var/cache/'), file('var/cache/.wh..wh..opq', ''), file('var/cache/fresh', 'new'),
    file('.wh.removed-dir', ''), file('again/.wh.x', ''), dir('again/x/'), file('.wh..wh.plnk', '')
  ])
  t.same((outcome as { ok: { whiteouts: string[] } }).ok.whiteouts, ['etc/gone', 'removed-dir'])
  t.same((outcome as { ok: { opaque: string[] } }).ok.opaque.sort(), ['again/x', 'var/cache'], 'a directory made again in the layer that deleted it hides the old one')
  t.same(await readdir(join(layer, 'etc')), [], 'no .wh. file is written')
  t.same(await readdir(join(layer, 'var', 'cache')), ['fresh'])
  t.notOk(existsSync(join(layer, '.wh..wh.plnk')))
})

t.test('a hostile image fails the task with CannotPullContainerError naming the layer and the entry', async (t) => {
  const made = await ociTestRunner()
  t.teardown(() => made.close())
  const hostile = await tarOf([symlink('link', '/'), file(`link/tmp/${unique}`, 'pwned')])
  const pushed = await pushLayers(made.registry, 'hostile:1', [hostile], { Cmd: ['/bin/sh'] })
  const seen = observer()
  made.runner.start({
    id: 'hostile', labels: {}, containers: [{
      name: 'main', image: 'hostile:1', command: [], env: {}, vcpus: 1, memoryMiB: 0, gpus: 0,
      logPath: join(made.dir, 'hostile.log'), workDir: join(made.dir, 'work')
    }]
  }, seen.listener)
  await t.rejects(seen.done, { code: 'CannotPullContainerError', message: new RegExp(`hostile:1.*layer ${pushed.layers[0]}.*link/tmp/${unique}.*through the symlink`) })
  t.same(seen.calls, ['failed'])
  t.notOk(existsSync(`/tmp/${unique}`), 'nothing was written on the host')
  const cache = join(made.stateDir, 'layers', made.runner.rootfsMode)
  t.same((await readdir(cache)).filter((n) => n.includes(pushed.layers[0].slice(7, 20))), [], 'no half layer is left in the cache')
})
