export { LegacyMemoryStore, type Store as LegacyStore } from './legacy.js'
