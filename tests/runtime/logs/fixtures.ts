// CloudWatch Logs built from its parts over a store and a manual clock (no
// engine, no runner): what the group and stream tests share. Not a test file.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../../runtime/clock/index.js'
import { makePartition, PageTokens } from '../../../runtime/aws/index.js'
import { MemoryStore } from '../../../runtime/store/index.js'
import type { Store } from '../../../runtime/store/index.js'
import { CloudWatchLogs, LogStore, type StreamAttempt } from '../../../runtime/logs/index.js'

export const START = Date.UTC(2026, 0, 5, 12, 0, 0)

export interface LogsRig {
  logs: CloudWatchLogs
  store: Store
  clock: ManualClock
  dir: string
  close(): Promise<void>
}

/** attempt: what Batch would say of a job stream's attempt (default: nothing, as for a stream of no known job). */
export async function logsRig(store: Store = new MemoryStore(), clock = new ManualClock(START), attempt: (name: string) => StreamAttempt | undefined = () => undefined): Promise<LogsRig> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-logs-rig-'))
  const now = () => clock.now()
  const logs = new CloudWatchLogs({
    store, logs: new LogStore(join(dir, 'batch')), now, partition: makePartition(), tokens: new PageTokens({ now }), attempt
  })
  return { logs, store, clock, dir, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }) } }
}
