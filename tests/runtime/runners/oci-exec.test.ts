// exec into a running OCI container: a command's output and exit code, and an
// interactive session, without and with a TTY (resizable), with the user, working
// directory and environment an exec may set.
import t from 'tap'
import { join } from 'node:path'
import type { ExecSession } from '../../../runtime/runners/index.js'
import { instrument } from '../../../runtime/runners/index.js'
import { observer } from './conformance-kit.js'
import { ociTestRunner } from './oci-kit.js'

const made = await ociTestRunner()
t.teardown(() => made.close())
const runner = instrument(made.runner)
const seen = observer()
runner.start({
  id: 'exec', labels: {}, containers: [{
    name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'exec sleep 60'], env: { GREETING: 'hello' }, vcpus: 1, memoryMiB: 0, gpus: 0,
    logPath: join(made.dir, 'exec.log'), workDir: join(made.dir, 'work')
  }]
}, seen.listener)
await seen.running
t.teardown(async () => {
  runner.stop('exec', { graceMs: 0 })
  await seen.done
})

function outputOf(session: ExecSession): { text: () => string; until: (pattern: RegExp) => Promise<void> } {
  let text = ''
  const waiters: Array<[RegExp, () => void]> = []
  session.output.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    for (const [pattern, resolve] of waiters) if (pattern.test(text)) resolve()
  })
  return {
    text: () => text,
    until: (pattern) => new Promise((resolve) => (pattern.test(text) ? resolve() : waiters.push([pattern, resolve])))
  }
}

t.test('exec: output and exit code, in the container', async (t) => {
  const result = await runner.exec('exec', 'main', ['sh', '-c', 'echo out; echo err >&2; echo $GREETING; cat /etc/hostname; exit 4'])
  t.equal(result.exitCode, 4)
  t.same(result.output.split('\n').filter(Boolean).sort(), ['err', 'hello', 'out', made.runner.inspect('exec')!.containers[0].runtimeId!.split('-')[2]].sort())
  t.match(await runner.exec('exec', 'main', ['ls', '/no/such']), { exitCode: 1, output: /No such file/ })
})

t.test('exec refuses an unknown sandbox or container', async (t) => {
  await t.rejects(runner.exec('nope', 'main', ['true']), { code: 'RunnerInvalidArgument', field: 'id' })
  await t.rejects(runner.exec('exec', 'nope', ['true']), { code: 'RunnerInvalidArgument', field: 'container' })
})

t.test('execStream without a TTY: stdin in, output out', async (t) => {
  const session = await runner.execStream!('exec', 'main', ['sh', '-c', 'while read line; do echo "got $line"; done; id -u; pwd; echo $X'], {
    user: 'nobody', workingDirectory: '/tmp', env: { X: 'from-exec' }
  })
  const out = outputOf(session)
  session.stdin.write('one\n')
  await out.until(/got one/)
  session.stdin.write('two\n')
  session.stdin.end()
  t.equal(await session.exit, 0)
  await out.until(/from-exec/)
  t.same(out.text().split('\n').filter(Boolean), ['got one', 'got two', '65534', '/tmp', 'from-exec'])
})

t.test('execStream with a TTY: a terminal that resizes', async (t) => {
  const session = await runner.execStream!('exec', 'main', ['sh'], { tty: true })
  const out = outputOf(session)
  await session.resize!(120, 40)
  session.stdin.write('stty size; tty; exit 3\n')
  t.equal(await session.exit, 3)
  await out.until(/pts/)
  t.match(out.text(), /40 120/)
  t.match(out.text(), /\/dev\/pts\/\d+/)
})
