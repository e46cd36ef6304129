// Both placement cores, for tests that must hold for each.
import { loadWasmCore } from '../../runtime/scheduler/wasm-core.js'
import { TsPlacementCore } from '../../runtime/scheduler/twin.js'
import { Scheduler } from '../../runtime/scheduler/scheduler.js'
import type { PlacementCore } from '../../runtime/scheduler/core.js'

export async function bothCores(): Promise<Array<[string, PlacementCore]>> {
  return [['wasm', await loadWasmCore()], ['typescript', new TsPlacementCore()]]
}

export async function bothSchedulers(): Promise<Array<[string, Scheduler]>> {
  return (await bothCores()).map(([name, core]) => [name, new Scheduler(core)])
}
