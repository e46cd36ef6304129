// A TypeScript app using the installed package's declarations: the builders,
// the handles and their lifecycle types, errors, and the placement subpath.
// tests/package.test.ts type-checks it inside a fresh project (skipLibCheck,
// the repository's typescript); the @ts-expect-error lines fail that check if
// the declarations degrade to `any`.
import {
  Stratus, StratusError, type ComputeEnvironment, type JobQueue, type JobDefinitionHandle, type Job,
  type FinishedJobDetail, type JobStatus, type JobDetail, type CloudEvent
} from 'stratus'
import { Scheduler, TsPlacementCore, loadWasmCore, placementAbi, type Plan, type PlacementReason, type PlacementCore } from 'stratus/placement'

export async function run(): Promise<{ status: JobStatus; lines: string[]; reasons: PlacementReason[] }> {
  await using cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  const ce: ComputeEnvironment = await cloud.batch.computeEnvironment('ce').managed().maxVcpus(16).instanceTypes('m5').create()
  const queue: JobQueue = await cloud.batch.jobQueue('q').priority(10).computeEnvironments(ce).create()
  const def: JobDefinitionHandle = await cloud.batch.jobDefinition('d').command('sh', '-c', 'echo $X').vcpus(1).memory(128).register()
  const job: Job = await cloud.batch.job('j').queue(queue).definition(def).array(4).env({ X: '1' }).submit()
  const seen: string[] = []
  const unsubscribe = cloud.events.subscribe({ source: ['aws.batch'] }, (event: CloudEvent) => {
    seen.push((event.detail as JobDetail).status)
  })
  await cloud.clock.advance(60_000)
  const done: FinishedJobDetail = await job.wait()
  unsubscribe()
  const lines: string[] = []
  for await (const line of job.child(0).logs()) lines.push(line)

  // @ts-expect-error vcpus takes a number
  cloud.batch.jobDefinition('bad').vcpus('one')
  // @ts-expect-error a finished job is SUCCEEDED or FAILED
  const running: FinishedJobDetail['status'] = 'RUNNING'
  void running

  try {
    await cloud.batch.jobQueue('q').priority(10).computeEnvironments(ce).create()
  } catch (error) {
    if (!(error instanceof StratusError)) throw error
    const kind: 'NotFound' | 'Conflict' | 'InvalidArgument' | 'LimitExceeded' | 'Unavailable' | 'AccessDenied' | 'Internal' = error.kind
    void kind
  }

  const core: PlacementCore = Math.random() < 0.5 ? new TsPlacementCore() : await loadWasmCore()
  void core
  const scheduler: Scheduler = await Scheduler.create({ core: 'typescript' })
  const plan: Plan = scheduler.place({ nodes: [{ cpu: 2000, memory: 4096 }], tasks: [{ cpu: 1000, memory: 512 }] })
  const strategy: number = placementAbi.STRATEGY_BESTFIT
  void strategy
  return { status: done.status, lines, reasons: plan.placements.map((p) => p.reason) }
}
