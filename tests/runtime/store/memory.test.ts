// The memory store passes the one store conformance suite (conformance.ts), unchanged.
import t from 'tap'
import { MemoryStore } from '../../../runtime/store/index.js'
import { storeConformance } from './conformance.js'

storeConformance(t, { name: 'memory', create: async () => new MemoryStore() })
