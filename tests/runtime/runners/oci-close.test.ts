// close() leaves nothing of what the OCI runner made: no container in the
// runtime, no mount under the state dir, no cgroup, no bundle, no shim or
// forwarder process; a sandbox still starting fails with RunnerClosed.
import t from 'tap'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

/** Processes whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`)
  }
  return found
}

async function cgroupsNamed(prefix: string): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string, depth: number) => {
    if (depth > 4) return
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue
      const path = join(dir, entry.name)
      if (entry.name.startsWith(prefix)) found.push(path)
      await walk(path, depth + 1)
    }
  }
  await walk('/sys/fs/cgroup', 0)
  return found
}

t.test('close() ends every sandbox and removes everything it made', async (t) => {
  const made = await ociTestRunner()
  t.teardown(() => made.close())
  const { runner, stateDir, dir } = made
  const c = (name: string, extra = {}) => ({
    name, image: 'busybox:1.36', command: ['sh', '-c', 'exec sleep 60'], env: {}, vcpus: 1, memoryMiB: 64, gpus: 0,
    logPath: join(dir, `${name}.log`), workDir: join(dir, 'work', name), ...extra
  })
  const running = [
    { id: 'one', labels: {}, containers: [c('one')] },
    { id: 'ported', labels: {}, address: '127.0.0.7', containers: [c('web', { portMappings: [{ containerPort: 80 }] })] },
    { id: 'many', labels: {}, containers: [c('a'), c('b', { essential: false }), c('c', { essential: false })] }
  ].map((spec) => {
    const seen = observer()
    runner.start(spec, seen.listener)
    return seen
  })
  await Promise.all(running.map((s) => s.running))
  const prefix = runner.inspect('one')!.containers[0].runtimeId!.split('-').slice(0, 2).join('-')
  t.ok((await runner.runtime.list()).length >= 5, 'the runtime runs them')
  t.ok((await processesMentioning(stateDir)).length > 0, 'shims and a forwarder run')
  t.ok((await cgroupsNamed(`stratus-oci-${prefix.split('-')[1]}`)).length > 0, 'their cgroups exist')

  const starting = observer()
  runner.start({ id: 'late', labels: {}, containers: [c('late')] }, starting.listener)
  await runner.close()
  for (const s of running) t.match(await s.done, { signal: 'SIGKILL', stopped: true })
  await t.rejects(starting.done, { code: 'RunnerClosed' })

  t.same((await runner.runtime.list()).filter((x) => x.id.startsWith(prefix)), [], 'no container in the runtime')
  t.same((await readFile('/proc/mounts', 'utf8')).split('\n').filter((l) => l.includes(stateDir)), [], 'no mount under the state dir')
  t.same(await cgroupsNamed(`stratus-oci-${prefix.split('-')[1]}`), [], 'no cgroup')
  t.same(await processesMentioning(stateDir), [], 'no shim or forwarder process')
  t.notOk(existsSync(join(stateDir, 'bundles')), 'no bundle')
  t.same(await readdir(join(stateDir, 'sandboxes')), [], 'no sandbox record')
  t.same(runner.list(), [])
})
