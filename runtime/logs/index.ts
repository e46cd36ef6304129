export { LogStore } from './log-store.js'
