// The published package works outside this clone: `npm pack` of the built tree
// gives a tarball with what the package runs and nothing else; installed into a
// fresh project (its dependencies from the registry), a plain .mjs program on
// Node 20 runs a Batch job to SUCCEEDED through `import { Stratus } from 'stratus'`,
// the install script builds the native launcher once approved, the Node backend
// takes over with one line when it is not built, and a TypeScript consumer
// type-checks against the shipped declarations.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { copyFile, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(fileURLToPath(import.meta.url), '..', '..')
const fixtures = join(root, 'tests', 'package')
const LAUNCHER = join('node_modules', 'stratus', 'build', 'launcher', 'stratus-launcher')
const NODE_BACKEND_LINE = /^stratus: using the Node process backend\b/

interface Run { code: number | null; stdout: string; stderr: string }

/**
 * The environment of a user's shell: without the npm_* variables `npm test` sets
 * (npm_config_local_prefix would make a child npm work on this repository) and
 * tap's (NODE_OPTIONS loads its TypeScript and coverage hooks into every node).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|tap|_tapjs|ts_node)/i.test(key) && !['INIT_CWD', 'NODE_OPTIONS', 'STRATUS_LAUNCHER_BIN'].includes(key)) env[key] = value
  }
  return { ...env, ...extra }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const npm = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) => run('npm', [...args, '--no-audit', '--no-fund'], cwd, env)
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '')

/** A fresh project with nothing in it but its package.json. */
async function freshProject(t: Test, allowScripts?: Record<string, boolean>): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'stratus-consumer-')))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', allowScripts }, null, 2))
  await copyFile(join(fixtures, 'consumer.mjs'), join(dir, 'consumer.mjs'))
  return dir
}

interface ConsumerResult { results: Array<{ status: string; logs: string[] }>; reasons: string[]; deepImport: string }

async function runConsumer(t: Test, dir: string, jobs: number): Promise<{ result: ConsumerResult; stderr: string }> {
  const { code, stdout, stderr } = await run(process.execPath, ['consumer.mjs', String(jobs)], dir)
  t.equal(code, 0, `consumer.mjs exits 0 (stderr: ${stderr.trim()})`)
  return { result: JSON.parse(lines(stdout).at(-1) ?? '{}') as ConsumerResult, stderr }
}

function checkConsumer(t: Test, result: ConsumerResult, jobs: number): void {
  t.same(result.results.map((r) => r.status), Array(jobs).fill('SUCCEEDED'), 'every job SUCCEEDED')
  t.same(result.results.map((r) => r.logs), Array(jobs).fill(['hello from 1']), 'each job log holds its echo')
  t.same(result.reasons, ['PLACED', 'INSUFFICIENT_CPU'], 'stratus/placement places on the shipped release core')
  t.equal(result.deepImport, 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'deep imports are blocked')
}

interface Packed { filename: string; size: number; entryCount: number; files: Array<{ path: string }> }
let pack: Packed
let tarball = ''

