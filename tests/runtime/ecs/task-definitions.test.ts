// Task definitions: revisions per family (never reused), describe by family,
// family:revision or ARN (with tags), list with status/sort/paging, families,
// deregister (INACTIVE, running tasks keep running), delete (DELETE_IN_PROGRESS
// until no live task uses the revision), and the resolveTaskDefinition seam.
import t from 'tap'
import { resolveTaskDefinition } from '../../../runtime/ecs/task-definitions.js'
import { TASK_DEFINITIONS } from '../../../runtime/ecs/records.js'
import { ec2Definition, engine } from './task-definitions-fixtures.js'
import { advance, seedCluster, settle, sim } from './tasks-fixtures.js'

t.test('each registration is the next revision of its family; describe by family, family:revision or ARN', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  const r1 = await ecs.registerTaskDefinition(ec2Definition('web', { tags: [{ key: 'team', value: 'a' }] }))
  const r2 = await ecs.registerTaskDefinition(ec2Definition('web'))
  await ecs.registerTaskDefinition(ec2Definition('api'))
  t.equal(r1.taskDefinition!.revision, 1)
  t.equal(r2.taskDefinition!.revision, 2)
  t.equal(r1.taskDefinition!.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1')
  t.same(r1.tags, [{ key: 'team', value: 'a' }])
  t.equal(r1.taskDefinition!.status, 'ACTIVE')
  t.ok(r1.taskDefinition!.registeredAt instanceof Date)
  t.match(r1.taskDefinition!.registeredBy, /^arn:aws:iam::000000000000:/)
  t.same(r1.taskDefinition!.compatibilities, ['EC2'], 'bridge without a task size: EC2 only')
  t.equal(r1.taskDefinition!.networkMode, 'bridge', 'the default network mode')
  t.equal(r1.taskDefinition!.containerDefinitions![0].essential, true, 'essential defaults to true')

  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'web' })).taskDefinition!.revision, 2, 'a family is its latest ACTIVE revision')
  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'web:1' })).taskDefinition!.revision, 1)
  const byArn = await ecs.describeTaskDefinition({ taskDefinition: r1.taskDefinition!.taskDefinitionArn!, include: ['TAGS'] })
  t.same(byArn.tags, [{ key: 'team', value: 'a' }], 'include TAGS returns the tags')
  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'web:1' })).tags, undefined, 'no tags unless asked')
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'web:9' }), { code: 'ClientException', field: 'taskDefinition' })
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'nope' }), { code: 'ClientException', field: 'taskDefinition' })
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1' }), { code: 'ClientException', field: 'taskDefinition' },
    'an ARN of another region is refused, not resolved by its name')
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'web:1', include: ['SETTINGS' as 'TAGS'] }), { code: 'InvalidParameterException', field: 'include' })
})

t.test('revisions are never reused, not even after every revision of the family is deleted', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  await ecs.registerTaskDefinition(ec2Definition('job'))
  await ecs.registerTaskDefinition(ec2Definition('job'))
  await ecs.deregisterTaskDefinition({ taskDefinition: 'job:1' })
  await ecs.deregisterTaskDefinition({ taskDefinition: 'job:2' })
  await ecs.deleteTaskDefinitions({ taskDefinitions: ['job:1', 'job:2'] })
  t.same((await ecs.listTaskDefinitionFamilies({})).families, [], 'a family whose revisions are all gone is not listed')
  const next = await ecs.registerTaskDefinition(ec2Definition('job'))
  t.equal(next.taskDefinition!.revision, 3)
})

