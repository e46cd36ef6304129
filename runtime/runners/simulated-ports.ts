// Port mappings of the simulated runner. It listens on nothing: a binding is a
// number handed out, so that what the engine builds on networkBindings (load
// balancer targets, service discovery) sees what a container runner reports.
// A host port is taken once per address and protocol among live sandboxes;
// hostPort 0 gets a distinct number from the ephemeral range.
import { startFailed, type RunnerError } from './errors.js'
import type { ContainerSpec, NetworkBinding, SandboxSpec } from './runner.js'

/** Linux's default ip_local_port_range is 32768-60999; IANA's ephemeral range 49152-65535. */
export const EPHEMERAL_FIRST = 49152
export const EPHEMERAL_LAST = 65535

interface PortHolder {
  spec: ContainerSpec
  bindings: NetworkBinding[] | undefined
}

const keyOf = (address: string, protocol: string, port: number): string => `${address}/${protocol}/${port}`

export class SimulatedPorts {
  readonly #taken = new Set<string>()
  #next = EPHEMERAL_FIRST

  /** Binds every mapping of the sandbox's containers, or none (and says which port was taken). */
  bind(spec: SandboxSpec, containers: PortHolder[]): RunnerError | undefined {
    let any = false
    for (const c of containers) if (c.spec.portMappings !== undefined && c.spec.portMappings.length > 0) any = true
    if (!any) return undefined
    const address = spec.address ?? '127.0.0.1'
    const claimed: string[] = []
    const fail = (error: RunnerError): RunnerError => {
      for (const key of claimed) this.#taken.delete(key)
      for (const c of containers) c.bindings = undefined
      return error
    }
    for (let i = 0; i < containers.length; i++) {
      const mappings = containers[i].spec.portMappings
      if (mappings === undefined || mappings.length === 0) continue
      const bindings: NetworkBinding[] = []
      for (let p = 0; p < mappings.length; p++) {
        const m = mappings[p]
        const protocol = m.protocol ?? 'tcp'
        let hostPort = m.hostPort ?? 0
        if (hostPort === 0) {
          hostPort = this.#ephemeral(address, protocol)
          if (hostPort === 0) {
            return fail(startFailed(`no ephemeral ${protocol} port is left on ${address}`, undefined, `containers[${i}].portMappings[${p}].hostPort`))
          }
        } else if (this.#taken.has(keyOf(address, protocol, hostPort))) {
          return fail(startFailed(`port ${hostPort}/${protocol} on ${address} is already in use by another sandbox`, undefined,
            `containers[${i}].portMappings[${p}].hostPort`))
        }
        const key = keyOf(address, protocol, hostPort)
        this.#taken.add(key)
        claimed.push(key)
        bindings.push({ bindIP: address, containerPort: m.containerPort, hostPort, protocol })
      }
      containers[i].bindings = bindings
    }
    return undefined
  }

  #ephemeral(address: string, protocol: string): number {
    for (let tries = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1; tries > 0; tries--) {
      const port = this.#next
      this.#next = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1
      if (!this.#taken.has(keyOf(address, protocol, port))) return port
    }
    return 0
  }

  release(containers: PortHolder[]): void {
    for (const c of containers) {
      if (c.bindings === undefined) continue
      for (const b of c.bindings) this.#taken.delete(keyOf(b.bindIP, b.protocol, b.hostPort))
    }
  }
}
