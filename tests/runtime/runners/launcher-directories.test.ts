// createDirectories: the launcher makes the working directory and the log
// file's directory itself (mkdir -p), for both implementations.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessLauncher } from '../../../runtime/runners/launcher/index.js'

for (const implementation of ['native', 'node'] as const) {
  t.test(`${implementation}: createDirectories makes cwd and the output directory`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'stratus-mkdirs-'))
    t.teardown(() => rm(root, { recursive: true, force: true }))
    const launcher = await ProcessLauncher.start({ implementation })
    t.teardown(() => launcher.close())
    const cwd = join(root, 'work', 'job-1', '0', '1')
    const log = join(root, 'logs', 'def', 'default', 'job-1')
    const proc = await launcher.spawn({ argv: ['sh', '-c', 'pwd; echo err >&2'], cwd, stdout: log, stderr: log, createDirectories: true, env: { PATH: '/usr/bin:/bin' } })
    const exit = await proc.exited
    t.equal(exit.exitCode, 0)
    t.same((await readFile(log, 'utf8')).trim().split('\n').sort(), [cwd, 'err'].sort())
    // Without the flag a missing cwd is a coded spawn error naming the stage.
    await t.rejects(launcher.spawn({ argv: ['true'], cwd: join(root, 'missing', 'dir') }), { code: 'LauncherSpawnFailed' })
  })
}
