// The wire format between Node and the C helper (launcher.c is the other half).
//
//   Node -> helper: binary frames, little-endian, many per write
//     u32 length of the rest | u8 op | body
//     'S' u32 id, u32 flags, u64 memory limit, u32 argc, u32 envc,
//         then NUL-terminated: cwd, stdin, stdout, stderr, argv..., env ("K=V")...
//     'K' u32 id, u32 signal, u32 grace ms (SIGKILL after it; 0 = never)
//     'Q' u32 grace ms
//   helper -> Node: text lines, many per read
//     hello <protocol> <v1|v2|none> <cgroup dir | reason>
//     s <id> <pid> <limit enforced 0|1>
//     f <id> <errno> <stage>
//     x <id> <pid> <code|-1> <signal|0> <oom 0|1> <user us> <sys us> <maxrss KiB>
//
// Binary requests need no escaping of arguments; text replies are easy to read in a trace.
import type { SpawnStage } from './errors.js'
import type { LaunchSpec } from './types.js'

export const PROTOCOL_VERSION = 1
const OP_SPAWN = 0x53 // 'S'
const OP_KILL = 0x4b  // 'K'
const OP_QUIT = 0x51  // 'Q'

/**
 * Accumulates frames into one buffer so that everything requested in one tick
 * goes to the helper in one write.
 */
export class FrameWriter {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024)
  #len = 0

  get length(): number {
    return this.#len
  }

  /** Takes the frames written so far; the writer starts a fresh buffer. */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#len)
    this.#buf = Buffer.allocUnsafe(Math.max(64 * 1024, this.#buf.length >>> 1))
    this.#len = 0
    return out
  }

  #reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + bytes))
    this.#buf.copy(next, 0, 0, this.#len)
    this.#buf = next
  }

  #string(s: string): void {
    // s.length * 3 bytes were reserved: enough for any UTF-16 string as UTF-8.
    this.#len += this.#buf.write(s, this.#len, 'utf8')
    this.#buf[this.#len++] = 0
  }

  spawn(spec: LaunchSpec): void {
    let worst = 29 + 4 * 4 + (spec.cwd.length + spec.stdin.length + spec.stdout.length + spec.stderr.length) * 3
    for (const arg of spec.argv) worst += arg.length * 3 + 1
    let envc = 0
    for (const key in spec.env) {
      worst += (key.length + spec.env[key].length) * 3 + 2
      envc++
    }
    this.#reserve(worst)
    const b = this.#buf
    const start = this.#len
    b[start + 4] = OP_SPAWN
    b.writeUInt32LE(spec.wireId, start + 5)
    b.writeUInt32LE(spec.flags, start + 9)
    // u64 as two u32 halves: limits are safe integers, no BigInt needed.
    b.writeUInt32LE(spec.memoryLimitBytes % 0x1_0000_0000, start + 13)
    b.writeUInt32LE(Math.floor(spec.memoryLimitBytes / 0x1_0000_0000), start + 17)
    b.writeUInt32LE(spec.argv.length, start + 21)
    b.writeUInt32LE(envc, start + 25)
    this.#len = start + 29
    this.#string(spec.cwd)
    this.#string(spec.stdin)
    this.#string(spec.stdout)
    this.#string(spec.stderr)
    for (const arg of spec.argv) this.#string(arg)
    for (const key in spec.env) this.#string(`${key}=${spec.env[key]}`)
    b.writeUInt32LE(this.#len - start - 4, start)
  }

  kill(wireId: number, signal: number, graceMs: number): void {
    this.#reserve(17)
    const b = this.#buf
    const at = this.#len
    b.writeUInt32LE(13, at)
    b[at + 4] = OP_KILL
    b.writeUInt32LE(wireId, at + 5)
    b.writeUInt32LE(signal, at + 9)
    b.writeUInt32LE(graceMs, at + 13)
    this.#len += 17
  }

  quit(graceMs: number): void {
    this.#reserve(9)
    const b = this.#buf
    b.writeUInt32LE(5, this.#len)
    b[this.#len + 4] = OP_QUIT
    b.writeUInt32LE(graceMs, this.#len + 5)
    this.#len += 9
  }
}

export type Reply =
  | { kind: 'hello'; protocol: number; cgroup: 'v1' | 'v2' | 'none'; note: string }
  | { kind: 'started'; wireId: number; pid: number; enforced: boolean }
  | { kind: 'failed'; wireId: number; errno: number; stage: SpawnStage }
  | {
      kind: 'exited'; wireId: number; pid: number; code: number | null; signal: number; oom: boolean
      userUs: number; sysUs: number; maxRssKiB: number
    }

/** Parses one reply line (without its newline); undefined for a line it does not know. */
export function parseReply(line: string): Reply | undefined {
  const f = line.split(' ')
  switch (f[0]) {
    case 's':
      return { kind: 'started', wireId: +f[1], pid: +f[2], enforced: f[3] === '1' }
    case 'x':
      return {
        kind: 'exited', wireId: +f[1], pid: +f[2], code: f[3] === '-1' ? null : +f[3], signal: +f[4], oom: f[5] === '1',
        userUs: +f[6], sysUs: +f[7], maxRssKiB: +f[8]
      }
    case 'f':
      return { kind: 'failed', wireId: +f[1], errno: +f[2], stage: f[3] as SpawnStage }
    case 'hello':
      return { kind: 'hello', protocol: +f[1], cgroup: f[2] as 'v1' | 'v2' | 'none', note: f.slice(3).join(' ') }
    default:
      return undefined
  }
}

/** Splits a stream of text into lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  #rest = ''

  push(chunk: string, onLine: (line: string) => void): void {
    const text = this.#rest.length > 0 ? this.#rest + chunk : chunk
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl))
      start = nl + 1
    }
    this.#rest = start < text.length ? text.slice(start) : ''
  }
}
