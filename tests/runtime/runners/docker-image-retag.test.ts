// Regression: the docker runner looked a local image reference up once and
// kept what it found for good, so after `docker tag` moved the tag to another
// image the next run recorded the old image's id as its imageDigest, and the
// check for the program docker-init would start read the old image's config
// (a missing program then ran as an exit 127). Now a local reference is
// looked up for every run.
import t from 'tap'
import { logLines, observer } from './conformance-kit.js'
import { container, dockerReady, dockerRunner, run, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

t.test('a tag moved with docker tag between two runs: the next run uses the image it names now', async (t) => {
  const dir = await tempDir(t)
  const tag = `stratus-test-retag-${process.pid}:app`
  const images: string[] = []
  t.teardown(() => run('docker', ['rmi', '-f', tag, ...images]).catch(() => {}))
  const { stdout: base } = await run('docker', ['create', '--label', `stratus.test=retag-${process.pid}`, 'busybox:1.36'])
  t.teardown(() => run('docker', ['rm', '-f', base.trim()]).catch(() => {}))
  const commit = async (...changes: string[]) => {
    const { stdout } = await run('docker', ['commit', ...changes.flatMap((c) => ['--change', c]), base.trim()])
    images.push(stdout.trim())
    return stdout.trim()
  }
  const first = await commit('ENV WHICH=first', 'CMD ["sh", "-c", "echo $WHICH"]')
  const second = await commit('ENV WHICH=second', 'CMD ["sh", "-c", "echo $WHICH"]')
  const missing = await commit('CMD ["/opt/missing/program"]')
  const { runner } = await dockerRunner(t, 'retag')
  const runOnce = async () => {
    const c = container(dir, 'main', { image: tag, command: [] })
    const seen = observer()
    runner.start(sandbox([c]), seen.listener)
    return { seen, logPath: c.logPath }
  }

  for (const [image, which] of [[first, 'first'], [second, 'second']] as const) {
    await run('docker', ['tag', image, tag])
    const { seen, logPath } = await runOnce()
    t.equal((await seen.running).containers[0].imageDigest, image, `imageDigest is the image the tag names now (${which})`)
    t.match(await seen.done, { exitCode: 0 })
    t.same(await logLines(logPath), [which], 'its config')
  }

  await run('docker', ['tag', missing, tag])
  const { seen } = await runOnce()
  await t.rejects(seen.done, { code: 'RunnerStartFailed', field: 'containers[0].command', message: /\/opt\/missing\/program is not in image/ },
    'the program check reads the config of the image the tag names now')
  t.same(seen.calls, ['failed'])
})
