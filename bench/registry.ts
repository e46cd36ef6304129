// Registry benchmark: push and pull a generated image (4 layers of 64 MiB random data) with
// skopeo against Stratus' registry and, in the same run, against CNCF distribution (Debian's
// `docker-registry`), then a manifest GET load loop at concurrency 16 against each.
//
//   npm run bench:registry -- [--json] [--layers 4] [--layer-mib 64] [--rounds 6] [--get-seconds 3]
//
// A third target, the "null registry" (this file with --null, bench/null-registry.ts), does no
// work at all: it discards pushed bytes without hashing or storing them and serves pulls from
// memory. It is the ceiling the clients (skopeo, and the manifest GET load loop) reach alone on
// this machine, so the report says how close each real registry gets to it
// (`*_of_client_ceiling`, `manifest_get_client_ceiling_*`).
//
// Stratus runs in a child process (this file with --serve) so its peak RSS (VmHWM) is its own.
// Each round starts both registries on empty storage; push and pull rates are medians over
// the rounds; server CPU seconds per push and per pull are reported for both (the client,
// skopeo, shares the same two cores, so the registry's CPU per byte shows in the rates; Stratus
// hashes every blob it serves, distribution does not). The manifest GET loop
// uses a lean keep-alive client (16 connections, one request in flight each) and reports the
// median of three runs. `--load HOST:PORT --repo NAME` runs only that loop against a registry.
// Figures only: a benchmark never fails on time. The last line with --json is one JSON object.
//
// Every process it starts (the two servers of this file, distribution, skopeo) is stopped on
// every way out, failures and SIGINT/SIGTERM included (bench/cleanup.ts), and its temporary
// directory removed; the servers of this file also exit when their parent dies (stdin closes).
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createGzip, constants as zlibConstants } from 'node:zlib'
import net from 'node:net'
import { exec as run, exitWithParent, onCleanup, runBench, stopChild, track } from './cleanup.js'
import { serveNull } from './null-registry.js'

const MiB = 1024 * 1024

function arg (name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

// --- server mode (child process) ---------------------------------------------------------

async function serve (dir: string): Promise<void> {
  const { Registry } = await import('../registry/index.js')
  const registry = await Registry.open({ storage: { driver: 'filesystem', rootDirectory: dir } })
  const server = http.createServer((req, res) => registry.handle(req, res))
  server.keepAliveTimeout = 30_000
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port
    registry.setEndpoint(`127.0.0.1:${port}`)
    process.stdout.write(JSON.stringify({ port }) + '\n')
  })
  const stop = (): void => { server.closeAllConnections(); server.close(); void registry.close().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  exitWithParent(stop)
}

// --- the image ---------------------------------------------------------------------------

interface Layout { dir: string, bytes: number, layers: number }

