// Images on the docker runner: the built-in registry (auth on) pulled by its
// endpoint reference and by the ECR form of the repository URI, with pull
// times, the manifest digest and progress on stratus:runner:pull; a missing
// image fails the sandbox with CannotPullContainerError naming it, and a
// reference to any other registry is never pulled.
import t from 'tap'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { registryImageSource } from '../../../runtime/runners/index.js'
import { pushBusybox } from '../../fixtures/busybox-image.js'
import { startRegistry } from '../../registry/helpers.js'
import { logLines, observer } from './conformance-kit.js'
import { container, dockerReady, dockerRunner, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

const ACCOUNT = '000000000000'
const REGION = 'us-east-1'

t.test('images from the built-in registry, auth on', async (t) => {
  const registry = await startRegistry({ auth: { enabled: true } })
  t.teardown(() => registry.close())
  const pushed = await pushBusybox(registry.registry, 'team/app:1')
  t.teardown(() => run('docker', ['rmi', '-f', `${registry.host}/team/app:1`]).catch(() => {}))
  const images = registryImageSource(registry.registry, ACCOUNT, REGION)
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'images', { images })

  const anonymous = await run('docker', ['pull', `${registry.host}/team/app:1`]).then(() => 'pulled', (e: Error & { stderr?: string }) => e.stderr ?? e.message)
  t.notOk(anonymous === 'pulled', 'the registry refuses a pull without credentials')

  const progress: Array<Record<string, unknown>> = []
  const onPull = (m: unknown) => { progress.push(m as Record<string, unknown>) }
  subscribe('stratus:runner:pull', onPull)
  t.teardown(() => unsubscribe('stratus:runner:pull', onPull))

  for (const reference of [`${registry.host}/team/app:1`, `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1`]) {
    const c = container(dir, 'main', { image: reference, script: 'echo "from $(cat /etc/passwd | head -1 | cut -d: -f1)"' })
    const seen = observer()
    const before = Date.now()
    runner.start(sandbox([c]), seen.listener)
    const info = await seen.running
    t.match(await seen.done, { exitCode: 0 }, `${reference} runs`)
    t.same(await logLines(c.logPath), ['from root'])
    t.equal(info.containers[0].imageDigest, pushed.imageDigest, 'the manifest digest is recorded')
    t.ok(info.pullStartedAt! >= before && info.pullStoppedAt! >= info.pullStartedAt! && info.startedAt! >= info.pullStoppedAt!, 'pull times, in order')
  }
  const phases = progress.filter((m) => m.image === `${registry.host}/team/app:1`).map((m) => m.phase)
  t.equal(phases[0], 'start')
  t.ok(phases.includes('progress'), 'progress messages')
  t.equal(phases.at(-1), 'done')
  t.match(progress.find((m) => m.phase === 'done'), { host: 'local', pullReference: `${registry.host}/team/app:1`, digest: pushed.imageDigest })
  t.ok(progress.some((m) => m.image === `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1` && m.pullReference === `${registry.host}/team/app:1`),
    'the ECR form is pulled by the endpoint name')

  const missing = container(dir, 'main', { image: `${registry.host}/team/absent:1` })
  const failed = observer()
  runner.start(sandbox([missing]), failed.listener)
  await t.rejects(failed.done, { code: 'CannotPullContainerError', field: 'image', message: new RegExp(`${registry.host}/team/absent:1`) })
  t.same(failed.calls, ['failed'])
})

t.test('an image the engine does not have, or from another registry, fails the sandbox fast', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'missing-image')
  for (const [image, names] of [['busybox:no-such-tag', /busybox:no-such-tag/], ['quay.io/team/tool:2', /quay\.io/], ['nginx:1', /nginx:1/]] as const) {
    const seen = observer()
    const s = sandbox([container(dir, 'main', { image })])
    runner.start(s, seen.listener)
    const error = await seen.done.then(() => undefined, (e: Error) => e)
    t.match(error, { name: 'RunnerError', code: 'CannotPullContainerError', kind: 'InvalidArgument', message: names }, image)
    t.match(error?.message, /no network beyond this machine/)
    t.same(seen.calls, ['failed'], `${image}: failed, never a success`)
    t.equal(runner.inspect(s.id), undefined)
  }
})
