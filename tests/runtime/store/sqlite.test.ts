// The SQLite store passes the one store conformance suite (conformance.ts),
// unchanged: each test gets a fresh file in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SqliteStore } from '../../../runtime/store/index.js'
import { storeConformance } from './conformance.js'

const root = mkdtempSync(join(tmpdir(), 'stratus-sqlite-conformance-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
let n = 0

storeConformance(t, { name: 'sqlite', create: async () => SqliteStore.open(join(root, `state-${n++}.db`)) })
