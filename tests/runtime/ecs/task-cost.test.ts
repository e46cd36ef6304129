// A task's cost through the engine (taskCost, and serviceCost over a service's
// tasks): a Fargate task is billed for its task-level vCPU and memory from the
// image pull until it stops, at the price table's us-east-1 rates, with the
// one-minute minimum; while it runs, up to now. An EC2 task costs nothing of
// its own (its instance is what AWS bills).
import t from 'tap'
import { advance, FARGATE_NETWORK, fargateDefinition, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'
import { FARGATE_PRICES } from '../../../runtime/ecs/fargate-prices.js'

t.test('a Fargate task costs its vCPU and GB hours from the pull until it stops; an EC2 task nothing', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'work')
  fargateDefinition(engine, 'priced', [{ name: 'app', image: 'busybox', environment: sim(600) }], '1024', '2048')
  const { tasks } = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'priced', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK })
  const arn = tasks![0].taskArn!
  await settle(engine)
  const rate = FARGATE_PRICES.FARGATE.X86_64
  const hourly = 1 * rate.vcpuHour + 2 * rate.gbHour

  const early = await engine.ecs.taskCost({ cluster: 'work', task: arn })
  t.equal(early.seconds, 60, 'the one-minute minimum while it has just started')
  t.equal(early.vcpu, 1)
  t.equal(early.memoryGiB, 2)
  t.ok(Math.abs(early.usd - hourly * 60 / 3600) < 1e-12, 'priced at the table rates')

  await advance(engine, 300_000)
  const running = await engine.ecs.taskCost({ cluster: 'work', task: arn })
  t.ok(running.seconds >= 300 && running.seconds < 310, `billed up to now while it runs (${running.seconds} s)`)

  await advance(engine, 600_000)
  const described = (await engine.ecs.describeTasks({ cluster: 'work', tasks: [arn] })).tasks![0]
  t.equal(described.lastStatus, 'STOPPED')
  const final = await engine.ecs.taskCost({ cluster: 'work', task: arn })
  const expected = Math.max(60, Math.ceil((described.stoppedAt!.valueOf() - (described.pullStartedAt ?? described.startedAt)!.valueOf()) / 1000))
  t.equal(final.seconds, expected, 'from the pull until it stopped, not longer')
  t.ok(Math.abs(final.usd - hourly * expected / 3600) < 1e-12)
  await advance(engine, 600_000)
  t.equal((await engine.ecs.taskCost({ cluster: 'work', task: arn })).usd, final.usd, 'a stopped task costs no more')

  seedDefinition(engine, 'onec2', [{ name: 'app', image: 'busybox', memory: 128, environment: sim(600) }])
  const ec2 = await engine.ecs.runTask({ cluster: 'work', taskDefinition: 'onec2', launchType: 'EC2' })
  t.same(ec2.failures, [])
  t.equal((await engine.ecs.taskCost({ cluster: 'work', task: ec2.tasks![0].taskArn! })).usd, 0)

  await t.rejects(engine.ecs.taskCost({ cluster: 'work', task: 'f'.repeat(32) }), { code: 'InvalidParameterException', field: 'task' })
  await t.rejects(engine.ecs.taskCost({ cluster: 'nope', task: arn }), { code: 'ClusterNotFoundException' })
})
