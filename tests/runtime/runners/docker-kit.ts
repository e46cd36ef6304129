// What the docker runner's own tests share: a runner on a fresh engine id
// (closed at the test's end), a temporary directory, a container spec with
// the test image, and what the engine itself says about containers. Not a test file.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DockerRunner, instrument, type ContainerSpec, type DockerRunnerOptions, type Runner, type SandboxSpec } from '../../../runtime/runners/index.js'
import { loadBusyboxIntoDocker } from '../../fixtures/busybox-image.js'
import { requireTool } from '../../tools.js'

export const run = promisify(execFile)

let counter = 0

export async function dockerReady(): Promise<void> {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
}

export function engineId(what: string): string {
  return `test-${what}-${process.pid}-${Date.now()}`
}

export async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-docker-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** An instrumented docker runner on its own engine id, closed when the test ends. */
export async function dockerRunner(t: Test, what: string, options: Partial<DockerRunnerOptions> = {}): Promise<{ runner: Runner; engineId: string }> {
  const id = options.engineId ?? engineId(what)
  const runner = instrument(await DockerRunner.create({ graceMs: 5000, ...options, engineId: id }))
  t.teardown(() => runner.close())
  return { runner, engineId: id }
}

export function container(dir: string, name: string, o: Partial<ContainerSpec> & { script?: string } = {}): ContainerSpec {
  const { script, ...rest } = o
  return {
    name, image: 'busybox:1.36', command: ['sh', '-c', script ?? 'exit 0'], env: {},
    vcpus: 1, memoryMiB: 64, gpus: 0,
    logPath: join(dir, 'logs', `${name}-${++counter}.log`), workDir: join(dir, 'work', `${name}-${counter}`),
    ...rest
  }
}

export function sandbox(containers: ContainerSpec[], o: Partial<SandboxSpec> = {}): SandboxSpec {
  return { id: `docker-test-${process.pid}-${++counter}`, labels: { suite: 'docker' }, containers, ...o }
}

/** The engine's own list of containers carrying a label (docker ps -a). */
export async function dockerPs(label: string, host?: string): Promise<string[]> {
  const { stdout } = await run('docker', [...(host ? ['-H', host] : []), 'ps', '-a', '--filter', `label=${label}`, '--format', '{{.ID}}'])
  return stdout.split('\n').filter((l) => l !== '')
}

export async function dockerInspect(id: string, host?: string): Promise<Record<string, any>> {
  const { stdout } = await run('docker', [...(host ? ['-H', host] : []), 'inspect', id])
  return (JSON.parse(stdout) as Array<Record<string, any>>)[0]
}

/** Sends a line over TCP and returns what came back until the peer closed. */
export function tcpExchange(host: string, port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    const chunks: Buffer[] = []
    socket.on('connect', () => socket.end(send))
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
  })
}

/** An HTTP GET over a plain TCP socket (busybox httpd answers HTTP/1.0). */
export async function httpGet(host: string, port: number, path: string): Promise<string> {
  const answer = await tcpExchange(host, port, `GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`)
  // docker-proxy accepts before the server inside listens, then closes: no answer yet.
  if (!answer.startsWith('HTTP/')) throw new Error(`no HTTP answer from ${host}:${port}`)
  return answer.slice(answer.indexOf('\r\n\r\n') + 4)
}

/** Retries until a server in a container answers (it starts a moment after the sandbox runs). */
export async function eventually<T>(fn: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (error) {
      if (i >= tries) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

export interface EngineProxyOptions {
  /** How long to hold a request before it is forwarded (0: at once). */
  holdMs?: (url: string) => number
  /** Rewrites the body of the engine's answer to the requests it matches (the answer is read whole first). */
  rewrite?: { url: RegExp; body: (text: string) => string }
}

/** A plain-HTTP engine on 127.0.0.1 in front of the local engine, holding or rewriting what `o` names; close() ends it. */
export async function engineProxy(o: EngineProxyOptions): Promise<{ url: string; close(): void }> {
  const held = new Set<NodeJS.Timeout>()
  const server = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request({ socketPath: '/var/run/docker.sock', path: req.url, method: req.method, headers: req.headers, agent: false }, (answer) => {
        const rewrite = o.rewrite !== undefined && o.rewrite.url.test(req.url ?? '') ? o.rewrite.body : undefined
        if (rewrite === undefined) {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
          return
        }
        const chunks: Buffer[] = []
        answer.on('data', (d: Buffer) => chunks.push(d))
        answer.on('end', () => {
          const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')))
          const headers = { ...answer.headers, 'content-length': String(body.length) }
          delete headers['transfer-encoding']
          res.writeHead(answer.statusCode ?? 502, headers)
          res.end(body)
        })
      })
      upstream.on('error', () => res.destroy())
      res.on('close', () => upstream.destroy())
      req.pipe(upstream)
    }
    const hold = o.holdMs?.(req.url ?? '') ?? 0
    if (hold <= 0) return forward()
    const timer = setTimeout(() => {
      held.delete(timer)
      forward()
    }, hold)
    held.add(timer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const timer of held) clearTimeout(timer)
      server.closeAllConnections()
      server.close()
    }
  }
}
