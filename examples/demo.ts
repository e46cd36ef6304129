// The main job: a real AWS Batch pipeline on the embedded defaults (real
// clock, process runner: every job is a process on this machine).
//
//   prepare ──► square[0..49] ──N_TO_N──► cube[0..49] ──► reduce
//   (flaky, in a lower-priority queue: fails twice, succeeds on attempt 3)
//
//   npm run demo
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Stratus, type CloudEvent, type JobDetail, type JobStatus } from 'stratus'

const STATES: JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED']
const ARRAY = 50
const data = await mkdtemp(join(tmpdir(), 'stratus-demo-'))

await using cloud = await Stratus.embedded()

// Capacity: Batch launches c5/m5 instances as the jobs need them, up to 16 vCPUs.
const ce = await cloud.batch.computeEnvironment('demo').managed().minVcpus(0).maxVcpus(16).instanceTypes('c5', 'm5').create()
const high = await cloud.batch.jobQueue('pipeline').priority(100).computeEnvironments(ce).create()
const low = await cloud.batch.jobQueue('chores').priority(1).computeEnvironments(ce).create()

const sh = (name: string, script: string) =>
  cloud.batch.jobDefinition(name).command('sh', '-c', script).vcpus(1).memory(256).env({ DATA: data }).register()

const prepare = await sh('prepare', 'seq 1 Ref::count > "$DATA/input.txt" && echo "prepared $(wc -l < "$DATA/input.txt") inputs"')
// The array children sleep a little so the progress bar has something to show.
const square = await sh('square', 'n=$(sed -n "$((AWS_BATCH_JOB_ARRAY_INDEX + 1))p" "$DATA/input.txt"); sleep 0.2; echo $((n * n)) > "$DATA/square-$n"; echo "$n^2 = $((n * n))"')
const cube = await sh('cube', 'n=$((AWS_BATCH_JOB_ARRAY_INDEX + 1)); s=$(cat "$DATA/square-$n"); sleep 0.2; echo $((s * n)) > "$DATA/cube-$n"; echo "$n^3 = $((s * n))"')
const reduce = await sh('reduce', 'cat "$DATA"/cube-* | awk \'{ s += $1 } END { print s }\' > "$DATA/result"; echo "sum of cubes = $(cat "$DATA/result")"')
const flaky = await sh('flaky', '[ "$AWS_BATCH_JOB_ATTEMPT" -ge 3 ] || { echo "attempt $AWS_BATCH_JOB_ATTEMPT: transient failure" >&2; exit 1; }; echo "succeeded on attempt $AWS_BATCH_JOB_ATTEMPT"')

// Count every job and child by state, from the event stream.
const state = new Map<string, JobStatus>()
cloud.events.subscribe({ source: ['aws.batch'], 'detail-type': ['Batch Job State Change'] }, (event: CloudEvent) => {
  const detail = event.detail as JobDetail
  if (detail.arrayProperties?.size === undefined) state.set(detail.jobId, detail.status)
})

const started = Date.now()
const p = await cloud.batch.job('prepare').queue(high).definition(prepare).parameters({ count: String(ARRAY) }).submit()
const sq = await cloud.batch.job('square').queue(high).definition(square).array(ARRAY).dependsOn(p).submit()
const cu = await cloud.batch.job('cube').queue(high).definition(cube).array(ARRAY).dependsOn(sq, 'N_TO_N').submit()
const re = await cloud.batch.job('reduce').queue(high).definition(reduce).dependsOn(cu).submit()
const fl = await cloud.batch.job('flaky').queue(low).definition(flaky).retry({ attempts: 3 }).submit()
const total = 1 + ARRAY + ARRAY + 1 + 1

function render(final = false): void {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<JobStatus, number>
  for (const s of state.values()) counts[s]++
  const done = counts.SUCCEEDED + counts.FAILED
  const width = 30
  const bar = '█'.repeat(Math.round((done / total) * width)).padEnd(width, '░')
  const line = `${bar} ${String(done).padStart(3)}/${total}  ` + STATES.map((s) => `${s.toLowerCase()} ${counts[s]}`).join('  ')
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${final ? '\n' : ''}`)
  else if (final) console.log(line)
}
const ticker = setInterval(() => render(), 100)
const results = await Promise.all([p, sq, cu, re, fl].map((job) => job.wait()))
clearInterval(ticker)
render(true)

// The summary: one row per job (arrays summarised), from DescribeJobs.
console.log(`\n${'job'.padEnd(10)} ${'type'.padEnd(20)} ${'status'.padEnd(10)} ${'attempts'.padEnd(9)} ${'seconds'.padEnd(8)} output`)
for (const [job, detail] of [p, sq, cu, re, fl].map((j, i) => [j, results[i]] as const)) {
  const summary = detail.arrayProperties?.statusSummary
  const type = summary ? `array of ${detail.arrayProperties?.size}` + (detail.dependsOn.some((d) => d.type === 'N_TO_N') ? ' N_TO_N' : '') : 'single'
  const attempts = summary ? `${summary.SUCCEEDED}/${detail.arrayProperties?.size} ok` : String(detail.attempts.length)
  const seconds = (((detail.stoppedAt ?? 0) - (detail.startedAt ?? detail.createdAt)) / 1000).toFixed(2)
  let output = ''
  for await (const line of (summary ? job.child(6) : job).logs()) output = line
  console.log(`${job.name.padEnd(10)} ${type.padEnd(20)} ${detail.status.padEnd(10)} ${attempts.padEnd(9)} ${seconds.padEnd(8)} ${output}`)
}

const expected = Array.from({ length: ARRAY }, (_, i) => (i + 1) ** 3).reduce((a, b) => a + b, 0)
const result = Number((await readFile(join(data, 'result'), 'utf8')).trim())
const instances = (await ce.nodes()).map((n) => n.instanceType)
console.log(`\n${total} jobs in ${((Date.now() - started) / 1000).toFixed(1)} s on ${instances.length} instance(s) (${[...new Set(instances)].join(', ')});` +
  ` sum of cubes 1..${ARRAY} = ${result} (expected ${expected})`)
await rm(data, { recursive: true, force: true })
const ok = results.every((d) => d.status === 'SUCCEEDED') && result === expected && results[4].attempts.length === 3
if (!ok) {
  console.error('the pipeline did not finish as expected')
  process.exitCode = 1
}
