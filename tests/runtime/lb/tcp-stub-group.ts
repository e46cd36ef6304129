// TEMPORARY: a round-robin TargetGroupRuntime for the listener tests until
// runtime/lb/target-group.ts (helper lbtg) lands; the tests then use the real one.
import type { Clock } from '../../../runtime/clock/clock.js'
import type { PickRequest, Picked, TargetGroupConfig, TargetGroupRuntime, TargetHealth, TargetSpec } from '../../../runtime/lb/model.js'

export class TargetGroup implements TargetGroupRuntime {
  config: TargetGroupConfig
  targets: TargetSpec[] = []
  inUse = false
  outstanding = 0
  released = 0
  #next = 0

  constructor(config: TargetGroupConfig, _o: { clock: Clock }) {
    this.config = config
  }

  update(config: TargetGroupConfig): void { this.config = config }
  register(targets: readonly TargetSpec[]): void { this.targets.push(...targets) }
  deregister(targets: readonly { id: string; port: number }[]): void {
    this.targets = this.targets.filter((t) => !targets.some((d) => d.id === t.id && d.port === t.port))
  }

  setInUse(inUse: boolean): void { this.inUse = inUse }
  health(): TargetHealth[] { return [] }
  pick(_request: PickRequest): Picked | undefined {
    if (this.targets.length === 0) return undefined
    const target = this.targets[this.#next++ % this.targets.length]
    this.outstanding++
    let done = false
    return { target, key: `${target.id}:${target.port}`, release: () => { if (!done) { done = true; this.outstanding--; this.released++ } } }
  }

  onChange(): () => void { return () => {} }
  close(): void {}
}
