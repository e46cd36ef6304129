export { MemoryStore, type Store, type Versioned } from './store.js'
