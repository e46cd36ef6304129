// STAND-IN until helper lbtg's TargetGroup (runtime/lb/target-group.ts) is in
// main: round robin over registered targets, sticky keys honoured, in-flight
// counted per target. Replaced by the real one (same constructor) on merge.
import type { Clock } from '../../../runtime/clock/clock.js'
import type { PickRequest, Picked, TargetGroupConfig, TargetGroupRuntime, TargetHealth, TargetSpec, TargetState } from '../../../runtime/lb/model.js'

export class TargetGroup implements TargetGroupRuntime {
  #config: TargetGroupConfig
  readonly #targets: TargetSpec[] = []
  #next = 0
  readonly inFlight = new Map<string, number>()

  constructor(config: TargetGroupConfig, _o: { clock: Clock }) {
    this.#config = config
  }
  get config(): TargetGroupConfig {
    return this.#config
  }
  update(config: TargetGroupConfig): void {
    this.#config = config
  }
  register(targets: readonly TargetSpec[]): void {
    this.#targets.push(...targets)
  }
  deregister(targets: readonly { id: string; port: number }[]): void {
    for (const t of targets) {
      const i = this.#targets.findIndex((x) => x.id === t.id && x.port === t.port)
      if (i >= 0) this.#targets.splice(i, 1)
    }
  }
  setInUse(_inUse: boolean): void {}
  health(_targets?: readonly { id: string; port: number }[]): TargetHealth[] {
    return this.#targets.map((t) => ({ id: t.id, port: t.port, host: t.host, healthCheckPort: String(t.port), state: 'healthy' }))
  }
  pick(request: PickRequest): Picked | undefined {
    if (this.#targets.length === 0) return undefined
    let target = request.sticky === undefined ? undefined : this.#targets.find((t) => `${t.id}:${t.port}` === request.sticky)
    target ??= this.#targets[this.#next++ % this.#targets.length]!
    const key = `${target.id}:${target.port}`
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1)
    let released = false
    return {
      target,
      key,
      release: () => {
        if (released) throw new Error('released twice')
        released = true
        this.inFlight.set(key, this.inFlight.get(key)! - 1)
      }
    }
  }
  onChange(_l: (health: TargetHealth, previous: TargetState | undefined) => void): () => void {
    return () => undefined
  }
  close(): void {}
}
