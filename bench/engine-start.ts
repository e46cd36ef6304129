// What an engine start costs: Engine.start with the simulated runner (an
// in-memory store, a manual clock), timed in a fresh child process per build
// so the module cache is cold for the first start: the first start (what a
// process pays once, imports included), then the median of 20 more (start +
// close each). With --before=DIR (another build's dist directory, e.g. a
// checkout of main) both builds are measured in the same run, interleaved.
//
//   node dist/bench/engine-start.js [--before=/path/to/dist] [--runs=20] [--json]
//
// Never fails on time: it reports.

import { execFileSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k, v ?? 'true'] as const }))
const runs = Number(args.get('runs') ?? 20)

/** The child: imports the engine of `dist`, times its starts, prints JSON. */
const CHILD = `
const { performance } = await import('node:perf_hooks')
const t0 = performance.now()
const { Engine } = await import(process.env.ENGINE_JS)
const imported = performance.now() - t0
const once = async () => { const s = performance.now(); const e = await Engine.start({ runner: 'simulated', clock: 'manual' }); const ms = performance.now() - s; await e.close(); return ms }
const first = await once()
const rest = []
for (let i = 0; i < Number(process.env.RUNS); i++) rest.push(await once())
rest.sort((a, b) => a - b)
console.log(JSON.stringify({ imported, first, median: rest[Math.floor(rest.length / 2)], min: rest[0], max: rest[rest.length - 1] }))
`

function measure(dist: string): { imported: number; first: number; median: number; min: number; max: number } {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, ENGINE_JS: 'file://' + join(resolve(dist), 'runtime', 'engine.js'), RUNS: String(runs) }, encoding: 'utf8'
  })
  return JSON.parse(out.trim().split('\n').pop()!)
}

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const builds: Array<[string, string]> = [...(args.has('before') ? [['before', args.get('before')!] as [string, string]] : []), ['this build', here]]
const results: Record<string, ReturnType<typeof measure>> = {}
for (const [name, dist] of builds) results[name] = measure(dist)
if (args.has('json')) console.log(JSON.stringify(results))
else {
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(10)} import ${r.imported.toFixed(1)} ms  first start ${r.first.toFixed(1)} ms  median of ${runs} ${r.median.toFixed(2)} ms (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`)
  }
}