t.test('ListTaskDefinitions: status (ACTIVE by default), the full family name, sort, paging', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  for (const family of ['b', 'a', 'a-x']) for (let i = 0; i < 3; i++) await ecs.registerTaskDefinition(ec2Definition(family))
  await ecs.deregisterTaskDefinition({ taskDefinition: 'a:2' })
  const name = (arn: string) => arn.split('/')[1]
  t.same((await ecs.listTaskDefinitions({})).taskDefinitionArns!.map(name), ['a:1', 'a:3', 'a-x:1', 'a-x:2', 'a-x:3', 'b:1', 'b:2', 'b:3'], 'by family name, then revision')
  t.same((await ecs.listTaskDefinitions({ familyPrefix: 'a' })).taskDefinitionArns!.map(name), ['a:1', 'a:3'], 'familyPrefix is the full family name')
  t.same((await ecs.listTaskDefinitions({ familyPrefix: 'a', sort: 'DESC' })).taskDefinitionArns!.map(name), ['a:3', 'a:1'])
  t.same((await ecs.listTaskDefinitions({ status: 'INACTIVE' })).taskDefinitionArns!.map(name), ['a:2'])

  for (const sort of ['ASC', 'DESC'] as const) {
    const seen: string[] = []
    let nextToken: string | undefined
    do {
      const page = await ecs.listTaskDefinitions({ maxResults: 3, sort, ...(nextToken ? { nextToken } : {}) })
      t.ok(page.taskDefinitionArns!.length <= 3)
      seen.push(...page.taskDefinitionArns!.map(name))
      nextToken = page.nextToken
    } while (nextToken)
    const all = (await ecs.listTaskDefinitions({ sort })).taskDefinitionArns!.map(name)
    t.same(seen, all, `pages of 3 (${sort}) give every revision once, in order`)
  }
  const first = await ecs.listTaskDefinitions({ maxResults: 2 })
  await t.rejects(ecs.listTaskDefinitions({ maxResults: 2, sort: 'DESC', nextToken: first.nextToken }), { code: 'InvalidParameterException', field: 'nextToken' }, 'a token of another query')
  await t.rejects(ecs.listTaskDefinitions({ maxResults: 101 }), { code: 'InvalidParameterException', field: 'maxResults', limit: 100 })
  await t.rejects(ecs.listTaskDefinitions({ maxResults: 0 }), { code: 'InvalidParameterException', field: 'maxResults', limit: 1 })
  await t.rejects(ecs.listTaskDefinitions({ status: 'ALL' as 'ACTIVE' }), { code: 'InvalidParameterException', field: 'status' })
  await t.rejects(ecs.listTaskDefinitions({ sort: 'UP' as 'ASC' }), { code: 'InvalidParameterException', field: 'sort' })
})

t.test('ListTaskDefinitionFamilies: a prefix, ACTIVE / INACTIVE / ALL, paging', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  for (const family of ['web', 'web-api', 'worker', 'db']) await ecs.registerTaskDefinition(ec2Definition(family))
  await ecs.deregisterTaskDefinition({ taskDefinition: 'worker:1' })
  t.same((await ecs.listTaskDefinitionFamilies({})).families, ['db', 'web', 'web-api', 'worker'], 'both ACTIVE and INACTIVE families by default')
  t.same((await ecs.listTaskDefinitionFamilies({ familyPrefix: 'w' })).families, ['web', 'web-api', 'worker'])
  t.same((await ecs.listTaskDefinitionFamilies({ status: 'ACTIVE' })).families, ['db', 'web', 'web-api'])
  t.same((await ecs.listTaskDefinitionFamilies({ status: 'INACTIVE' })).families, ['worker'], 'INACTIVE: families with no ACTIVE revision')
  const p1 = await ecs.listTaskDefinitionFamilies({ maxResults: 3 })
  const p2 = await ecs.listTaskDefinitionFamilies({ maxResults: 3, nextToken: p1.nextToken })
  t.same([...p1.families!, ...p2.families!], ['db', 'web', 'web-api', 'worker'])
  t.equal(p2.nextToken, undefined)
  await t.rejects(ecs.listTaskDefinitionFamilies({ status: 'DELETE_IN_PROGRESS' as 'ALL' }), { code: 'InvalidParameterException', field: 'status' })
})

