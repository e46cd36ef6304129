// Array jobs and their dependencies, with real processes:
//   extract[0..9]  ──N_TO_N──►  transform[0..9]  (child i waits for extract child i)
//   load[0..9] SEQUENTIAL       (child i waits for child i-1), after transform as a whole
//
//   node dist/examples/array-dependencies.js
import { Stratus } from 'stratus'

await using cloud = await Stratus.embedded()

// An unmanaged environment: the nodes are yours to register (here: 4 vCPUs, 8 GiB).
const nodes = await cloud.batch.computeEnvironment('laptop').unmanaged().create()
await nodes.registerNode({ vcpus: 4, memory: 8192 })
const queue = await cloud.batch.jobQueue('etl').priority(1).computeEnvironments(nodes).create()

// One definition serves all three steps; the step name is a parameter (Ref::step).
const step = await cloud.batch.jobDefinition('step').vcpus(1).memory(64)
  .command('sh', '-c', 'echo "Ref::step $AWS_BATCH_JOB_ARRAY_INDEX of $AWS_BATCH_JOB_ARRAY_SIZE"')
  .register()

const extract = await cloud.batch.job('extract').queue(queue).definition(step).parameters({ step: 'extract' }).array(10).submit()
const transform = await cloud.batch.job('transform').queue(queue).definition(step).parameters({ step: 'transform' })
  .array(10).dependsOn(extract, 'N_TO_N').submit()
const load = await cloud.batch.job('load').queue(queue).definition(step).parameters({ step: 'load' })
  .array(10).dependsOn(transform).sequential().submit()

const done = await load.wait()
console.log(`load: ${done.status}, children ${JSON.stringify(done.arrayProperties?.statusSummary)}`)

// Children are jobs of their own: `<parent id>:<index>`, with logs and attempts.
for await (const line of load.child(9).logs()) console.log(`load:9 printed "${line}"`)
const [child] = await cloud.batch.describeJobs(`${transform.id}:3`)
console.log(`transform:3 depended on ${child.dependsOn.map((d) => `${d.jobId} (${d.type})`).join(', ')}`)
