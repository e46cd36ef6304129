// Retries and timeouts on a manual clock, with the simulated runner: a day of
// Batch time in milliseconds. A simulated job lasts STRATUS_SIM_SECONDS of
// clock time and exits with STRATUS_SIM_EXIT.
//
//   node dist/examples/retries-and-timeouts.js
import { Stratus } from 'stratus'

await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
const ce = await cloud.batch.computeEnvironment('sim').managed().maxVcpus(16).instanceTypes('m5.large').create()
const queue = await cloud.batch.jobQueue('q').priority(1).computeEnvironments(ce).create()
const def = await cloud.batch.jobDefinition('work').command('./work.sh').vcpus(1).memory(512).register()

// Exit code 3 is a bug: do not retry it. Anything else (say 1, a flaky network) is retried, up to 3 attempts.
const retry = { attempts: 3, evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' as const }] }
const flaky = await cloud.batch.job('flaky').queue(queue).definition(def).retry(retry)
  .env({ STRATUS_SIM_SECONDS: '30', STRATUS_SIM_EXIT: '1' }).submit()
const buggy = await cloud.batch.job('buggy').queue(queue).definition(def).retry(retry)
  .env({ STRATUS_SIM_SECONDS: '30', STRATUS_SIM_EXIT: '3' }).submit()
// Runs 2 hours but may take 10 minutes: killed at the timeout, and never retried.
const slow = await cloud.batch.job('slow').queue(queue).definition(def).retry(retry).timeout(600)
  .env({ STRATUS_SIM_SECONDS: '7200' }).submit()

await cloud.clock.advance(60 * 60 * 1000) // one hour, in a few milliseconds

for (const job of [flaky, buggy, slow]) {
  const d = await job.describe()
  console.log(`${d.jobName.padEnd(6)} ${d.status.padEnd(9)} after ${d.attempts.length} attempt(s): ${d.statusReason}`)
}

// Finished jobs are kept for 24 hours of clock time, then purged.
await cloud.clock.advance(24 * 60 * 60 * 1000)
console.log(`a day later: ${(await cloud.batch.describeJobs(flaky.id, buggy.id, slow.id)).length} of 3 jobs still described`)
