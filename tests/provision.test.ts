// The test environment's tools: tests/provision.sh reports what is missing and how to get
// it when it cannot install (and still exits 0), and requireTool (tests/tools.ts) fails a
// test that needs a missing tool with a message naming it, instead of skipping it.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isStaticElf, requireTool } from './tools.js'

const script = join(fileURLToPath(import.meta.url), '..', 'provision.sh')

async function tempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function sh(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stderr }))
  })
}

t.test('provision.sh without apt-get or the tools: says what is missing and how to get it, exits 0', async (t) => {
  // A PATH with the shell utilities the script uses and none of the tools (nor apt-get).
  const bin = await tempDir(t, 'stratus-provision-path-')
  for (const tool of ['od', 'tr', 'id', 'sort', 'sleep', 'printf', 'cat']) await symlink(`/usr/bin/${tool}`, join(bin, tool)).catch(() => symlink(`/bin/${tool}`, join(bin, tool)))
  const { code, stderr } = await sh([script], { PATH: bin })
  t.equal(code, 0, 'it does not fail by itself')
  t.match(stderr, /^provision: missing: docker dockerd skopeo runc crun docker-registry - /m, 'names every missing tool')
  t.match(stderr, /apt-get install -y --no-install-recommends crun docker-registry docker\.io runc skopeo$/m, 'and the Debian packages to install')
  if (process.getuid?.() === 0) t.notMatch(stderr, /sudo/, 'as root, no sudo in the advice')
  else t.match(stderr, /sudo sh tests\/provision\.sh/, 'and the script that installs them as root')
})

t.test('requireTool fails, naming the missing tool and how to get it', async (t) => {
  const path = process.env.PATH
  process.env.PATH = '/nonexistent'
  t.teardown(() => { process.env.PATH = path })
  const error = await requireTool('docker', 'skopeo').then(() => undefined, (e: Error) => e)
  t.ok(error instanceof Error, 'rejects')
  t.match(error?.message, /docker: the docker CLI is not installed \(Debian: apt-get install docker\.io\)/)
  t.match(error?.message, /skopeo: skopeo does not run \(.*ENOENT.*apt-get install skopeo\)/)
  t.match(error?.message, /tests\/provision\.sh/)
})

t.test('a busybox that is not statically linked does not count', async (t) => {
  const dir = await tempDir(t, 'stratus-elf-')
  // The 64-byte ELF64 header and one program header: PT_LOAD (1) is static, PT_INTERP (3) is not.
  const elf = async (name: string, programType: number) => {
    const bytes = Buffer.alloc(64 + 56)
    bytes.writeUInt32BE(0x7f454c46, 0)
    bytes[4] = 2 // ELFCLASS64
    bytes[5] = 1 // little-endian
    bytes.writeBigUInt64LE(64n, 32) // e_phoff
    bytes.writeUInt16LE(56, 54) // e_phentsize
    bytes.writeUInt16LE(1, 56) // e_phnum
    bytes.writeUInt32LE(programType, 64)
    await writeFile(join(dir, name), bytes, { mode: 0o755 })
    return join(dir, name)
  }
  t.equal(await isStaticElf(await elf('static', 1)), true, 'no interpreter: static')
  t.equal(await isStaticElf(await elf('dynamic', 3)), false, 'an interpreter: dynamic')
  t.equal(await isStaticElf(script), false, 'a shell script is not an ELF')
  t.equal(await isStaticElf(join(dir, 'absent')), false, 'nor is a missing file')
})