t.before(async () => {
  const work = await realpath(await mkdtemp(join(tmpdir(), 'stratus-pack-')))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  // The declarations come from `npm run build` (tsc); rebuild them from the tree under
  // test. The .js of dist/ and the release core are the build's (npm install, pretest).
  const types = await run('npm', ['run', 'build:types'], root)
  if (types.code !== 0) throw new Error(`npm run build:types failed:\n${types.stdout}${types.stderr}`)
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stdout}${packed.stderr}`)
  pack = (JSON.parse(packed.stdout) as Packed[])[0]
  tarball = join(work, pack.filename)
  t.comment(`${pack.filename}: ${pack.size} bytes, ${pack.entryCount} files`)
})

t.test('the tarball holds what the package runs, and no tests, benches, maps or debug builds', async (t) => {
  const files = pack.files.map((f) => f.path)
  for (const wanted of [
    'package.json', 'README.md', 'LICENSE', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/sdk/placement.js', 'dist/sdk/placement.d.ts',
    'dist/runtime/engine.js', 'dist/registry/index.js', 'build/core-as/release.wasm',
    'runtime/runners/launcher/launcher.c', 'runtime/runners/launcher/build.mjs',
    // The OCI runner's C helpers, compiled on first use.
    'runtime/runners/oci/init.c', 'runtime/runners/oci/shim.c', 'runtime/runners/oci/overlay-marks.c', 'runtime/runners/oci/tty-exec.c'
  ]) t.ok(files.includes(wanted), `has ${wanted}`)
  const unwanted = files.filter((f) =>
    /^(tests|bench|examples|core-as|dist\/(tests|bench|examples))\//.test(f) || /\.map$/.test(f) || /debug\.wasm$|\.wat$/.test(f) ||
    (/^(sdk|runtime|registry)\//.test(f) && !/^runtime\/(runners\/(launcher\/(launcher\.c|build\.mjs)|oci\/[a-z-]+\.c)|lb\/relay\/relay\.c)$/.test(f)))
  t.same(unwanted, [], 'nothing but the package (no tests, benches, examples, sources, maps, debug core)')
})

t.test('approved install script: the install compiles the native launcher', async (t) => {
  // What `npm install-scripts approve stratus` records; for a tarball the key is its file: spec.
  // better-sqlite3's build (the SQLite store of a data directory) is denied here, as a consumer that only
  // embeds the memory engine may: its compile takes minutes, and the engine loads it only for a data dir.
  const dir = await freshProject(t, { [`file:${tarball}`]: true, 'better-sqlite3': false })
  // --strict-allow-scripts fails the install if any dependency's script were not approved or denied.
  const install = await npm(['install', '--strict-allow-scripts', tarball], dir)
  t.equal(install.code, 0, `npm install succeeds: ${install.stderr}`)
  t.comment(`consumer install: ${lines(install.stdout + install.stderr).join(' | ')}`)
  t.ok(existsSync(join(dir, LAUNCHER)), 'build/launcher/stratus-launcher was compiled at install')

  const { result, stderr } = await runConsumer(t, dir, 1)
  checkConsumer(t, result, 1)
  t.equal(stderr, '', 'nothing on stderr: the native launcher runs the job')

  // A data directory with that build denied: refused at start with a coded error saying how to build it.
  const durable = await run(process.execPath, ['--input-type=module', '-e', `
    import { Stratus } from 'stratus'
    import { mkdtempSync } from 'node:fs'
    try { await Stratus.embedded({ dataDir: mkdtempSync('stratus-data-'), runner: 'simulated' }); console.log('started') }
    catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })) }`], dir)
  const refused = JSON.parse(lines(durable.stdout).at(-1) ?? '{}') as { code?: string; message?: string }
  t.equal(refused.code, 'StoreNativeModuleMissing', `a data dir without better-sqlite3's build is refused: ${durable.stdout}${durable.stderr}`)
  t.match(refused.message ?? '', /npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3/, 'naming the commands that build it')

  // The TypeScript consumer, with the repository's typescript and @types/node.
  await copyFile(join(fixtures, 'consumer.ts'), join(dir, 'consumer.ts'))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
      skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')]
    },
    files: ['consumer.ts']
  }))
  const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--listFiles'], dir)
  t.equal(tsc.code, 0, 'tsc exits 0')
  t.same(lines(tsc.stdout).filter((line) => /error TS/.test(line)), [], 'zero type errors in the consumer')
  t.ok(lines(tsc.stdout).includes(join(dir, 'node_modules/stratus/dist/sdk/placement.d.ts')), 'stratus/placement resolves to the shipped declarations')
})

t.test('install script skipped or without a compiler: the Node backend, said in one line', async (t) => {
  const dir = await freshProject(t)
  const install = await npm(['install', '--ignore-scripts', tarball], dir)
  t.equal(install.code, 0, `npm install --ignore-scripts succeeds: ${install.stderr}`)
  t.notOk(existsSync(join(dir, LAUNCHER)), 'no launcher without the install script')

  const approve = await npm(['install-scripts', 'approve', 'stratus'], dir)
  t.equal(approve.code, 0, `npm install-scripts approve stratus: ${approve.stdout}${approve.stderr}`)
  const noCompiler = await npm(['rebuild', 'stratus', '--foreground-scripts'], dir, userEnv({ CC: '/nonexistent/cc' }))
  t.equal(noCompiler.code, 0, 'the install script does not fail without a compiler')
  t.same(lines(noCompiler.stdout + noCompiler.stderr).filter((line) => /^build-launcher:/.test(line)).length, 1, 'it says so in one line')
  t.match(noCompiler.stdout + noCompiler.stderr, /could not compile the process launcher with \/nonexistent\/cc .*Node backend/, 'naming the compiler and the Node backend')
  t.notOk(existsSync(join(dir, LAUNCHER)), 'still no launcher')

  const jobs = 3
  const fallback = await runConsumer(t, dir, jobs)
  checkConsumer(t, fallback.result, jobs)
  t.equal(lines(fallback.stderr).length, 1, `one line on stderr for ${jobs} jobs: ${fallback.stderr}`)
  t.match(lines(fallback.stderr)[0] ?? '', NODE_BACKEND_LINE, 'naming the Node backend')
  t.match(fallback.stderr, /npm install-scripts approve stratus && npm rebuild stratus/, 'and how to get the native one')

  // The fix the line names: the approved script, with the compiler.
  const rebuild = await npm(['rebuild', 'stratus'], dir)
  t.equal(rebuild.code, 0, 'npm rebuild stratus succeeds')
  t.ok(existsSync(join(dir, LAUNCHER)), 'the launcher is compiled')
  const native = await runConsumer(t, dir, 1)
  checkConsumer(t, native.result, 1)
  t.equal(native.stderr, '', 'no fallback line once the launcher is built')
})
