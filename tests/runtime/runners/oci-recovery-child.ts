// The first life of the OCI recovery test (oci-recovery.test.ts): a runner that
// starts sandboxes, says so on stdout, and waits to be killed with SIGKILL.
// argv: <stateDir> <engineId> <logDir> [scenario]. Not a test file.
import { join } from 'node:path'
import { Registry } from '../../../registry/index.js'
import { registryImageSource, type SandboxInfo, type SandboxSpec } from '../../../runtime/runners/index.js'
import { OciRunner } from '../../../runtime/runners/oci/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'

const [stateDir, engineId, logDir, scenario = 'main'] = process.argv.slice(2)
const registry = await Registry.open({ storage: { driver: 'inmemory' } })
await pushBusybox(registry)
const runner = await OciRunner.create({ now: () => Date.now(), engineId, images: registryImageSource(registry, '000000000000', 'us-east-1'), stateDir, graceMs: 2000 })

const container = (name: string, script: string, extra: Partial<SandboxSpec['containers'][number]> = {}) => ({
  name, image: 'busybox:1.36', command: ['sh', '-c', script], env: {}, vcpus: 1, memoryMiB: 64, gpus: 0,
  logPath: join(logDir, `${name}.log`), workDir: join(logDir, 'work', name), ...extra
})
const scenarios: Record<string, SandboxSpec[]> = {}
scenarios.main = [
  { id: 'web', labels: { role: 'web' }, address: '127.0.0.6', containers: [container('web', 'mkdir -p /tmp/www && echo recovered-web > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www', { portMappings: [{ containerPort: 8080 }] })] },
  { id: 'short', labels: { role: 'short' }, containers: [container('short', 'sleep 1; exit 7')] },
  { id: 'late', labels: { role: 'late' }, containers: [container('late', 'sleep 8; exit 5')] },
  { id: 'pair', labels: { role: 'pair' }, containers: [container('a', 'exec sleep 60'), container('b', 'exec sleep 60', { essential: false })] }
]
// Sandboxes a new runner stops without attaching to them (as the TaskLauncher does after a restart).
scenarios.stop = [
  { id: 'orphan', labels: { role: 'orphan' }, containers: [container('orphan', 'exec sleep 60')] },
  { id: 'gone', labels: { role: 'gone' }, containers: [container('gone', 'sleep 1; exit 9')] }
]
const infos = await Promise.all(scenarios[scenario].map((spec) => new Promise<SandboxInfo>((resolve, reject) => {
  runner.start(spec, { running: resolve, exited: () => {}, failed: reject })
})))
process.stdout.write(`${JSON.stringify({ ready: infos })}\n`)
setInterval(() => {}, 60_000)
