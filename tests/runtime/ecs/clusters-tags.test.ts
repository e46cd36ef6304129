// TagResource / UntagResource / ListTagsForResource on every ECS resource ARN:
// cluster, container instance, capacity provider, and the records of the
// other areas (task definition, task, service: written directly here, as
// their areas store them); AWS's limits (50 per resource, key 1–128, value
// 0–256, aws: reserved) refused naming the field, with nothing changed.
import t from 'tap'
import type * as Tap from 'tap'
import { Stratus } from '../../../sdk/index.js'
import { SERVICES, TASKS, TASK_DEFINITIONS, type TaskRecord } from '../../../runtime/ecs/records.js'

async function refused(t: Tap.Test, p: Promise<unknown>, code: string, field: string) {
  await t.rejects(p, { code, field }, `${code} naming ${field}`)
}

t.test('tags on every ECS resource', async (t) => {
  const cloud = await Stratus.embedded({ clock: 'manual', runner: 'simulated' })
  t.teardown(() => cloud.close())
  const ecs = cloud.engine.ecs
  const { region, accountId } = ecs.context.partition
  const arn = (resource: string) => `arn:aws:ecs:${region}:${accountId}:${resource}`
  const taskId = 'f'.repeat(32)
  ecs.context.store.transaction((tx) => {
    tx.put(TASK_DEFINITIONS, 'web:00000003', { taskDefinition: { family: 'web', revision: 3, status: 'ACTIVE' }, tags: [] }, 0)
    tx.put(TASKS, taskId, { taskId, clusterName: 'default', task: { taskArn: arn(`task/default/${taskId}`), lastStatus: 'RUNNING', tags: [] } }, 0)
    tx.put(SERVICES, 'default/api', { clusterName: 'default', service: { serviceName: 'api', status: 'ACTIVE', tags: [] } }, 0)
  })
  await ecs.createCapacityProvider({ name: 'cp', autoScalingGroupProvider: { autoScalingGroupArn: `arn:aws:autoscaling:${region}:${accountId}:autoScalingGroup:0000:autoScalingGroupName/g` } })
  const instance = (await ecs.listContainerInstances({})).containerInstanceArns![0]
  const taskChanges: string[] = []
  ecs.context.hooks.taskChanged.add((r: TaskRecord) => void taskChanges.push(r.taskId))

  const resources = [arn('cluster/default'), instance, arn('task-definition/web:3'), arn(`task/default/${taskId}`), arn('service/default/api'), arn('capacity-provider/cp')]
  for (const resourceArn of resources) {
    await t.test(resourceArn.split(':').slice(5).join(':'), async (t) => {
      await ecs.tagResource({ resourceArn, tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }] })
      await ecs.tagResource({ resourceArn, tags: [{ key: 'team', value: 'b' }] })
      t.same((await ecs.listTagsForResource({ resourceArn })).tags, [{ key: 'team', value: 'b' }, { key: 'env', value: 'prod' }])
      await ecs.untagResource({ resourceArn, tagKeys: ['env', 'absent'] })
      t.same((await ecs.listTagsForResource({ resourceArn })).tags, [{ key: 'team', value: 'b' }])
    })
  }

  await t.test('the tags are where each area keeps them', async (t) => {
    t.same((await ecs.describeClusters({ include: ['TAGS'] })).clusters![0].tags, [{ key: 'team', value: 'b' }])
    t.same((await ecs.describeContainerInstances({ containerInstances: [instance], include: ['TAGS'] })).containerInstances![0].tags, [{ key: 'team', value: 'b' }])
    t.same(ecs.context.store.get<{ tags: unknown }>(TASK_DEFINITIONS, 'web:00000003')!.value.tags, [{ key: 'team', value: 'b' }])
    t.same(ecs.context.store.get<TaskRecord>(TASKS, taskId)!.value.task.tags, [{ key: 'team', value: 'b' }])
    t.same(ecs.context.store.get<{ service: { tags: unknown } }>(SERVICES, 'default/api')!.value.service.tags, [{ key: 'team', value: 'b' }])
    t.ok(taskChanges.length >= 3 && taskChanges.every((id) => id === taskId), 'a task\'s tag change is announced on taskChanged')
  })

  await t.test('limits and bad input are refused naming the field; nothing changes', async (t) => {
    const resourceArn = arn('cluster/default')
    const fifty = Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: 'v' }))
    await ecs.tagResource({ resourceArn, tags: fifty })
    t.equal((await ecs.listTagsForResource({ resourceArn })).tags!.length, 50)
    await t.rejects(ecs.tagResource({ resourceArn, tags: [{ key: 'one-more', value: 'v' }] }), { code: 'InvalidParameterException', field: 'tags', limit: 50 })
    await refused(t, ecs.tagResource({ resourceArn, tags: [{ key: 'aws:owner', value: 'v' }] }), 'InvalidParameterException', 'tags.aws:owner')
    await t.rejects(ecs.tagResource({ resourceArn, tags: [{ key: 'k'.repeat(129), value: 'v' }] }), { code: 'InvalidParameterException', limit: 128 })
    await t.rejects(ecs.tagResource({ resourceArn, tags: [{ key: 'k0', value: 'v'.repeat(257) }] }), { code: 'InvalidParameterException', limit: 256 })
    await refused(t, ecs.untagResource({ resourceArn, tagKeys: [''] }), 'InvalidParameterException', 'tagKeys[0]')
    t.equal((await ecs.listTagsForResource({ resourceArn })).tags!.length, 50, 'nothing changed')
    t.notOk((await ecs.listTagsForResource({ resourceArn })).tags!.some((x) => x.key === 'one-more'))
    await refused(t, ecs.tagResource({ resourceArn: arn('capacity-provider/cp'), tags: [{ key: 'stratus:instanceType', value: 'nope.large' }] }), 'InvalidParameterException', 'tags.stratus:instanceType')
    await refused(t, ecs.listTagsForResource({ resourceArn: arn('cluster/nope') }), 'ResourceNotFoundException', 'resourceArn')
    await refused(t, ecs.listTagsForResource({ resourceArn: arn('service/default/nope') }), 'ResourceNotFoundException', 'resourceArn')
    await refused(t, ecs.listTagsForResource({ resourceArn: 'not-an-arn' }), 'InvalidParameterException', 'resourceArn')
    await refused(t, ecs.listTagsForResource({ resourceArn: `arn:aws:ecs:${region}:999999999999:cluster/default` }), 'InvalidParameterException', 'resourceArn')
    await refused(t, ecs.listTagsForResource({ resourceArn: arn('widget/x') }), 'InvalidParameterException', 'resourceArn')
    await refused(t, ecs.tagResource({ resourceArn } as never), 'InvalidParameterException', 'tags')
  })
})