t.test('deregister: INACTIVE with deregisteredAt; no new tasks; a running task keeps running; delete waits for it', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  seedCluster(e, 'work')
  await ecs.registerTaskDefinition({ family: 'long', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128, environment: sim(600) }] })
  const { tasks } = await ecs.runTask({ cluster: 'work', taskDefinition: 'long' })
  await settle(e)
  t.equal(tasks!.length, 1)
  await t.rejects(ecs.deregisterTaskDefinition({ taskDefinition: 'long' }), { code: 'ClientException', field: 'taskDefinition' }, 'deregistering names a revision')
  const { taskDefinition } = await ecs.deregisterTaskDefinition({ taskDefinition: 'long:1' })
  t.equal(taskDefinition!.status, 'INACTIVE')
  t.ok(taskDefinition!.deregisteredAt instanceof Date)
  await t.rejects(ecs.runTask({ cluster: 'work', taskDefinition: 'long:1' }), { code: 'ClientException', field: 'taskDefinition' }, 'an INACTIVE revision runs no new task')
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'long' }), { code: 'ClientException' }, 'the family has no ACTIVE revision left')
  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'long:1' })).taskDefinition!.status, 'INACTIVE', 'an INACTIVE revision is still describable')
  const [live] = (await ecs.describeTasks({ cluster: 'work', tasks: [tasks![0].taskArn!] })).tasks!
  t.not(live.lastStatus, 'STOPPED', 'the running task keeps running')
  t.equal(resolveTaskDefinition(e.ecs.context, 'long:1', 'taskDefinition', { allowInactive: true }).taskDefinition.revision, 1, 'a service already using it may go on')

  const deleted = await ecs.deleteTaskDefinitions({ taskDefinitions: ['long:1'] })
  t.same(deleted.taskDefinitions!.map((d) => d.status), ['DELETE_IN_PROGRESS'])
  t.same(deleted.failures, [])
  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'long:1' })).taskDefinition!.status, 'DELETE_IN_PROGRESS', 'kept while a task uses it')
  t.same((await ecs.listTaskDefinitions({ status: 'DELETE_IN_PROGRESS' })).taskDefinitionArns!.length, 1)
  t.throws(() => resolveTaskDefinition(e.ecs.context, 'long:1', 'taskDefinition'), { code: 'ClientException', field: 'taskDefinition' })

  await ecs.stopTask({ cluster: 'work', task: tasks![0].taskArn! })
  await advance(e, 60_000)
  await settle(e)
  await t.rejects(ecs.describeTaskDefinition({ taskDefinition: 'long:1' }), { code: 'ClientException' }, 'gone once no task uses it')
  t.equal(e.store.get(TASK_DEFINITIONS, 'long:00000001'), undefined)
})

t.test('DeleteTaskDefinitions answers failures[] for ACTIVE and unknown revisions, and refuses more than 10', async (t) => {
  await using e = await engine()
  const ecs = e.ecs
  await ecs.registerTaskDefinition(ec2Definition('a'))
  await ecs.registerTaskDefinition(ec2Definition('a'))
  await ecs.deregisterTaskDefinition({ taskDefinition: 'a:2' })
  const r = await ecs.deleteTaskDefinitions({ taskDefinitions: ['a:1', 'a:2', 'a:7', 'a'] })
  t.same(r.taskDefinitions!.map((d) => d.revision), [2])
  t.same(r.failures!.map((f) => f.arn), ['arn:aws:ecs:us-east-1:000000000000:task-definition/a:1', 'arn:aws:ecs:us-east-1:000000000000:task-definition/a:7', 'a'])
  t.match(r.failures![0].reason, /ACTIVE/)
  t.equal((await ecs.describeTaskDefinition({ taskDefinition: 'a:1' })).taskDefinition!.status, 'ACTIVE', 'the ACTIVE one is untouched')
  await t.rejects(ecs.deleteTaskDefinitions({ taskDefinitions: Array.from({ length: 11 }, (_, i) => `a:${i + 1}`) }), { code: 'InvalidParameterException', field: 'taskDefinitions', limit: 10 })
  await t.rejects(ecs.deleteTaskDefinitions({ taskDefinitions: [] }), { code: 'InvalidParameterException', field: 'taskDefinitions' })
})

t.test('definitions survive an engine restart over the same data directory, and revisions go on', async (t) => {
  const dataDir = t.testdir()
  const { Engine } = await import('../../../runtime/engine.js')
  {
    await using e = await Engine.start({ clock: 'manual', runner: 'simulated', dataDir })
    await e.ecs.registerTaskDefinition(ec2Definition('keep'))
    await e.ecs.registerTaskDefinition(ec2Definition('keep'))
    await e.ecs.deregisterTaskDefinition({ taskDefinition: 'keep:2' })
    await e.ecs.deleteTaskDefinitions({ taskDefinitions: ['keep:2'] })
  }
  await using e = await Engine.start({ clock: 'manual', runner: 'simulated', dataDir })
  t.equal((await e.ecs.describeTaskDefinition({ taskDefinition: 'keep' })).taskDefinition!.revision, 1)
  t.equal((await e.ecs.registerTaskDefinition(ec2Definition('keep'))).taskDefinition!.revision, 3, 'the deleted revision 2 is not reused')
})
