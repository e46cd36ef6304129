// The first life of the OCI recovery test (oci-recovery.test.ts): a runner that
// starts sandboxes, says so on stdout, and waits to be killed with SIGKILL.
// argv: <stateDir> <engineId> <logDir> [scenario]. Containers that are to end
// on their own wait for a file in <logDir>/gate (bound at /gate): each ends
// when the test says so, not after a sleep that a loaded machine outlasts
// (it once ended before the first runner was killed, or while it tore it down).
// Not a test file.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Registry } from '../../../registry/index.js'
import { registryImageSource, type SandboxInfo, type SandboxSpec } from '../../../runtime/runners/index.js'
import { OciRunner } from '../../../runtime/runners/oci/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'

const [stateDir, engineId, logDir, scenario = 'main'] = process.argv.slice(2)
const registry = await Registry.open({ storage: { driver: 'inmemory' } })
await pushBusybox(registry)
const runner = await OciRunner.create({ now: () => Date.now(), engineId, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir, graceMs: 2000 })

const gate = join(logDir, 'gate')
await mkdir(gate, { recursive: true })
/** Waits for /gate/<name>, then exits with `code`. */
const gated = (name: string, code: number) => `while [ ! -e /gate/${name} ]; do sleep 0.05; done; exit ${code}`
const mounts = [{ sourcePath: gate, containerPath: '/gate', readOnly: true }]

const container = (name: string, script: string, extra: Partial<SandboxSpec['containers'][number]> = {}) => ({
  name, image: 'busybox:1.36', command: ['sh', '-c', script], env: {}, vcpus: 1, memoryMiB: 64, gpus: 0,
  logPath: join(logDir, `${name}.log`), workDir: join(logDir, 'work', name), ...extra
})
const scenarios: Record<string, SandboxSpec[]> = {}
scenarios.main = [
  { id: 'web', labels: { role: 'web' }, address: '127.0.0.6', containers: [container('web', 'mkdir -p /tmp/www && echo recovered-web > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www', { portMappings: [{ containerPort: 8080 }] })] },
  { id: 'short', labels: { role: 'short' }, containers: [container('short', gated('short', 7), { mounts })] },
  { id: 'late', labels: { role: 'late' }, containers: [container('late', gated('late', 5), { mounts })] },
  { id: 'pair', labels: { role: 'pair' }, containers: [container('a', 'exec sleep 60'), container('b', 'exec sleep 60', { essential: false })] }
]
// Sandboxes a new runner stops without attaching to them (as the TaskLauncher does after a restart).
scenarios.stop = [
  { id: 'orphan', labels: { role: 'orphan' }, containers: [container('orphan', 'exec sleep 60')] },
  { id: 'gone', labels: { role: 'gone' }, containers: [container('gone', gated('gone', 9), { mounts })] }
]
const infos = await Promise.all(scenarios[scenario].map((spec) => new Promise<SandboxInfo>((resolve, reject) => {
  runner.start(spec, { running: resolve, exited: () => {}, failed: reject })
})))
process.stdout.write(`${JSON.stringify({ ready: infos })}\n`)
setInterval(() => {}, 60_000)
