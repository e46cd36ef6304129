// The examples a user copies from keep working: each runs to completion
// (built into dist/ by `npm install`) and prints what it promises.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireTool } from './tools.js'
import { loadBusyboxIntoDocker } from './fixtures/busybox-image.js'

const root = join(fileURLToPath(import.meta.url), '..', '..')

function run(example: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'examples', `${example}.js`)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.once('exit', (code) => resolve({ code, out }))
  })
}

const expectations: Record<string, RegExp[]> = {
  demo: [/prepare\s+single\s+SUCCEEDED/, /cube\s+array of 50 N_TO_N\s+SUCCEEDED\s+50\/50 ok/, /flaky\s+single\s+SUCCEEDED\s+3\s/, /sum of cubes 1\.\.50 = 1625625 \(expected 1625625\)/],
  'array-dependencies': [/load: SUCCEEDED/, /load:9 printed "load 9 of 10"/, /:3 \(N_TO_N\)/],
  'retries-and-timeouts': [/flaky\s+FAILED\s+after 3 attempt/, /buggy\s+FAILED\s+after 1 attempt/, /slow\s+FAILED\s+after 1 attempt\(s\): Job attempt duration exceeded timeout/, /a day later: 0 of 3/],
  events: [/report: .*RUNNABLE → .*STARTING → .*RUNNING → .*SUCCEEDED/, /failed nightly jobs: nightly-backup$/m],
  'event-webhook': [/webhook got: key-123 "backup FAILED" \| key-123 "report SUCCEEDED" \(after 2 failed calls\)/, /dead letter: old-webhook HTTP_STATUS_404 \(NonRetryableError, 0 retries\)/],
  'load-balancer': [/targets: \d+ healthy, \d+ healthy/, /(a b a b|b a b a)  \(round robin\)/, /\/status: ok  \(a rule's fixed response\)/, /b is unhealthy \(Target\.ResponseCodeMismatch\); requests now: a a a/],
  'placement-demo': [/bestfit\s+[\d,]+\s+300,000/]
}

for (const [example, patterns] of Object.entries(expectations)) {
  t.test(example, async (t) => {
    const { code, out } = await run(example)
    t.equal(code, 0, `${example} exits 0`)
    for (const p of patterns) t.match(out, p)
  })
}

// Real containers: runs where a Docker engine answers.
t.test('ecs-service', async (t) => {
  await requireTool('docker', 'busybox')
  await loadBusyboxIntoDocker()
  const { code, out } = await run('ecs-service')
  t.equal(code, 0, `ecs-service exits 0 (${out.trim().slice(-300)})`)
  t.match(out, /service web: 3 of 3 running/)
  t.match(out, /exec in [0-9a-f]{8}: \S+ \(exit 0\)/)
  t.match(out, /session exited 5: pid 1 is \S+/)
})
