// Store v2: store.ts, the interface; memory.ts, the embedded default; sqlite.ts, the store on disk (--data-dir).
export type { Change, IndexFunction, Outbox, OutboxEntry, ScanOptions, Store, StoreReader, Transaction, Versioned } from './store.js'
export { ColumnSet, type ColumnArray, type ColumnDefinition, type ColumnKind } from './columns.js'
export { MemoryStore } from './memory.js'
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js'
