// The runner process that tests/runtime/runners/docker-recovery.test.ts kills
// with SIGKILL: it starts the sandboxes it is given (argv: engine id, specs as
// JSON), waits until the first container's log file holds its first line,
// prints one line of JSON with what running() said of each, and then waits to
// be killed. Not a test file.
import { readFile } from 'node:fs/promises'
import { DockerRunner, instrument, type SandboxInfo, type SandboxSpec } from '../../../runtime/runners/index.js'

const [engineId, specsJson] = process.argv.slice(2)
const specs = JSON.parse(specsJson) as SandboxSpec[]
const runner = instrument(await DockerRunner.create({ engineId }))
const infos = await Promise.all(specs.map((spec) => new Promise<SandboxInfo>((resolve, reject) => {
  runner.start(spec, { running: resolve, exited: () => {}, failed: reject })
})))
while ((await readFile(specs[0].containers[0].logPath, 'utf8').catch(() => '')) === '') await new Promise((resolve) => setTimeout(resolve, 20))
process.stdout.write(`${JSON.stringify(infos)}\n`)
setInterval(() => {}, 60_000)
