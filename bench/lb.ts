// Load balancer benchmark: requests/s and p50/p99 latency through the Stratus load balancer
// and through HAProxy (Debian `haproxy`, installed here with apt-get when missing and run as
// root), in front of the same two Node HTTP backends, with the same load generator
// (autocannon's CLI) and connection count, in one run:
//   HTTP  an application load balancer's HTTP listener (runtime/lb/http/) vs HAProxy `mode http`
//         (`option forwardfor`, as the ALB adds X-Forwarded-*);
//   TCP   a network load balancer's TCP listener (runtime/lb/tcp.ts) vs HAProxy `mode tcp`,
//         the same HTTP requests carried as bytes.
// Both balance round robin with health checks on. Two HAProxy processes run: one as Debian
// ships it (nbthread unset: a thread per CPU), the baseline of the issue's targets (a Node
// `net` pipe measures 1.12–1.16× of it here, and 0.99× of one thread), and one held to one
// thread (`--haproxy-threads N` to change), as the Stratus data plane has one event loop: the
// stricter comparison, reported beside it (the *_1t fields). Fairness on a small machine: the
// backends, the Stratus load balancer, each HAProxy and autocannon run in their own process
// (this file with --role backends / --role stratus); each measurement follows a warm-up,
// who goes first turns from round to round, and with --rounds N the medians are reported.
//
//   npm run bench:lb -- [--json] [--connections 50] [--duration 10] [--warmup 2] [--rounds 1] [--haproxy-threads 1] [--modes http,tcp]
//
// --modes tcp (or http) measures one listener only; the other's fields are then null.
//
// Fields with --json (the last line, one object): http_rps, haproxy_http_rps, http_ratio,
// http_p99_ms, haproxy_http_p99_ms, tcp_rps, haproxy_tcp_rps, tcp_ratio, rss_mb (the Stratus
// load balancer process's peak RSS); the same against one thread (haproxy_1t_http_rps,
// http_ratio_1t, http_p99_ratio_1t, haproxy_1t_tcp_rps, tcp_ratio_1t …); beside them the p50s,
// each proxy's CPU µs per request (less disturbed by other work on the machine than req/s),
// errors, load averages and targets. Targets (HTTP ≥ 0.7× HAProxy with p99 ≤ 2×, TCP ≥ 1.0×)
// are printed, never failed on. Every process it starts is stopped on every way out
// (bench/cleanup.ts); the children of this file also exit when it dies (their stdin closes).
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { exec, exitWithParent, onCleanup, runBench, track } from './cleanup.js'

const JSON_OUT = process.argv.includes('--json')
const log = (line: string): void => { if (!JSON_OUT) console.log(line) }

function option (name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? NaN : Number(process.argv[at + 1])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** The listeners to measure (--modes http,tcp; both by default). */
function modes (): Array<'http' | 'tcp'> {
  const at = process.argv.indexOf('--modes')
  if (at === -1) return ['http', 'tcp']
  const list = (process.argv[at + 1] ?? '').split(',').filter((m): m is 'http' | 'tcp' => m === 'http' || m === 'tcp')
  return list.length > 0 ? list : ['http', 'tcp']
}

function role (): string | undefined {
  const at = process.argv.indexOf('--role')
  return at === -1 ? undefined : process.argv[at + 1]
}

const HOST = '127.0.0.1'

async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, HOST, resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

// --- the backends (a child process) ------------------------------------------------------

async function serveBackends (): Promise<void> {
  const servers = [0, 1].map((i) => {
    const body = Buffer.from(`hello from backend ${i}\n`)
    const server = http.createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
      res.end(body)
    })
    server.keepAliveTimeout = 65_000
    return server
  })
  for (const s of servers) await new Promise<void>((resolve) => s.listen(0, HOST, resolve))
  process.stdout.write(JSON.stringify({ ports: servers.map((s) => (s.address() as net.AddressInfo).port) }) + '\n')
  const stop = (): void => { for (const s of servers) { s.closeAllConnections(); s.close() } process.exit(0) }
  process.on('SIGTERM', stop)
  exitWithParent(stop)
}

// --- the Stratus load balancers (a child process) ----------------------------------------

