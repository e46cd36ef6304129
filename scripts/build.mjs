#!/usr/bin/env node
// Builds everything `npm install` must leave behind (the `prepare` step):
//   build/core-as/release.wasm  -O3, minimal runtime, no assertions (hot path)
//   build/core-as/debug.wasm    incremental runtime with rtrace hooks and assertions (tests)
//   dist/                       every TypeScript folder transpiled by esbuild, tree preserved
// `--core` rebuilds only the WebAssembly.
import { $, argv, fs, glob, path } from 'zx'
import * as esbuild from 'esbuild'

$.verbose = false
const root = path.resolve(import.meta.dirname, '..')
process.chdir(root)

async function buildCore() {
  await fs.mkdirp('build/core-as')
  const common = ['core-as/index.ts', '--config', 'core-as/asconfig.json']
  await Promise.all([
    $`npx asc ${common} --target release`,
    $`npx asc ${common} --target debug`
  ])
}

async function buildTs() {
  const entryPoints = await glob(['sdk/**/*.ts', 'runtime/**/*.ts', 'registry/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'], {
    ignore: ['**/*.d.ts']
  })
  await fs.rm('dist', { recursive: true, force: true })
  await esbuild.build({
    entryPoints,
    outdir: 'dist',
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning'
  })
}

await buildCore()
// Native helpers (the process launcher) are built by their own script when it exists.
if (fs.existsSync('scripts/build-launcher.mjs')) await import('./build-launcher.mjs')
if (!argv.core) await buildTs()
