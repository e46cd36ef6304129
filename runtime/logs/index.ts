export { LogStore } from './log-store.js'
export { fileLines, type FileLinesOptions } from './file-lines.js'