async function serveStratus (targets: number[]): Promise<void> {
  const { LoadBalancerPlane } = await import('../runtime/lb/plane.js')
  const { RealClock } = await import('../runtime/clock/clock.js')
  const plane = new LoadBalancerPlane({ clock: new RealClock() })
  const ports: Record<string, number | null> = {}
  const healthCheck = { enabled: true, port: 'traffic-port' as const, path: '/', intervalMs: 5_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' }
  for (const mode of ['http', 'tcp'] as const) {
    const key = `bench-${mode}`
    const group = plane.targetGroup({
      key, name: key, protocol: mode === 'http' ? 'HTTP' : 'TCP', port: targets[0], targetType: 'ip',
      healthCheck: { ...healthCheck, protocol: mode === 'http' ? 'HTTP' : 'TCP' },
      deregistrationDelayMs: 300_000, slowStartMs: 0, algorithm: 'round_robin',
      stickiness: { enabled: false, type: mode === 'http' ? 'lb_cookie' : 'source_ip', durationMs: 86_400_000 }
    })
    group.register(targets.map((port) => ({ id: HOST, port, host: HOST })))
    const port = await freePort()
    try {
      await plane.apply({
        key: `arn:bench/${mode}`, name: key, type: mode === 'http' ? 'application' : 'network', address: HOST,
        idleTimeoutMs: mode === 'http' ? 60_000 : 350_000,
        listeners: [{
          key: `${key}-listener`, protocol: mode === 'http' ? 'HTTP' : 'TCP', port, certificates: [], rules: [],
          defaultActions: [{ type: 'forward', targetGroups: [{ key, weight: 1 }] }]
        }]
      })
      ports[mode] = port
    } catch (error) {
      process.stderr.write(`stratus ${mode} listener: ${(error as Error).message}\n`)
      ports[mode] = null
    }
  }
  process.stdout.write(JSON.stringify(ports) + '\n')
  const stop = (): void => { void plane.close().finally(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  exitWithParent(stop)
}

// --- the parent --------------------------------------------------------------------------

function firstLine (child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString()
      const nl = buffered.indexOf('\n')
      if (nl >= 0) { child.stdout!.off('data', onData); resolve(buffered.slice(0, nl)) }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}) before it was ready`)))
  })
}

/** This file again, as one of its server roles; resolves with the JSON line it prints when ready. */
async function startRole (name: string, args: string[]): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  // stdin is a pipe only so that the child notices when this process is gone.
  const child = track(spawn(process.execPath, [new URL(import.meta.url).pathname, '--role', name, ...args], { stdio: ['pipe', 'pipe', 'inherit'] }))
  const ready = JSON.parse(await firstLine(child, name)) as Record<string, unknown>
  return { child, ready }
}

/** The haproxy binary: on PATH, or installed with apt-get (as root), or undefined (its figures are then null). */
async function haproxyBinary (): Promise<string | undefined> {
  const found = async (): Promise<string | undefined> =>
    (await exec('sh', ['-c', 'command -v haproxy || ls /usr/sbin/haproxy']).then((r) => r.stdout.trim().split('\n')[0], () => '')) || undefined
  const have = await found()
  if (have !== undefined) return have
  if (process.getuid?.() !== 0) {
    process.stderr.write('haproxy is missing (install it: sudo apt-get install -y --no-install-recommends haproxy); its figures are null\n')
    return undefined
  }
  process.stderr.write('installing haproxy (apt-get)\n')
  // As tests/provision.sh does: the cached package lists first, refreshed only if that fails.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = (): Promise<unknown> => exec('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'haproxy'], { env })
  await install().catch(async () => { await exec('apt-get', ['update', '-qq'], { env }); await install() }).catch((error: Error) => {
    process.stderr.write(`apt-get install haproxy failed: ${error.message}\n`)
  })
  return found()
}

/** threads undefined: HAProxy's own default (nbthread unset: one thread per CPU it may run on), as Debian ships it. */
function haproxyConfig (o: { httpPort: number; tcpPort: number; backends: number[]; threads: number | undefined }): string {
  const servers = (): string => o.backends.map((port, i) => `  server b${i} ${HOST}:${port} check inter 5s fall 2 rise 2`).join('\n')
  // maxconn: 2 descriptors a connection must fit the process's descriptor limit (often 20,000 here).
  return `global
  maxconn 4000
${o.threads === undefined ? '' : `  nbthread ${o.threads}\n`}defaults
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend http_in
  mode http
  option forwardfor
  bind ${HOST}:${o.httpPort}
  default_backend http_servers
backend http_servers
  mode http
  balance roundrobin
  option httpchk GET /
${servers()}
frontend tcp_in
  mode tcp
  bind ${HOST}:${o.tcpPort}
  default_backend tcp_servers
backend tcp_servers
  mode tcp
  balance roundrobin
${servers()}
`
}

async function waitForPort (port: number, child: ChildProcess, boundMs = 10_000): Promise<void> {
  const end = Date.now() + boundMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`haproxy exited (${child.exitCode ?? child.signalCode}) before listening on ${HOST}:${port}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, HOST)
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`nothing listens on ${HOST}:${port} after ${boundMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type Who = 'stratus' | 'haproxy' | 'haproxy_1t'

interface Load {
  rps: number; p50_ms: number; p99_ms: number; errors: number; non2xx: number
  /** The proxy process's CPU time (user + system) per request: a figure that other load on the machine disturbs less than req/s. */
  cpu_us_per_req: number | null
}

let clockTicks = 100

/** A process's live children (its TCP relays), from /proc/PID/task/TID/children. */
async function childrenOf (pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')))
  return lists.join(' ').split(/\s+/).filter((x) => x !== '').map(Number)
}

/** user + system CPU of a process (and its threads) and of its children (the C relays of TCP listeners), in clock ticks, from /proc/PID/stat. */
async function cpuTicks (pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let ticks = Number(fields[11]) + Number(fields[12])
  for (const child of await childrenOf(pid)) ticks += (await cpuTicks(child)) ?? 0
  return Number.isFinite(ticks) ? ticks : undefined
}

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js')

/** autocannon (its own process) against a port: a warm-up, then the measured run. */
async function load (port: number, pid: number | undefined, o: { connections: number; duration: number; warmup: number }): Promise<Load> {
  const url = `http://${HOST}:${port}/`
  const run = async (seconds: number): Promise<Record<string, any>> => {
    const { stdout } = await exec(process.execPath, [AUTOCANNON, '-j', '-c', String(o.connections), '-d', String(seconds), url], { maxBuffer: 64 * 1024 * 1024 })
    return JSON.parse(stdout) as Record<string, any>
  }
  await run(o.warmup)
  const before = await cpuTicks(pid)
  const r = await run(o.duration)
  const after = await cpuTicks(pid)
  const total = Number(r.requests.total)
  return {
    cpu_us_per_req: before === undefined || after === undefined || !(total > 0) ? null : round(((after - before) * 1e6) / clockTicks / total, 1),
    rps: Math.round(Number(r.requests.average)),
    p50_ms: Number(r.latency.p50),
    p99_ms: Number(r.latency.p99),
    errors: Number(r.errors ?? 0) + Number(r.timeouts ?? 0),
    non2xx: Number(r.non2xx ?? 0)
  }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function medianLoad (runs: Load[]): Load {
  return {
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50_ms: median(runs.map((r) => r.p50_ms)),
    p99_ms: median(runs.map((r) => r.p99_ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    cpu_us_per_req: runs.some((r) => r.cpu_us_per_req === null) ? null : median(runs.map((r) => r.cpu_us_per_req as number))
  }
}

/** Peak and current RSS (MiB) of a process, from /proc. */
async function rssOf (pid: number | undefined): Promise<{ peak: number; now: number } | undefined> {
  if (pid === undefined) return undefined
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  const peak = kb('VmHWM')
  return Number.isFinite(peak) ? { peak: round(peak / 1024, 1), now: round(kb('VmRSS') / 1024, 1) } : undefined
}

function round (x: number, digits = 2): number {
  return Number(x.toFixed(digits))
}

const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b === 0 ? null : round(a / b)

async function main (): Promise<void> {
  const o = { connections: option('connections', 50), duration: option('duration', 10), warmup: option('warmup', 2) }
  const rounds = option('rounds', 1)
  clockTicks = Number((await exec('getconf', ['CLK_TCK']).catch(() => ({ stdout: '100' }))).stdout.trim()) || 100
  const loadAtStart = os.loadavg().map((x) => round(x))
  const threads = option('haproxy-threads', 1)
  const backends = await startRole('backends', [])
  const backendPorts = backends.ready.ports as number[]
  const stratus = await startRole('stratus', ['--targets', backendPorts.join(',')])
  const stratusPorts = stratus.ready as { http: number | null; tcp: number | null }

  // Two HAProxy processes: as Debian ships it (its default thread count, one per CPU) and held to
  // `threads` (1 unless --haproxy-threads), like the one event loop of the Stratus data plane.
  const haproxy = await haproxyBinary()
  const proxies: Array<{ who: Who; ports: { http: number; tcp: number }; child: ChildProcess }> = []
  if (haproxy !== undefined) {
    const dir = await mkdtemp(join(os.tmpdir(), 'stratus-bench-lb-'))
    onCleanup(() => rm(dir, { recursive: true, force: true }))
    for (const [who, n] of [['haproxy', undefined], ['haproxy_1t', threads]] as const) {
      const ports = { http: await freePort(), tcp: await freePort() }
      const config = join(dir, `${who}.cfg`)
      await writeFile(config, haproxyConfig({ httpPort: ports.http, tcpPort: ports.tcp, backends: backendPorts, threads: n }))
      const child = track(spawn(haproxy, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'inherit'] }))
      await waitForPort(ports.http, child)
      await waitForPort(ports.tcp, child)
      proxies.push({ who, ports, child })
    }
  }
  const contenders: Array<{ who: Who; port: (mode: 'http' | 'tcp') => number | null | undefined; pid: number | undefined }> = [
    { who: 'stratus', port: (mode) => stratusPorts[mode], pid: stratus.child.pid },
    ...proxies.map((p) => ({ who: p.who, port: (mode: 'http' | 'tcp') => p.ports[mode], pid: p.child.pid }))
  ]

  const runs = new Map<string, Load[]>()
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes()) {
      // Who goes first turns from round to round.
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
      for (const c of order) {
        const port = c.port(mode)
        if (port === null || port === undefined) continue
        const r = await load(port, c.pid, o)
        const key = `${c.who}/${mode}`
        runs.set(key, [...(runs.get(key) ?? []), r])
        log(`  round ${round + 1} ${mode.toUpperCase()} ${c.who === 'haproxy_1t' ? `haproxy (${threads} thread)` : c.who}: ${r.rps.toLocaleString('en-US')} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms${r.errors + r.non2xx > 0 ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : ''}`)
      }
    }
  }
  const figure = (who: Who, mode: 'http' | 'tcp'): Load | undefined => {
    const list = runs.get(`${who}/${mode}`) ?? []
    return list.length === 0 ? undefined : medianLoad(list)
  }
  const http = figure('stratus', 'http')
  const tcp = figure('stratus', 'tcp')
  const hHttp = figure('haproxy', 'http')
  const hTcp = figure('haproxy', 'tcp')
  const oHttp = figure('haproxy_1t', 'http')
  const oTcp = figure('haproxy_1t', 'tcp')
  const rss = await rssOf(stratus.child.pid)
  const haproxyRss = await rssOf(proxies[0]?.child.pid)
  const out = {
    http_rps: http?.rps ?? null,
    haproxy_http_rps: hHttp?.rps ?? null,
    http_ratio: ratio(http?.rps, hHttp?.rps),
    http_p50_ms: http?.p50_ms ?? null,
    haproxy_http_p50_ms: hHttp?.p50_ms ?? null,
    http_p99_ms: http?.p99_ms ?? null,
    haproxy_http_p99_ms: hHttp?.p99_ms ?? null,
    http_p99_ratio: ratio(http?.p99_ms, hHttp?.p99_ms),
    tcp_rps: tcp?.rps ?? null,
    haproxy_tcp_rps: hTcp?.rps ?? null,
    tcp_ratio: ratio(tcp?.rps, hTcp?.rps),
    tcp_p50_ms: tcp?.p50_ms ?? null,
    haproxy_tcp_p50_ms: hTcp?.p50_ms ?? null,
    tcp_p99_ms: tcp?.p99_ms ?? null,
    haproxy_tcp_p99_ms: hTcp?.p99_ms ?? null,
    // Against HAProxy held to one thread (--haproxy-threads): the stricter comparison.
    haproxy_1t_http_rps: oHttp?.rps ?? null,
    http_ratio_1t: ratio(http?.rps, oHttp?.rps),
    haproxy_1t_http_p99_ms: oHttp?.p99_ms ?? null,
    http_p99_ratio_1t: ratio(http?.p99_ms, oHttp?.p99_ms),
    haproxy_1t_tcp_rps: oTcp?.rps ?? null,
    tcp_ratio_1t: ratio(tcp?.rps, oTcp?.rps),
    haproxy_1t_tcp_p99_ms: oTcp?.p99_ms ?? null,
    http_cpu_us_per_req: http?.cpu_us_per_req ?? null,
    haproxy_http_cpu_us_per_req: hHttp?.cpu_us_per_req ?? null,
    haproxy_1t_http_cpu_us_per_req: oHttp?.cpu_us_per_req ?? null,
    tcp_cpu_us_per_req: tcp?.cpu_us_per_req ?? null,
    haproxy_tcp_cpu_us_per_req: hTcp?.cpu_us_per_req ?? null,
    haproxy_1t_tcp_cpu_us_per_req: oTcp?.cpu_us_per_req ?? null,
    rss_mb: rss?.peak ?? null,
    haproxy_rss_mb: haproxyRss?.peak ?? null,
    errors: Object.fromEntries([...runs].map(([k, l]) => [k, l.reduce((n, r) => n + r.errors, 0)])),
    non2xx: Object.fromEntries([...runs].map(([k, l]) => [k, l.reduce((n, r) => n + r.non2xx, 0)])),
    settings: { ...o, rounds, modes: modes(), haproxy_threads: 'default (one per CPU)', haproxy_1t_threads: threads, haproxy: haproxy ?? null, backends: backendPorts.length, cpus: os.cpus().length },
    targets: { http_ratio: '>= 0.7', http_p99_ratio: '<= 2.0', tcp_ratio: '>= 1.0' },
    load_average_start: loadAtStart,
    load_average: os.loadavg().map((x) => round(x))
  }
  const line = (label: string, s: Load | undefined, h: Load | undefined, one: Load | undefined, target: string): void => {
    const f = (l: Load | undefined): string => l === undefined ? 'n/a' : `${l.rps.toLocaleString('en-US')} req/s, p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms, ${l.cpu_us_per_req ?? 'n/a'} µs CPU per request`
    log(`${label} Stratus: ${f(s)}`)
    log(`${label} HAProxy: ${f(h)}`)
    log(`${label} HAProxy, ${threads} thread: ${f(one)}`)
    log(`${label} ratio ${ratio(s?.rps, h?.rps) ?? 'n/a'}, p99 ratio ${ratio(s?.p99_ms, h?.p99_ms) ?? 'n/a'} (target ${target}); against ${threads} thread: ${ratio(s?.rps, one?.rps) ?? 'n/a'}, p99 ${ratio(s?.p99_ms, one?.p99_ms) ?? 'n/a'}`)
  }
  log(`\n${o.connections} connections, ${o.duration} s per run after a ${o.warmup} s warm-up, ${rounds} round(s); HAProxy with its default threads (one per CPU, ${os.cpus().length}) and with ${threads}`)
  line('HTTP', http, hHttp, oHttp, '≥ 0.7× req/s, p99 ≤ 2×')
  line('TCP ', tcp, hTcp, oTcp, '≥ 1.0× req/s')
  log(`load average ${loadAtStart.join(' ')} at the start, ${out.load_average.join(' ')} at the end (other work on the machine moves req/s; CPU per request less)`)
  log(`Stratus load balancer process: peak RSS ${rss?.peak ?? 'n/a'} MiB (HAProxy ${haproxyRss?.peak ?? 'n/a'} MiB)`)
  if (JSON_OUT) console.log(JSON.stringify(out))
}

const asRole = role()
if (asRole === 'backends') await serveBackends()
else if (asRole === 'stratus') {
  const at = process.argv.indexOf('--targets')
  await serveStratus(process.argv[at + 1].split(',').map(Number))
} else await runBench(main)
