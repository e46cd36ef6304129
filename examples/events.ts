// The Batch event stream: every state change of a job, in EventBridge's
// "Batch Job State Change" shape, filtered by an EventBridge pattern.
//
//   node dist/examples/events.js
import { Stratus, type JobDetail } from 'stratus'

await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
const ce = await cloud.batch.computeEnvironment('sim').managed().maxVcpus(4).instanceTypes('m5.large').create()
const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
const def = await cloud.batch.jobDefinition('task').command('true').vcpus(1).memory(256).register()

// Everything about one job…
const timeline: string[] = []
cloud.events.subscribe({ source: ['aws.batch'], detail: { jobName: ['report'] } }, (event) => {
  const d = event.detail as JobDetail
  timeline.push(`${new Date(event.time).toISOString().slice(11, 19)} ${d.status}`)
})
// …and only failures, of any job whose name starts with "nightly-".
const failures: string[] = []
cloud.events.subscribe({ source: ['aws.batch'], detail: { status: ['FAILED'], jobName: [{ prefix: 'nightly-' }] } }, (event) => {
  failures.push((event.detail as JobDetail).jobName)
})

const report = await cloud.batch.job('report').queue(queue).definition(def).env({ STRATUS_SIM_SECONDS: '90' }).submit()
await cloud.batch.job('nightly-backup').queue(queue).definition(def).env({ STRATUS_SIM_EXIT: '2' }).submit()
await cloud.batch.job('nightly-vacuum').queue(queue).definition(def).submit()
await cloud.clock.advance(5 * 60 * 1000)
await report.wait()

console.log(`report: ${timeline.join(' → ')}`)
console.log(`failed nightly jobs: ${failures.join(', ')}`)