/** An OCI layout with `layers` gzip (stored, level 0) layers of `layerBytes` random bytes each. */
async function generateImage (root: string, layers: number, layerBytes: number): Promise<Layout> {
  const dir = join(root, 'layout')
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  const descriptors = []
  let total = 0
  const chunk = Buffer.alloc(MiB)
  for (let i = 0; i < layers; i++) {
    const tmp = join(dir, 'blobs', `layer-${i}.tmp`)
    const out = createWriteStream(tmp)
    const gzip = createGzip({ level: zlibConstants.Z_NO_COMPRESSION })
    const hash = createHash('sha256')
    let size = 0
    gzip.on('data', (c: Buffer) => { hash.update(c); size += c.length })
    gzip.pipe(out)
    for (let written = 0; written < layerBytes; written += chunk.length) {
      randomFillSync(chunk)
      if (!gzip.write(Buffer.from(chunk))) await once(gzip, 'drain')
    }
    gzip.end()
    await once(out, 'close')
    const digest = `sha256:${hash.digest('hex')}`
    await run('mv', [tmp, join(dir, 'blobs', 'sha256', digest.slice(7))])
    descriptors.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size })
    total += size
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: descriptors.map((_, i) => `sha256:${createHash('sha256').update(`layer ${i}`).digest('hex')}`) }
  }))
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`
  await writeFile(join(dir, 'blobs', 'sha256', configDigest.slice(7)), config)
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: descriptors
  }))
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
  await writeFile(join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), manifest)
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }]
  }))
  return { dir, bytes: total, layers }
}

// --- servers -----------------------------------------------------------------------------

interface Target { name: string, host: string, process: ChildProcess }

async function waitForLine (child: ChildProcess): Promise<string> {
  let buffered = ''
  for await (const chunk of child.stdout!) {
    buffered += String(chunk)
    const nl = buffered.indexOf('\n')
    if (nl >= 0) return buffered.slice(0, nl)
  }
  throw new Error('server exited before it was ready')
}

function started (target: Target): Target {
  process.stderr.write(`started ${target.name} (pid ${target.process.pid}) on ${target.host}\n`)
  return target
}

/** This file run again as a server (`--serve DIR` or `--null LAYOUT`); it prints its port. */
async function startChild (name: string, mode: '--serve' | '--null', dir: string): Promise<Target> {
  // stdin is a pipe only so that the child notices when this process is gone.
  const child = track(spawn(process.execPath, [new URL(import.meta.url).pathname, mode, dir], { stdio: ['pipe', 'pipe', 'inherit'] }))
  const { port } = JSON.parse(await waitForLine(child)) as { port: number }
  return started({ name, host: `127.0.0.1:${port}`, process: child })
}

async function freePort (): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

async function startDistribution (root: string): Promise<Target> {
  const dataDir = join(root, 'distribution-data')
  const port = await freePort()
  const config = join(root, 'distribution.yml')
  await writeFile(config, [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ''
  ].join('\n'))
  const binary = await run('sh', ['-c', 'command -v docker-registry || command -v registry']).then((r) => r.stdout.trim(), () => '')
  if (binary === '') throw new Error('CNCF distribution is not installed: apt-get install docker-registry')
  const child = track(spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'ignore'] }))
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`distribution exited (${child.exitCode ?? child.signalCode}) before it was ready`)
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`http://127.0.0.1:${port}/v2/`, (res) => { res.resume(); resolve(res.statusCode === 200) }).on('error', () => resolve(false))
    })
    if (ok) return started({ name: 'distribution', host: `127.0.0.1:${port}`, process: child })
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('distribution did not start')
}

async function stop (target: Target): Promise<void> {
  await stopChild(target.process)
}

