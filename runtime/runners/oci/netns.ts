// The network namespace of a sandbox that shares one (several containers, or
// published ports): made apart from its containers by `stratus-oci-shim netns`
// (shim.c), which unshares a namespace, brings its loopback up and waits while
// this process opens /proc/<pid>/ns/net. From then on that fd holds the
// namespace: every container joins it (/proc/<runner>/fd/<n>), and so does the
// port forwarder; none of them owns it, so a first container that ends at once
// takes nothing with it. The helper exits as soon as the fd is open.
import { spawn } from 'node:child_process'
import { open, type FileHandle } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { startFailed } from '../errors.js'

export async function newNetworkNamespace(shim: string): Promise<FileHandle> {
  const child = spawn(shim, ['netns'], { stdio: ['pipe', 'pipe', 'inherit'] })
  child.stdin!.on('error', () => {})
  try {
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! })
      lines.once('line', (line) => (line === 'ready' ? resolve() : reject(new Error(line.replace(/^error /, '')))))
      lines.once('close', () => reject(new Error('the helper ended without a word')))
      child.once('error', reject)
    })
    // Still our unreaped child (it waits for its stdin): this is its namespace, whatever pids are reused.
    return await open(`/proc/${child.pid}/ns/net`, 'r')
  } catch (error) {
    throw startFailed(`the sandbox's network namespace could not be made: ${(error as Error).message}`, error)
  } finally {
    child.stdin!.end()
  }
}
