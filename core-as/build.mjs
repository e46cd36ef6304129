#!/usr/bin/env node
// Builds the placement core with asc (run by `npm run build`, hence by `npm install`):
//   build/core-as/release.wasm  -O3, minimal runtime, SIMD, no assertions (the hot path)
//   build/core-as/debug.wasm    incremental runtime with rtrace hooks and assertions (tests)
import { $, fs, path } from 'zx'

$.verbose = false
const root = path.resolve(import.meta.dirname, '..')
$.cwd = root
await fs.mkdirp(path.join(root, 'build/core-as'))
const common = ['core-as/index.ts', '--config', 'core-as/asconfig.json']
await Promise.all([$`npx asc ${common} --target release`, $`npx asc ${common} --target debug`])
