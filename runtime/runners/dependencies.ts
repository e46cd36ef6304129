// What every runner with dependsOn decides the same way: whether a waiting
// container may start, must wait, or can never start (a condition that can no
// longer hold ends the sandbox), and the mounts a container gets from its
// volumesFrom. Pure functions over what the runner knows of its containers.
import type { ContainerSpec, DependencyFailure, HealthStatus, Mount, VolumeMount } from './runner.js'

/** What a condition looks at in the container it names. */
export interface DependencyView {
  /** It has been started (it may have exited since). */
  started: boolean
  /** Its exit code once it has exited (null: a signal ended it); undefined while it has not. */
  exitCode: number | null | undefined
  health?: HealthStatus
}

export type Verdict = 'start' | 'wait' | DependencyFailure

/** START: started; COMPLETE: exited; SUCCESS: exited 0; HEALTHY: its check passed (UNHEALTHY, or an exit before, fails it). */
export function dependencyVerdict(spec: ContainerSpec, view: (name: string) => DependencyView): Verdict {
  let verdict: Verdict = 'start'
  for (const dep of spec.dependsOn ?? []) {
    const other = view(dep.containerName)
    const exited = other.exitCode !== undefined
    let holds: boolean
    let never = false
    switch (dep.condition) {
      case 'START': holds = other.started; break
      case 'COMPLETE': holds = exited; break
      case 'SUCCESS': holds = exited && other.exitCode === 0; never = exited && !holds; break
      case 'HEALTHY': holds = other.health === 'HEALTHY'; never = !holds && (other.health === 'UNHEALTHY' || exited); break
    }
    if (never) return { container: spec.name, dependency: dep.containerName, condition: dep.condition }
    if (!holds) verdict = 'wait'
  }
  return verdict
}

/** The sandbox's reason, ECS's words: `DependencyConditionNotMet: container app dependency db did not reach HEALTHY`. */
export function dependencyReason(failure: DependencyFailure): string {
  return `DependencyConditionNotMet: container ${failure.container} dependency ${failure.dependency} did not reach ${failure.condition}`
}

/**
 * A container's own bind mounts and volumes, and those of the containers it
 * names in volumesFrom (theirs, transitively: what they have is what they
 * got), read-only where the volumesFrom entry or the source's mount says so.
 */
export function effectiveMounts(containers: readonly ContainerSpec[], index: number): { mounts: Mount[]; volumes: VolumeMount[] } {
  const mounts: Mount[] = []
  const volumes: VolumeMount[] = []
  const seen = new Set<number>()
  const add = (i: number, readOnly: boolean) => {
    if (seen.has(i)) return
    seen.add(i)
    const c = containers[i]
    for (const m of c.mounts ?? []) mounts.push(readOnly ? { ...m, readOnly: true } : m)
    for (const v of c.volumes ?? []) volumes.push(readOnly ? { ...v, readOnly: true } : v)
    for (const from of c.volumesFrom ?? []) {
      const source = containers.findIndex((o) => o.name === from.sourceContainer)
      if (source >= 0) add(source, readOnly || from.readOnly === true)
    }
  }
  add(index, false)
  return { mounts, volumes }
}
