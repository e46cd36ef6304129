// Store v2 (store.ts: the interface; memory.ts: the embedded default) and the
// v1 store still used by Batch until it moves over.
export type { Change, IndexFunction, Outbox, OutboxEntry, ScanOptions, Store, StoreReader, Transaction, Versioned } from './store.js'
export { ColumnSet, type ColumnArray, type ColumnDefinition, type ColumnKind } from './columns.js'
export { MemoryStore } from './memory.js'
export { LegacyMemoryStore, type Store as LegacyStore } from './legacy.js'
