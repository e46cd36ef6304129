// Memory cgroups are reused between processes (creating one per process is
// the costliest part of a launch): a reused cgroup must carry neither the
// previous process's OOM kill nor its limit.
import t from 'tap'
import { ProcessLauncher } from '../../../runtime/runners/launcher/index.js'

const env = { PATH: '/usr/local/bin:/usr/bin:/bin' }
const hog = (mib: number) => ['node', '-e', `const a = []; for (let i = 0; i < ${mib}; i++) a.push(Buffer.alloc(1 << 20, 1)); console.log('allocated')`]

t.test('OOM is reported per process, not per reused cgroup', async (t) => {
  const launcher = await ProcessLauncher.start({ implementation: 'native' })
  t.teardown(() => launcher.close())
  if (!launcher.memoryLimit.enforced) {
    await t.skip(`memory limits are not enforced here (${launcher.memoryLimit.reason})`, async () => {})
    return
  }
  const limit = 128 * 1024 * 1024
  const first = await (await launcher.spawn({ argv: hog(400), env, memoryLimitBytes: limit })).exited
  t.equal(first.oomKilled, true, 'the hog is OOM-killed')
  for (let i = 0; i < 5; i++) {
    const small = await (await launcher.spawn({ argv: ['true'], env, memoryLimitBytes: limit })).exited
    t.same({ code: small.exitCode, oom: small.oomKilled }, { code: 0, oom: false }, `small process ${i} after the OOM is not reported as OOM`)
  }
  // A larger limit on a reused cgroup is really raised (v1: memsw must move first)…
  const roomy = await (await launcher.spawn({ argv: hog(200), env, memoryLimitBytes: 512 * 1024 * 1024 })).exited
  t.same({ code: roomy.exitCode, oom: roomy.oomKilled }, { code: 0, oom: false }, '200 MiB fits under a 512 MiB limit')
  // …and a smaller one really lowered.
  const tight = await (await launcher.spawn({ argv: hog(200), env, memoryLimitBytes: 64 * 1024 * 1024 })).exited
  t.equal(tight.oomKilled, true, '200 MiB under a 64 MiB limit is OOM-killed again')
})
