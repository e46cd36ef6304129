// dependsOn on Docker: the containers of a sandbox that wait on conditions
// were created with the others and are started here, once their conditions
// hold (dependencies.ts decides), after running(). What follows a start — its
// log and exit followed, a report, or its kill when the sandbox's end came
// meanwhile — and a condition that can no longer hold are the runner's
// (hooks).
import { dependencyVerdict } from '../dependencies.js'
import { startWaiting } from './launch.js'
import type { DockerContainer, DockerSandbox } from './state.js'

export interface FlowHooks {
  /** A waiting container has started. */
  started(c: DockerContainer): void
  /** A waiting container could not be started: its exit says why (notStarted, reason). */
  notStarted(c: DockerContainer): void
  /** A condition can no longer hold (s.dependencyFailure says which): the sandbox ends. */
  failed(): void
}

export function evaluateDependencies(s: DockerSandbox, hooks: FlowHooks): void {
  for (const c of s.containers) {
    if (s.state !== 'running' || s.ending || s.discarded) return
    if (c.started || c.launching || c.exit !== undefined) continue
    const verdict = dependencyVerdict(c.spec, (name) => s.container(name)!.view())
    if (verdict === 'wait') continue
    if (verdict !== 'start') {
      s.dependencyFailure = verdict
      hooks.failed()
      return
    }
    c.launching = true
    startWaiting(s, c).then(() => {
      c.launching = false
      c.started = true
      c.state = 'running'
      hooks.started(c)
    }, (error: Error) => {
      c.launching = false
      c.state = 'exited'
      c.exit = { name: c.spec.name, exitCode: null, signal: null, oomKilled: false, notStarted: true, reason: `CannotStartContainerError: ${error.message}` }
      hooks.notStarted(c)
    })
  }
}
