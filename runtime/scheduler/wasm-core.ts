// The WebAssembly placement core (core-as, compiled by asc): loading it, and
// the thin wrapper that turns its status codes into typed errors.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as abi from './abi.js'
import { completeShape, layoutArena, PlacementBatch, type BatchShape } from './placement-batch.js'
import { readMetrics, type PlacementCore, type PlanMetrics } from './core.js'
import { validateBatch, validateShape } from './validate.js'
import { InternalError, InvalidArgumentError, UnavailableError } from '../errors.js'

export type CoreBuild = 'release' | 'debug'

// The public types below spell out the slice of WebAssembly they use instead of naming
// the global WebAssembly namespace: @types/node does not declare it (webassembly.d.ts
// does, for this build only), so a consumer's tsc would not find it in our .d.ts files.

/** A module's linear memory, as the host reads it (a WebAssembly.Memory). */
export interface LinearMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/** Imports of a module by module name, then field (the shape of WebAssembly.Imports). */
export type CoreImports = Record<string, Record<string, unknown>>

interface CoreExports {
  memory: LinearMemory
  alloc(bytes: number): number
  release(ptr: number): void
  scratchBytes(header: number): number
  scratchFor(nodes: number, pairs: number, grouped: number): number
  place(header: number): number
  orderJobs(count: number, priority: number, envOrder: number, sequence: number, out: number, tmp: number): number
  [name: string]: unknown
}

export interface WasmCoreOptions {
  /** `release` (default: -O3, no assertions) or `debug` (assertions, rtrace hooks). */
  build?: CoreBuild
  /** Extra imports, e.g. an `rtrace` module for the debug build. */
  imports?: CoreImports
}

/** Finds build/core-as/<build>.wasm above this file (works from sources and from dist/). */
export function coreWasmPath(build: CoreBuild): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'build', 'core-as', `${build}.wasm`)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) {
      throw new UnavailableError('SchedulerCoreMissing', `build/core-as/${build}.wasm was not found: run \`npm run build:core\``)
    }
    dir = parent
  }
}

const modules = new Map<CoreBuild, Promise<WebAssembly.Module>>()

function compiled(build: CoreBuild): Promise<WebAssembly.Module> {
  let module = modules.get(build)
  if (module === undefined) {
    module = readFile(coreWasmPath(build)).then((bytes) => WebAssembly.compile(bytes))
    modules.set(build, module)
  }
  return module
}

class CoreAbort extends Error {}

export async function loadWasmCore(options: WasmCoreOptions = {}): Promise<WasmPlacementCore> {
  const build = options.build ?? 'release'
  const module = await compiled(build)
  let memory: LinearMemory | undefined
  const readString = (ptr: number): string => {
    if (!ptr || memory === undefined) return ''
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]
    return Buffer.from(memory.buffer, ptr, bytes).toString('utf16le')
  }
  const imports: CoreImports = {
    ...options.imports,
    env: {
      abort(message: number, file: number, line: number, column: number) {
        throw new CoreAbort(`${readString(message)} at ${readString(file)}:${line}:${column}`)
      },
      ...(options.imports?.env ?? {})
    }
  }
  const instance = await WebAssembly.instantiate(module, imports as WebAssembly.Imports)
  const exports = instance.exports as unknown as CoreExports
  memory = exports.memory
  return new WasmPlacementCore(exports, build)
}

export class WasmPlacementCore implements PlacementCore {
  readonly kind = 'wasm' as const
  readonly build: CoreBuild
  readonly #exports: CoreExports
  readonly #memory = () => this.#exports.memory.buffer
  /** Scratch reserved with each batch (see allocate). */
  readonly #scratch = new WeakMap<PlacementBatch, { at: number; bytes: number }>()

  constructor(exports: CoreExports, build: CoreBuild) {
    this.#exports = exports
    this.build = build
  }

  /** The module's exported globals (the ABI constants), by name. */
  exportedConstant(name: string): number | undefined {
    const g = this.#exports[name]
    return g instanceof WebAssembly.Global ? Number(g.value) : undefined
  }

  /** The module's linear memory (for tracers and tests). */
  get memory(): LinearMemory {
    return this.#exports.memory
  }

