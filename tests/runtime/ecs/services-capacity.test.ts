// A service's capacity provider strategy holds over all its tasks: the tasks
// that replace interrupted Spot tasks are assigned counting the ones still
// running (they used to be assigned from zero on every launch, so a
// FARGATE 1 / FARGATE_SPOT 1 service of 4 drifted 2/2 → 3/1 → 4/0).
import t from 'tap'
import { createCluster, describe, liveTasks, settle, sim, simulatedEngine } from './services-fixtures.js'

const VPC = { awsvpcConfiguration: { subnets: ['subnet-1'] } }

t.test('a capacity provider split does not drift as Spot tasks are interrupted and replaced', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  await createCluster(engine, 'work', [])
  await engine.ecs.registerTaskDefinition({
    family: 'web', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'app', image: 'busybox', essential: true, environment: sim(36_000) }]
  } as never)
  const cases: Array<[string, Array<{ capacityProvider: string; weight: number; base?: number }>, number, Record<string, number>]> = [
    ['weights 1 / 1, 4 tasks', [{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }], 4, { FARGATE: 2, FARGATE_SPOT: 2 }],
    ['FARGATE base 1, weights 1 / 1, 5 tasks', [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }], 5, { FARGATE: 3, FARGATE_SPOT: 2 }]
  ]
  for (const [what, strategy, desiredCount, split] of cases) {
    const name = `svc${desiredCount}`
    await engine.ecs.createService({ cluster: 'work', serviceName: name, taskDefinition: 'web', desiredCount, capacityProviderStrategy: strategy, networkConfiguration: VPC })
    await settle(engine)
    const counts = () => {
      const out: Record<string, number> = {}
      for (const r of liveTasks(engine, 'work', name)) out[String(r.task.capacityProviderName)] = (out[String(r.task.capacityProviderName)] ?? 0) + 1
      return out
    }
    t.same(counts(), split, `${what}: the split at start`)
    for (let round = 1; round <= 3; round++) {
      const spot = liveTasks(engine, 'work', name).find((r) => r.task.capacityProviderName === 'FARGATE_SPOT')!
      await engine.ecs.interruptSpotTask({ cluster: 'work', task: String(spot.task.taskArn) })
      await settle(engine)
      t.same(counts(), split, `${what}: the split after interruption ${round}`)
    }
    t.equal((await describe(engine, 'work', name)).runningCount, desiredCount)
  }
})
