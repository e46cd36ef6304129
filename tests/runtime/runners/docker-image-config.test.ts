// An image's own configuration on the docker runner: its user, working
// directory, ENTRYPOINT and CMD apply unless the spec overrides them, the ECS
// way — a command replaces CMD and keeps ENTRYPOINT, an entry point replaces
// ENTRYPOINT — and a program missing from the image fails the start (rather
// than docker-init starting and exiting 127).
import t from 'tap'
import { registryImageSource } from '../../../runtime/runners/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'
import { startRegistry } from '../../registry/helpers.js'
import { logLines, observer } from './conformance-kit.js'
import { container, dockerReady, dockerRunner, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('the image\'s user, working directory, entry point and command, and overrides', async (t) => {
  const registry = await startRegistry()
  t.teardown(() => registry.close())
  await pushBusybox(registry.registry, 'base/busybox:1')
  await registry.registry.image('team/tool:1').from('base/busybox:1')
    .user('65534').workdir('/tmp').entrypoint(['sh', '-c', 'echo "$(id -u) $(pwd) $0 $1"']).cmd(['default', 'cmd']).push()
  const image = `${registry.host}/team/tool:1`
  t.teardown(() => run('docker', ['rmi', '-f', image]).catch(() => {}))
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'image-config', { images: registryImageSource(registry.registry, '000000000000', 'us-east-1') })

  const cases: Array<[string, Parameters<typeof container>[2], string]> = [
    ['the image as it is', { command: [] }, '65534 /tmp default cmd'],
    ['a command replaces CMD, ENTRYPOINT stays', { command: ['given', 'args'] }, '65534 /tmp given args'],
    ['user and working directory overridden', { command: ['x', 'y'], user: '0', workingDirectory: '/' }, '0 / x y'],
    ['an entry point replaces ENTRYPOINT (and the image\'s CMD with it)', { entryPoint: ['echo', 'replaced'], command: [] }, 'replaced'],
    ['an entry point and a command', { entryPoint: ['echo', 'replaced'], command: ['and', 'more'] }, 'replaced and more']
  ]
  for (const [what, o, expected] of cases) {
    const c = container(dir, 'main', { image, ...o })
    const seen = observer()
    runner.start(sandbox([c]), seen.listener)
    t.match(await seen.done, { exitCode: 0 }, what)
    t.same(await logLines(c.logPath), [expected], what)
  }
})

t.test('a program the image does not have fails the start, naming it', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'no-program')
  for (const [o, field, names] of [
    [{ command: ['/opt/app/run'] }, 'containers[0].command', /\/opt\/app\/run is not in image busybox:1\.36/],
    [{ command: ['no-such-tool', '--help'] }, 'containers[0].command', /no-such-tool is not in image busybox:1\.36.*\/bin\/no-such-tool/],
    [{ entryPoint: ['/missing/entry'], command: [] }, 'containers[0].entryPoint', /\/missing\/entry/],
    [{ command: ['/no/such/program'], initProcessEnabled: false }, 'containers[0]', /no such file or directory/]
  ] as const) {
    const seen = observer()
    runner.start(sandbox([container(dir, 'main', o)]), seen.listener)
    await t.rejects(seen.done, { code: 'RunnerStartFailed', field, message: names })
    t.same(seen.calls, ['failed'])
  }
})
