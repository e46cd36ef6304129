// The holder of a multi-container awsvpc sandbox: a container that does
// nothing but own the network namespace (and the published ports) that the
// sandbox's containers join with NetworkMode `container:<holder>`, so that a
// container exiting early never takes the others' network with it — the
// role Kubernetes gives its pause container.
//
// Its image is made here, without any network: a rootfs holding one static
// x86-64 executable of 129 bytes (an ELF header, one program header and
// `1: mov eax, 34 (pause); syscall; jmp 1b`), imported into each engine once
// as stratus/pause:<revision>. Nothing else would do offline: the run's own
// images may have no `sleep` (distroless, scratch), and Docker Hub's pause
// image is out of reach. PID 1 of its namespace has no signal handlers, so
// only SIGKILL ends it, which is all the runner ever sends it.
import { pack } from 'tar-stream'
import { DockerApiError, type DockerClient } from './client.js'

export const HOLDER_IMAGE = 'stratus/pause:1'

/** The pause program: an ELF64 executable for x86-64, loaded at 0x400000. */
export function pauseProgram(): Buffer {
  const code = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7])
  const base = 0x400000n
  const headers = 64 + 56
  const total = BigInt(headers + code.length)
  const elf = Buffer.alloc(headers)
  elf.write('\x7fELF', 0, 'latin1')
  elf[4] = 2 // 64-bit
  elf[5] = 1 // little-endian
  elf[6] = 1 // ELF version 1
  elf.writeUInt16LE(2, 16) // ET_EXEC
  elf.writeUInt16LE(0x3e, 18) // EM_X86_64
  elf.writeUInt32LE(1, 20)
  elf.writeBigUInt64LE(base + BigInt(headers), 24) // entry: right after the headers
  elf.writeBigUInt64LE(64n, 32) // program headers follow the ELF header
  elf.writeUInt16LE(64, 52) // e_ehsize
  elf.writeUInt16LE(56, 54) // e_phentsize
  elf.writeUInt16LE(1, 56) // e_phnum
  elf.writeUInt32LE(1, 64) // PT_LOAD
  elf.writeUInt32LE(5, 68) // R + X
  elf.writeBigUInt64LE(0n, 72) // offset
  elf.writeBigUInt64LE(base, 80) // vaddr
  elf.writeBigUInt64LE(base, 88) // paddr
  elf.writeBigUInt64LE(total, 96) // filesz
  elf.writeBigUInt64LE(total, 104) // memsz
  elf.writeBigUInt64LE(0x1000n, 112) // align
  return Buffer.concat([elf, code])
}

/** The holder image's rootfs as an uncompressed tar: /pause, mode 0755. */
export async function holderRootfs(): Promise<Buffer> {
  const tar = pack()
  const program = pauseProgram()
  tar.entry({ name: 'pause', mode: 0o755, size: program.length, mtime: new Date(0), uid: 0, gid: 0 }, program)
  tar.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of tar) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Makes sure the engine has the holder image (imported once; quick when it is there). */
export async function ensureHolderImage(client: DockerClient, architecture: string): Promise<string> {
  if (architecture !== 'x86_64' && architecture !== 'amd64') {
    throw new Error(`the holder of multi-container sandboxes is an x86-64 program; the engine ${client.name} runs on ${architecture}`)
  }
  try {
    await client.request('GET', `/images/${encodeURIComponent(HOLDER_IMAGE)}/json`)
    return HOLDER_IMAGE
  } catch (error) {
    if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error
  }
  const [repo, tag] = HOLDER_IMAGE.split(':')
  const changes = ['CMD ["/pause"]', 'LABEL stratus.holder-image=1'].map((c) => `changes=${encodeURIComponent(c)}`).join('&')
  await client.jsonLines('POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${tag}&${changes}`, { raw: await holderRootfs() }, () => {})
    .catch((error: Error) => { throw new Error(`the engine ${client.name} refused the holder image: ${error.message}`) })
  return HOLDER_IMAGE
}