/** User + system CPU seconds a process has used so far. */
async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function peakRssMb (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

// --- measurements ------------------------------------------------------------------------

async function timed (fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e9
}

async function push (layout: Layout, target: Target, repo: string): Promise<number> {
  return timed(() => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout.dir}:bench`, `docker://${target.host}/${repo}:1`], { maxBuffer: 16 * MiB }))
}

async function pull (target: Target, repo: string, dest: string): Promise<number> {
  await rm(dest, { recursive: true, force: true })
  const seconds = await timed(() => run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${target.host}/${repo}:1`, `oci:${dest}:bench`], { maxBuffer: 16 * MiB }))
  await rm(dest, { recursive: true, force: true })
  return seconds
}

/**
 * One keep-alive HTTP/1.1 connection issuing GETs back to back, with a response parser that
 * only finds the status, Content-Length and the end of the body: a load generator lean
 * enough that the server, not the client, is what gets measured on a 2-core machine.
 */
class LeanConnection {
  #socket: net.Socket
  #request: Buffer
  #buffer: Buffer = Buffer.alloc(0)
  #waiting: ((status: number) => void) | undefined
  #failed: ((err: Error) => void) | undefined

  private constructor (socket: net.Socket, request: Buffer) {
    this.#socket = socket
    this.#request = request
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (err) => this.#failed?.(err))
    socket.on('close', () => this.#failed?.(new Error('connection closed')))
  }

  static async open (host: string, request: Buffer): Promise<LeanConnection> {
    const [hostname, port] = host.split(':')
    const socket = net.connect(Number(port), hostname)
    await once(socket, 'connect')
    return new LeanConnection(socket, request)
  }

  #onData (chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    const headerEnd = this.#buffer.indexOf('\r\n\r\n')
    if (headerEnd < 0) return
    const head = this.#buffer.toString('latin1', 0, headerEnd)
    const status = Number(head.slice(9, 12))
    const m = /\r\ncontent-length: *(\d+)/i.exec(head)
    const total = headerEnd + 4 + (m === null ? 0 : Number(m[1]))
    if (this.#buffer.length < total) return
    this.#buffer = this.#buffer.subarray(total)
    const done = this.#waiting
    this.#waiting = undefined
    done?.(status)
  }

  get (): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting = resolve
      this.#failed = reject
      this.#socket.write(this.#request)
    })
  }

  close (): void { this.#socket.destroy() }
}

/** GET the manifest at `concurrency` for `seconds` (bounded in count too); req/s and p99 ms. */
async function manifestLoad (target: Target, repo: string, concurrency: number, seconds: number): Promise<{ perSecond: number, p99: number, p50: number }> {
  const request = Buffer.from(`GET /v2/${repo}/manifests/1 HTTP/1.1\r\nHost: ${target.host}\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\n\r\n`)
  const connections = await Promise.all(Array.from({ length: concurrency }, () => LeanConnection.open(target.host, request)))
  const maxRequests = 2_000_000
  try {
    // warm-up
    await Promise.all(connections.map(async (c) => { for (let i = 0; i < 200; i++) await c.get() }))
    const latencies: number[] = []
    const deadline = performance.now() + seconds * 1000
    const start = performance.now()
    await Promise.all(connections.map(async (c) => {
      while (performance.now() < deadline && latencies.length < maxRequests) {
        const t0 = performance.now()
        const status = await c.get()
        latencies.push(performance.now() - t0)
        if (status !== 200) throw new Error(`manifest GET: ${status}`)
      }
    }))
    const elapsed = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    return {
      perSecond: latencies.length / elapsed,
      p99: latencies[Math.floor(latencies.length * 0.99)],
      p50: latencies[Math.floor(latencies.length * 0.5)]
    }
  } finally {
    for (const c of connections) c.close()
  }
}

function median (values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main (): Promise<void> {
  const json = process.argv.includes('--json')
  const layers = arg('layers', 4)
  const layerMiB = arg('layer-mib', 64)
  const rounds = arg('rounds', 6)
  const getSeconds = arg('get-seconds', 3)
  const log = (line: string): void => { process.stderr.write(`${line}\n`) }
  await run('skopeo', ['--version']).catch(() => { throw new Error('skopeo is not installed: apt-get install skopeo') })

  const root = await mkdtemp(join(tmpdir(), 'stratus-bench-registry-'))
  // Runs after every tracked child is stopped, whichever way the run ends.
  onCleanup(() => rm(root, { recursive: true, force: true }))
  const targets: Target[] = []
  try {
    log(`generating ${layers} layers of ${layerMiB} MiB random data`)
    const layout = await generateImage(root, layers, layerMiB * MiB)
    const mb = layout.bytes / MiB
    // Each round starts both registries on empty storage (so no blob is already there to
    // mount) and alternates which goes first, so neither gets a warmer page cache.
    const times: Record<string, { push: number[], pull: number[], pushCpu: number[], pullCpu: number[] }> = {
      stratus: { push: [], pull: [], pushCpu: [], pullCpu: [] },
      distribution: { push: [], pull: [], pushCpu: [], pullCpu: [] },
      null: { push: [], pull: [], pushCpu: [], pullCpu: [] }
    }
    let peakAfterPush = 0
    let stratus: Target | undefined
    let distribution: Target | undefined
    let ceilingTarget: Target | undefined
    for (let round = 0; round < rounds; round++) {
      for (const t of targets.splice(0)) await stop(t)
      await rm(join(root, 'stratus-data'), { recursive: true, force: true })
      await rm(join(root, 'distribution-data'), { recursive: true, force: true })
      await run('sync')
      stratus = await startChild('stratus', '--serve', join(root, 'stratus-data'))
      distribution = await startDistribution(root)
      const ceiling = ceilingTarget = await startChild('null', '--null', layout.dir)
      targets.push(stratus, distribution, ceiling)
      // Rotate the order each round, so no target always follows another's disk writeback.
      const order = [stratus, distribution, ceiling]
      for (let r = 0; r < round % 3; r++) order.push(order.shift()!)
      for (const target of order) {
        const repo = 'bench/img'
        await run('sync')
        const cpuBefore = await cpuSeconds(target.process.pid!)
        const p = await push(layout, target, repo)
        const cpu = await cpuSeconds(target.process.pid!) - cpuBefore
        if (target === stratus) peakAfterPush = Math.max(peakAfterPush, await peakRssMb(stratus.process.pid!))
        const pullCpuBefore = await cpuSeconds(target.process.pid!)
        const q = await pull(target, repo, join(root, 'pulled'))
        const pullCpu = await cpuSeconds(target.process.pid!) - pullCpuBefore
        times[target.name].push.push(p)
        times[target.name].pull.push(q)
        times[target.name].pushCpu.push(cpu)
        times[target.name].pullCpu.push(pullCpu)
        log(`round ${round + 1} ${target.name.padEnd(12)} push ${(mb / p).toFixed(0)} MB/s (server CPU ${cpu.toFixed(2)} s)  pull ${(mb / q).toFixed(0)} MB/s (server CPU ${pullCpu.toFixed(2)} s)`)
      }
    }
    if (stratus === undefined || distribution === undefined || ceilingTarget === undefined) throw new Error('--rounds must be at least 1')
    const rate = (name: string, kind: 'push' | 'pull'): number => mb / median(times[name][kind])
    const ofCeiling = (name: string, kind: 'push' | 'pull'): number => Number((rate(name, kind) / rate('null', kind)).toFixed(2))

    // Let the pulls' disk writeback settle, then three load runs per registry, alternating;
    // the median run (by throughput) is reported.
    await run('sync')
    log(`manifest GET load, concurrency 16, 3 × ${getSeconds} s each`)
    const runs: Record<'stratus' | 'distribution' | 'null', Array<{ perSecond: number, p99: number, p50: number }>> = { stratus: [], distribution: [], null: [] }
    for (let i = 0; i < 3; i++) {
      runs.stratus.push(await manifestLoad(stratus, 'bench/img', 16, getSeconds))
      runs.distribution.push(await manifestLoad(distribution, 'bench/img', 16, getSeconds))
      runs.null.push(await manifestLoad(ceilingTarget, 'bench/img', 16, getSeconds))
      log(`  run ${i + 1}: stratus ${Math.round(runs.stratus[i].perSecond)}/s p99 ${runs.stratus[i].p99.toFixed(2)} ms   distribution ${Math.round(runs.distribution[i].perSecond)}/s p99 ${runs.distribution[i].p99.toFixed(2)} ms   null ${Math.round(runs.null[i].perSecond)}/s p99 ${runs.null[i].p99.toFixed(2)} ms`)
    }
    const medianRun = (list: Array<{ perSecond: number, p99: number, p50: number }>) => [...list].sort((a, b) => a.perSecond - b.perSecond)[1]
    const ours = medianRun(runs.stratus)
    const theirs = medianRun(runs.distribution)
    const nothing = medianRun(runs.null)
    const peakRss = await peakRssMb(stratus.process.pid!)

    const result = {
      image_mb: Number(mb.toFixed(1)),
      push_mb_s: Number(rate('stratus', 'push').toFixed(1)),
      pull_mb_s: Number(rate('stratus', 'pull').toFixed(1)),
      distribution_push_mb_s: Number(rate('distribution', 'push').toFixed(1)),
      distribution_pull_mb_s: Number(rate('distribution', 'pull').toFixed(1)),
      push_ratio_vs_distribution: Number((rate('stratus', 'push') / rate('distribution', 'push')).toFixed(2)),
      pull_ratio_vs_distribution: Number((rate('stratus', 'pull') / rate('distribution', 'pull')).toFixed(2)),
      push_client_ceiling_mb_s: Number(rate('null', 'push').toFixed(1)),
      pull_client_ceiling_mb_s: Number(rate('null', 'pull').toFixed(1)),
      push_of_client_ceiling: ofCeiling('stratus', 'push'),
      distribution_push_of_client_ceiling: ofCeiling('distribution', 'push'),
      pull_of_client_ceiling: ofCeiling('stratus', 'pull'),
      distribution_pull_of_client_ceiling: ofCeiling('distribution', 'pull'),
      manifest_get_per_s: Math.round(ours.perSecond),
      manifest_get_p50_ms: Number(ours.p50.toFixed(3)),
      manifest_get_p99_ms: Number(ours.p99.toFixed(3)),
      distribution_manifest_get_per_s: Math.round(theirs.perSecond),
      distribution_manifest_get_p99_ms: Number(theirs.p99.toFixed(3)),
      manifest_get_client_ceiling_per_s: Math.round(nothing.perSecond),
      manifest_get_client_ceiling_p99_ms: Number(nothing.p99.toFixed(3)),
      push_server_cpu_s: Number(median(times.stratus.pushCpu).toFixed(2)),
      distribution_push_server_cpu_s: Number(median(times.distribution.pushCpu).toFixed(2)),
      // Stratus hashes every blob it serves (a corrupted one is never completed); distribution does not.
      pull_server_cpu_s: Number(median(times.stratus.pullCpu).toFixed(2)),
      distribution_pull_server_cpu_s: Number(median(times.distribution.pullCpu).toFixed(2)),
      peak_rss_mb: Number(peakAfterPush.toFixed(1)),
      peak_rss_mb_whole_run: Number(peakRss.toFixed(1))
    }
    log('')
    log(`push   stratus ${result.push_mb_s} MB/s   distribution ${result.distribution_push_mb_s} MB/s   ratio ${result.push_ratio_vs_distribution}`)
    log(`pull   stratus ${result.pull_mb_s} MB/s   distribution ${result.distribution_pull_mb_s} MB/s   ratio ${result.pull_ratio_vs_distribution}`)
    log(`client ceiling (null registry): push ${result.push_client_ceiling_mb_s} MB/s, pull ${result.pull_client_ceiling_mb_s} MB/s — stratus reaches ${result.push_of_client_ceiling} / ${result.pull_of_client_ceiling} of it, distribution ${result.distribution_push_of_client_ceiling} / ${result.distribution_pull_of_client_ceiling}`)
    log(`manifest GET  stratus ${result.manifest_get_per_s}/s p99 ${result.manifest_get_p99_ms} ms   distribution ${result.distribution_manifest_get_per_s}/s p99 ${result.distribution_manifest_get_p99_ms} ms   null registry ${result.manifest_get_client_ceiling_per_s}/s p99 ${result.manifest_get_client_ceiling_p99_ms} ms`)
    log(`peak RSS of the Stratus process during pushes ${result.peak_rss_mb} MB (whole run ${result.peak_rss_mb_whole_run} MB)`)
    if (json) process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    for (const target of targets) await stop(target)
  }
}

if (process.argv.includes('--serve')) {
  await serve(process.argv[process.argv.indexOf('--serve') + 1])
} else if (process.argv.includes('--null')) {
  await serveNull(process.argv[process.argv.indexOf('--null') + 1])
} else if (process.argv.includes('--load')) {
  // Only the manifest GET loop, against a running registry: --load HOST:PORT --repo NAME
  const host = process.argv[process.argv.indexOf('--load') + 1]
  const repo = process.argv[process.argv.indexOf('--repo') + 1]
  const r = await manifestLoad({ name: host, host, process: undefined as never }, repo, 16, arg('get-seconds', 3))
  process.stdout.write(`${Math.round(r.perSecond)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms\n`)
} else {
  await runBench(main)
}
