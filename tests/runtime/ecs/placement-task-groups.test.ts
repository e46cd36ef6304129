// Task groups as placement sees them: a container instance counts the tasks it
// runs by group (NodeRecord.groups, kept by the transaction that places or
// ends a task, no scan of the task records), so `task:group` expressions and
// distinctInstance follow tasks starting and ending — and a task that ended
// no longer holds its instance's group. On the simulated runner and the
// manual clock.
import t from 'tap'
import { advance, seedCluster, seedDefinition, settle, sim, simulatedEngine } from './tasks-fixtures.js'

t.test('task:group and distinctInstance follow tasks placed and ended', async (t) => {
  const engine = await simulatedEngine()
  t.teardown(() => engine.close())
  seedCluster(engine, 'groups', { instances: [{ vcpus: 4, memory: 8192 }, { vcpus: 4, memory: 8192 }] })
  seedDefinition(engine, 'web', [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, environment: sim(3600) }])
  seedDefinition(engine, 'db', [{ name: 'app', image: 'busybox', cpu: 256, memory: 256, environment: sim(3600) }])
  const withWeb = [{ type: 'memberOf' as const, expression: 'task:group == family:web' }]
  const withoutWeb = [{ type: 'memberOf' as const, expression: 'not(task:group == family:web)' }]

  const web = (await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'web' })).tasks![0]
  const webInstance = web.containerInstanceArn
  const near = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'db', count: 3, placementConstraints: withWeb })
  t.same(near.failures, [])
  t.same(near.tasks!.map((x) => x.containerInstanceArn), [webInstance, webInstance, webInstance], 'task:group finds the instance running a web task')
  const away = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'db', placementConstraints: withoutWeb })
  t.not(away.tasks![0].containerInstanceArn, webInstance, 'and its negation the other one')

  // distinctInstance: a second web task goes to the other instance, a third finds none.
  const second = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'web', placementConstraints: [{ type: 'distinctInstance' }] })
  t.not(second.tasks![0].containerInstanceArn, webInstance)
  const third = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'web', placementConstraints: [{ type: 'distinctInstance' }] })
  t.same(third.tasks, [])
  t.same(third.failures!.map((f) => f.reason), ['DistinctInstance placement constraint unsatisfied'])

  // Both web tasks end: no instance runs the group any more.
  await settle(engine)
  for (const task of [web, second.tasks![0]]) await engine.ecs.stopTask({ cluster: 'groups', task: task.taskArn! })
  await advance(engine, 60_000)
  const stopped = (await engine.ecs.describeTasks({ cluster: 'groups', tasks: [web.taskArn!, second.tasks![0].taskArn!] })).tasks!
  t.same(stopped.map((x) => x.lastStatus), ['STOPPED', 'STOPPED'])
  const none = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'db', placementConstraints: withWeb })
  t.same(none.tasks, [])
  t.same(none.failures!.map((f) => f.reason), ['MemberOf placement constraint unsatisfied'], 'a stopped task no longer counts in its group')
  const again = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'web', count: 2, placementConstraints: [{ type: 'distinctInstance' }] })
  t.same(again.failures, [])
  t.equal(new Set(again.tasks!.map((x) => x.containerInstanceArn)).size, 2, 'distinctInstance has both instances again')

  // StartTask counts its task in the group too.
  const started = await engine.ecs.startTask({ cluster: 'groups', taskDefinition: 'db', containerInstances: [webInstance!], group: 'batch:nightly' })
  t.same(started.failures, [])
  const follow = await engine.ecs.runTask({ cluster: 'groups', taskDefinition: 'db', count: 2, placementConstraints: [{ type: 'memberOf', expression: 'task:group == batch:nightly' }] })
  t.same(follow.tasks!.map((x) => x.containerInstanceArn), [webInstance, webInstance])
})
