// The docker runner's live sandboxes looked up for logs() and exec(): a
// sandbox by id, one of its containers by name, refused naming the argument.

import { fileLines } from '../../logs/file-lines.js'
import { invalidArgument } from '../errors.js'
import type { DockerContainer, DockerSandbox } from './state.js'

async function* noLines(): AsyncGenerator<string> {}

/** A container's output lines (default: the first container); followed until the sandbox's end is reported. */
export function sandboxLogs(live: ReadonlyMap<string, DockerSandbox>, id: string, options: { container?: string; follow?: boolean }): AsyncIterable<string> {
  const s = live.get(id)
  if (s === undefined) return noLines()
  const c = s.container(options.container)
  if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(options.container)}`)
  // Until its end is reported (a recovered sandbox nobody attached to: until its output is in).
  return fileLines(c.spec.logPath, options.follow ? { follow: () => live.get(id) === s && !(s.drained && s.listener === undefined) } : {})
}

/** A running container of a live sandbox (exec's target). */
export function runningContainer(live: ReadonlyMap<string, DockerSandbox>, id: string, container: string): { s: DockerSandbox; c: DockerContainer } {
  const s = live.get(id)
  if (s === undefined) throw invalidArgument('id', `no live sandbox ${JSON.stringify(id)}`)
  const c = s.container(container)
  if (c === undefined) throw invalidArgument('container', `sandbox ${JSON.stringify(id)} has no container ${JSON.stringify(container)}`)
  if (c.state !== 'running' || c.exit !== undefined) throw invalidArgument('container', `container ${container} of sandbox ${JSON.stringify(id)} is not running`)
  return { s, c }
}
