// A JavaScript app on Node 20 using the installed package, as its README shows
// (no `await using` on Node 20: try/finally and close()). Prints one JSON line
// with what it saw; tests/package.test.ts runs it inside a fresh project.
import { Stratus } from 'stratus'
import { Scheduler } from 'stratus/placement'

const jobs = Number(process.argv[2] ?? 1)
const cloud = await Stratus.embedded()
try {
  const ce = await cloud.batch.computeEnvironment('local').unmanaged().create()
  await ce.registerNode({ vcpus: 2, memory: 2048 })
  const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
  const def = await cloud.batch.jobDefinition('hello').command('sh', '-c', 'echo hello from $AWS_BATCH_JOB_ATTEMPT').vcpus(1).memory(128).register()
  const results = []
  for (let i = 0; i < jobs; i++) {
    const job = await cloud.batch.job(`hello-${i}`).queue(queue).definition(def).submit()
    const detail = await job.wait()
    const logs = []
    for await (const line of job.logs()) logs.push(line)
    results.push({ status: detail.status, logs })
  }
  // The placement core from its subpath, on the release WebAssembly build the package ships.
  const scheduler = await Scheduler.create()
  const plan = scheduler.place({ nodes: [{ cpu: 2000, memory: 4096 }], tasks: [{ cpu: 1000, memory: 512 }, { cpu: 4000, memory: 512 }] })
  const deepImport = await import('stratus/dist/runtime/engine.js').then(() => 'allowed', (error) => error.code)
  console.log(JSON.stringify({ results, reasons: plan.placements.map((p) => p.reason), deepImport }))
} finally {
  await cloud.close()
}