  /** Bytes of linear memory the module holds now. */
  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength
  }

  #alloc(bytes: number, what: string): number {
    let ptr = 0
    try {
      ptr = this.#exports.alloc(bytes)
    } catch (cause) {
      if (!(cause instanceof CoreAbort)) throw cause
    }
    if (ptr === 0) {
      throw new UnavailableError('SchedulerOutOfMemory', `linear memory cannot hold ${bytes} more bytes for the ${what}`)
    }
    return ptr
  }

  /**
   * One block holds the arena and the scratch a batch without groups needs:
   * the allocator grows linear memory by what one request asks (but doubles it
   * for a second, larger one), so reserving both at once keeps memory tight.
   */
  allocate(shape: BatchShape): PlacementBatch {
    validateShape(shape)
    const full = completeShape(shape)
    const layout = layoutArena(full)
    const scratch = this.#exports.scratchFor(full.nodes, full.pairs, 0)
    if (scratch < 0) throw statusError(-scratch)
    const arena = (layout.bytes + 15) & ~15
    const base = this.#alloc(arena + scratch, 'batch')
    new Uint8Array(this.#memory(), base, layout.bytes).fill(0)
    const batch = new PlacementBatch(full, this.#memory, base, layout)
    this.#scratch.set(batch, { at: base + arena, bytes: scratch })
    return batch
  }

  release(batch: PlacementBatch): void {
    this.#scratch.delete(batch)
    this.#exports.release(batch.base)
  }

  place(batch: PlacementBatch): PlanMetrics {
    validateBatch(batch)
    const status = this.placeUnchecked(batch)
    if (status !== abi.STATUS_OK) throw statusError(status)
    return readMetrics(batch.plan.metrics)
  }

  /**
   * place() without the host's validation: the core's own checks still run
   * and their status code is returned (STATUS_OK, or STATUS_INVALID_BASE +
   * the header slot at fault). For callers that validated already, and for
   * tests of the core's safety net.
   */
  placeUnchecked(batch: PlacementBatch): number {
    batch.writeHeader()
    const header = batch.address('plan', 'header')
    const need = this.#exports.scratchBytes(header)
    if (need < 0) return -need
    const reserved = this.#scratch.get(batch)
    const own = reserved === undefined || reserved.bytes < need
    const scratch = own ? this.#alloc(need, 'placement scratch') : reserved.at
    try {
      const h = batch.views.header // re-read: the allocation may have grown memory
      h[abi.H_SCRATCH] = scratch
      h[abi.H_SCRATCH_BYTES] = need
      try {
        return this.#exports.place(header)
      } catch (cause) {
        throw new InternalError('SchedulerCoreTrapped', 'the placement core trapped', { cause })
      }
    } finally {
      if (own) this.#exports.release(scratch)
    }
  }

  orderJobs(priority: Int32Array, envOrder: Int32Array, sequence: Int32Array): Int32Array {
    const count = priority.length
    if (envOrder.length !== count || sequence.length !== count) {
      throw new InvalidArgumentError('SchedulerInvalidInput', 'priority, envOrder and sequence must have the same length', { field: 'jobs' })
    }
    const bytes = Math.max(count * 4, 8)
    const block = this.#alloc(bytes * 5, 'job order')
    try {
      const mem = new Int32Array(this.#memory())
      const at = (k: number) => block + k * bytes
      mem.set(priority, at(0) >> 2)
      mem.set(envOrder, at(1) >> 2)
      mem.set(sequence, at(2) >> 2)
      const status = this.#exports.orderJobs(count, at(0), at(1), at(2), at(3), at(4))
      if (status !== abi.STATUS_OK) throw statusError(status)
      return new Int32Array(this.#memory(), at(3), count).slice()
    } finally {
      this.#exports.release(block)
    }
  }
}

const SLOT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(abi).filter(([name]) => name.startsWith('H_')).map(([name, value]) => [value as number, name.slice(2).toLowerCase()])
)

function statusError(status: number): Error {
  if (status === abi.STATUS_SCRATCH_TOO_SMALL) return new UnavailableError('SchedulerScratchTooSmall', 'the placement scratch area is too small')
  if (status === abi.STATUS_OUT_OF_BOUNDS) return new InvalidArgumentError('SchedulerOutOfBounds', 'a batch column lies outside linear memory', { field: 'batch' })
  if (status >= abi.STATUS_INVALID_BASE) {
    const field = SLOT_NAMES[status - abi.STATUS_INVALID_BASE] ?? `slot ${status - abi.STATUS_INVALID_BASE}`
    return new InvalidArgumentError('SchedulerInvalidInput', `the placement core refused the value of ${field}`, { field })
  }
  return new InternalError('SchedulerStatus', `the placement core returned status ${status}`)
}
