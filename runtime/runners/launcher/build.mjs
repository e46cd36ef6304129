#!/usr/bin/env node
// Compiles the native helpers with the system C compiler ($CC, else cc):
//   build/launcher/stratus-launcher   the process launcher (runtime/runners/launcher/launcher.c)
//   build/lb/stratus-relay            the NLB TCP byte path (runtime/lb/relay/relay.c)
//   build/bench/posix-spawn-loop      the C baseline of bench/process-spawn.ts
// Run by `npm run build` (so by `npm install`) and, in the published package, by its
// `install` script; also runnable alone. Never fails unless --strict:
// without a compiler it prints one line and the launcher uses its Node backend.
// Up-to-date outputs are kept unless --force. Needs nothing but Node and the C sources.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..', '..', '..')
const force = process.argv.includes('--force')
const cc = process.env.CC || 'cc'

const targets = [
  // -z now: no lazy symbol binding inside a vfork child, which shares our memory.
  { source: 'runtime/runners/launcher/launcher.c', output: 'build/launcher/stratus-launcher', what: 'process launcher', flags: ['-pthread', '-Wl,-z,now'],
    without: 'Stratus will start jobs through its Node backend' },
  { source: 'runtime/lb/relay/relay.c', output: 'build/lb/stratus-relay', what: 'TCP relay',
    without: 'NLB TCP listeners will move bytes in Node' },
  { source: 'bench/c/posix-spawn-loop.c', output: 'build/bench/posix-spawn-loop', what: 'posix_spawn baseline',
    without: 'bench:spawn will report no C baseline' }
]

function upToDate(source, output) {
  if (force || !existsSync(output)) return false
  return statSync(output).mtimeMs >= statSync(source).mtimeMs
}

/** Compiles one target: undefined when built (or nothing to build), else why not. */
function compile({ source, output, what, without, flags = [] }) {
  const src = join(root, source)
  const out = join(root, output)
  if (!existsSync(src)) return undefined
  if (upToDate(src, out)) return undefined
  mkdirSync(dirname(out), { recursive: true })
  // Build beside the target and rename over it: a running helper keeps its old inode.
  const tmp = `${out}.tmp-${process.pid}`
  const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', ...flags, '-o', tmp, src], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.error || result.status !== 0) {
    rmSync(tmp, { force: true })
    const why = result.error ? result.error.message : `exit code ${result.status}`
    return `could not compile the ${what} with ${cc} (${why}); ${without}`
  }
  renameSync(tmp, out)
  return undefined
}

// One line for everything not built: a missing compiler fails every target the same way.
const failures = []
for (const target of targets) {
  try {
    const failure = compile(target)
    if (failure !== undefined) failures.push(failure)
  } catch (error) {
    // An unwritable package directory and the like: report it, never fail an install over it.
    failures.push(`could not build the ${target.what} (${error.message}); ${target.without}`)
  }
}
if (failures.length > 0) console.warn(`build-launcher: ${failures.join('; ')}`)
if (failures.length > 0 && process.argv.includes('--strict')) process.exitCode = 1
