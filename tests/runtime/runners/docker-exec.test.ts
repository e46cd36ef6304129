// Exec on the docker runner: a command run to its end with its output and
// exit code; an interactive one streaming stdin in and output out, without a
// TTY (stdout and stderr, stdin's end reaching the command) and with one
// (a real terminal, resized).
import t from 'tap'
import type { ExecSession } from '../../../runtime/runners/index.js'
import { observer } from './conformance-kit.js'
import { container, dockerReady, dockerRunner, sandbox, tempDir } from './docker-kit.js'

await dockerReady()

/** Collects a session's output as it comes; `until` waits for some text in it. */
function reader(session: ExecSession) {
  let text = ''
  const waiters: Array<() => void> = []
  session.output.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    for (const w of waiters.splice(0)) w()
  })
  const ended = new Promise<void>((resolve) => session.output.on('end', () => resolve()))
  return {
    get text() { return text },
    ended,
    async until(pattern: RegExp): Promise<void> {
      while (!pattern.test(text)) await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
}

t.test('exec and execStream', async (t) => {
  const dir = await tempDir(t)
  const { runner } = await dockerRunner(t, 'exec')
  const s = sandbox([container(dir, 'main', { script: 'exec sleep 30' }), container(dir, 'side', { essential: false, script: 'exec sleep 30' })])
  const seen = observer()
  runner.start(s, seen.listener)
  await seen.running

  const ran = await runner.exec(s.id, 'main', ['sh', '-c', 'echo out; echo err >&2; exit 3'])
  t.equal(ran.exitCode, 3)
  t.same(ran.output.split('\n').sort(), ['', 'err', 'out'], 'stdout and stderr (the engine copies each on its own: no order between them)')
  t.match(await runner.exec(s.id, 'side', ['sh', '-c', 'hostname; echo $HOME']), { exitCode: 0, output: /\n\/root\n$/ }, 'into any container by name')
  await t.rejects(runner.exec(s.id, 'nope', ['true']), { code: 'RunnerInvalidArgument', field: 'container' })
  await t.rejects(runner.exec('no-such-sandbox', 'main', ['true']), { code: 'RunnerInvalidArgument', field: 'id' })

  const piped = await runner.execStream!(s.id, 'main', ['sh', '-c', 'while read line; do echo "got $line"; done; echo "stdin ended" >&2; exit 5'])
  const out = reader(piped)
  piped.stdin.write('one\n')
  await out.until(/got one\n/)
  piped.stdin.write('two\n')
  await out.until(/got two\n/)
  piped.stdin.end()
  t.equal(await piped.exit, 5, 'the exit code once stdin ended')
  await out.ended
  t.equal(out.text, 'got one\ngot two\nstdin ended\n', 'stdout and stderr, demultiplexed')

  const tty = await runner.execStream!(s.id, 'main', ['sh'], { tty: true, env: { PS1: '$ ' }, workingDirectory: '/tmp', user: '65534' })
  const screen = reader(tty)
  await tty.resize!(91, 37)
  tty.stdin.write('tty; stty size; pwd; id -u; echo "$PS1" | od -c | head -1\n')
  await screen.until(/\/dev\/pts\/\d+/)
  await screen.until(/37 91/)
  await screen.until(/\/tmp\r?\n/)
  await screen.until(/65534\r?\n/)
  tty.stdin.write('exit 2\n')
  t.equal(await tty.exit, 2)
  t.match(screen.text, /\/dev\/pts\/\d+\r\n/, 'a terminal: lines end in CRLF')
  t.match(screen.text, /37 91/, 'resized to 91 columns, 37 rows')

  runner.stop(s.id)
  await seen.done
  await t.rejects(runner.exec(s.id, 'main', ['true']), { code: 'RunnerInvalidArgument' }, 'an ended sandbox has nothing to exec into')
})
