// The real tools some tests drive (docker CLI + dockerd, skopeo, a static busybox). A test
// that needs one calls requireTool first: without it the test fails with a message naming
// what is missing and how to get it, never skips (a skip would count as a pass).
// tests/provision.sh, which `npm test` runs first, installs them when it runs as root.
import { execFile } from 'node:child_process'
import { open } from 'node:fs/promises'
import { promisify } from 'node:util'

const exec = promisify(execFile)

export type Tool = 'docker' | 'skopeo' | 'busybox' | 'aws'

/** Debian's aws CLI (awscli): the tests call it by path, since another `aws` may come first on PATH. */
export const AWS_CLI = '/usr/bin/aws'

const PROVISION = 'npm test runs tests/provision.sh, which installs and starts it when run as root (sudo sh tests/provision.sh)'

/** First line of a failed command's stderr, or its error message. */
function why(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim()
  return (stderr ? stderr.split('\n')[0] : (error as Error).message) ?? String(error)
}

/** Whether path is an ELF64 executable with no PT_INTERP program header (statically linked). */
export async function isStaticElf(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined)
  if (file === undefined) return false
  try {
    const head = Buffer.alloc(4096)
    const { bytesRead } = await file.read(head, 0, head.length, 0)
    if (bytesRead < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return false
    const phoff = Number(head.readBigUInt64LE(32))
    const phentsize = head.readUInt16LE(54)
    const phnum = head.readUInt16LE(56)
    const table = Buffer.alloc(phentsize * phnum)
    await file.read(table, 0, table.length, phoff)
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false
    return true
  } finally {
    await file.close()
  }
}

const CHECKS: Record<Tool, () => Promise<string | undefined>> = {
  async docker() {
    try {
      await exec('docker', ['version', '--format', '{{.Client.Version}}'])
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'the docker CLI is not installed (Debian: apt-get install docker.io)'
    }
    try {
      await exec('docker', ['info', '--format', '{{.ServerVersion}}'])
      return undefined
    } catch (error) {
      return `dockerd is not reachable (docker info: ${why(error)}); start it: dockerd --iptables=false --ip-masq=false &`
    }
  },
  async skopeo() {
    try {
      await exec('skopeo', ['--version'])
      return undefined
    } catch (error) {
      return `skopeo does not run (${why(error)}; Debian: apt-get install skopeo)`
    }
  },
  async aws() {
    try {
      await exec(AWS_CLI, ['--version'])
      return undefined
    } catch (error) {
      return `Debian's aws CLI does not run at ${AWS_CLI} (${why(error)}; Debian: apt-get install awscli)`
    }
  },
  async busybox() {
    return (await isStaticElf('/bin/busybox'))
      ? undefined
      : 'no statically linked /bin/busybox (the images built from it start FROM scratch; Debian: apt-get install busybox-static)'
  }
}

/** Throws, naming what is missing and how to get it, unless every tool given works here. */
export async function requireTool(...tools: Tool[]): Promise<void> {
  const problems: string[] = []
  for (const tool of tools) {
    const problem = await CHECKS[tool]()
    if (problem !== undefined) problems.push(`${tool}: ${problem}`)
  }
  if (problems.length > 0) throw new Error(`this test needs ${tools.join(', ')}: ${problems.join('; ')}. ${PROVISION}`)
}
