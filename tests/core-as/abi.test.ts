// The host's mirror of the ABI (runtime/scheduler/abi.ts) matches the globals
// the compiled module exports, in both builds.
import t from 'tap'
import * as abi from '../../runtime/scheduler/abi.js'
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { Rtrace } from './rtrace.js'

t.test('every ABI constant agrees with the module', async (t) => {
  const release = await loadWasmCore()
  const debug = await loadWasmCore({ build: 'debug', imports: { rtrace: new Rtrace().imports } })
  const names = Object.keys(abi)
  t.ok(names.length > 50, `${names.length} constants`)
  for (const name of names) {
    const value = (abi as Record<string, number>)[name]
    t.equal(release.exportedConstant(name), value, `release ${name}`)
    t.equal(debug.exportedConstant(name), value, `debug ${name}`)
  }
})
