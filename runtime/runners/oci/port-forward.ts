// Published ports of a sandbox, as rootless container tools' built-in port
// driver does it, with no bridge, veth or private address:
//
//   client ──TCP──► address:hostPort          the runner (this process) listens on the host
//                      │ connect <socket>, write "<containerPort>\n"
//                      ▼
//                   forwarder (node, in the sandbox's netns: nsenter --net)
//                      │ connect 127.0.0.1:<containerPort>, inside the namespace
//                      ▼
//                   the container's server
//
// A unix socket is a path on the host filesystem, not an address of a network
// namespace, so the host side reaches the forwarder without any network
// between them. One forwarder per sandbox (all its ports), in a session of its
// own: it outlives a runner that dies, and a runner that restarts kills it and
// starts another (its host listeners died with the old runner). Connections
// made before the forwarder listens wait for it (a few seconds at most).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import net from 'node:net'
import { dirname, join } from 'node:path'
import { RunnerError } from '../errors.js'
import type { NetworkBinding, SandboxSpec } from '../runner.js'
import type { OciSandbox } from './sandbox.js'
import { sandboxKey } from './state.js'

/** The forwarder, run by `node --input-type=module -e`: argv[1] is its socket. */
const FORWARDER = `
import net from 'node:net'
import { rmSync } from 'node:fs'
const path = process.argv[1]
try { rmSync(path, { force: true }) } catch {}
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  let head = Buffer.alloc(0)
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk])
    const nl = head.indexOf(10)
    if (nl < 0) { if (head.length > 16) client.destroy(); return }
    client.off('data', onData)
    client.pause()
    const port = Number(head.subarray(0, nl).toString())
    const rest = head.subarray(nl + 1)
    const inner = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    inner.on('connect', () => {
      if (rest.length > 0) inner.write(rest)
      client.pipe(inner)
      inner.pipe(client)
      client.resume()
    })
    inner.on('error', () => client.destroy())
    client.on('error', () => inner.destroy())
  }
  client.on('data', onData)
  client.on('error', () => {})
})
server.listen(path, () => process.stdout.write('ready\\n'))
process.on('SIGTERM', () => process.exit(0))
`

/** Starts the forwarder inside the network namespace at `netns` (a path nsenter can open). */
export function spawnForwarder(netns: string, socket: string): ChildProcess {
  const child = spawn('nsenter', [`--net=${netns}`, '--', process.execPath, '--input-type=module', '-e', FORWARDER, socket], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore']
  })
  child.unref()
  return child
}

const CONNECT_TRIES = 100
const CONNECT_PAUSE_MS = 30

/** Connects to the forwarder's socket, waiting for it while it starts. */
function connectForwarder(socket: string, tries = CONNECT_TRIES): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (left: number) => {
      const s = net.connect({ path: socket, allowHalfOpen: true })
      s.once('connect', () => resolve(s))
      s.once('error', (error: NodeJS.ErrnoException) => {
        s.destroy()
        if (left > 0 && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) setTimeout(() => attempt(left - 1), CONNECT_PAUSE_MS)
        else reject(error)
      })
    }
    attempt(tries)
  })
}

export interface PublishedPort {
  binding: NetworkBinding
  server: net.Server
  /** Live client connections, ended with the sandbox. */
  clients: Set<net.Socket>
}

/** Listens on address:hostPort (0: an ephemeral port) and forwards each connection to containerPort inside. */
export async function publish(address: string, hostPort: number, containerPort: number, socket: string): Promise<PublishedPort> {
  const clients = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    clients.add(client)
    client.on('close', () => clients.delete(client))
    client.on('error', () => {})
    connectForwarder(socket).then((upstream) => {
      upstream.write(`${containerPort}\n`)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    }, () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: address, port: hostPort, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as net.AddressInfo).port
  return { binding: { bindIP: address, containerPort, hostPort: port, protocol: 'tcp' }, server, clients }
}

export async function unpublish(ports: readonly PublishedPort[]): Promise<void> {
  await Promise.all(ports.map((p) => new Promise<void>((resolve) => {
    p.server.close(() => resolve())
    for (const client of p.clients) client.destroy()
  })))
}

/** Publishes every port mapping of a sandbox on its address, through a forwarder in its namespace (`netns`); tcp only (preflight refused udp). */
export async function publishSandbox(s: OciSandbox, spec: SandboxSpec, netns: string, stateDir: string): Promise<void> {
  const socket = join(stateDir, 'fwd', `${sandboxKey(spec.id)}.sock`)
  await mkdir(dirname(socket), { recursive: true })
  const forwarder = spawnForwarder(netns, socket)
  s.record.forwarder = { pid: forwarder.pid!, socket }
  const address = spec.address ?? '127.0.0.1'
  for (const c of spec.containers) {
    for (const m of c.portMappings ?? []) {
      const port = await publish(address, m.hostPort ?? 0, m.containerPort, socket).catch((error: Error) => {
        throw new RunnerError('CannotStartContainerError', `container ${c.name}: cannot publish port ${m.containerPort} on ${address}:${m.hostPort ?? 0}: ${error.message}`, { cause: error })
      })
      s.ports.push(port)
      s.record.bindings.push(port.binding)
    }
  }
}
