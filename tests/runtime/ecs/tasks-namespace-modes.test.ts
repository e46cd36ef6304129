// pidMode and ipcMode: no Stratus runner shares a process or IPC namespace
// between a task's containers (or with the host), so a definition asking for
// one is refused at registration, naming the field, instead of being stored
// and run without it. Regression: both were validated, kept and never applied.
import t from 'tap'
import { ec2Definition, engine } from './task-definitions-fixtures.js'

t.test('pidMode and ipcMode validated, stored and never run: refused at registration naming the field', async (t) => {
  await using e = await engine()
  for (const [field, value] of [['pidMode', 'host'], ['pidMode', 'task'], ['ipcMode', 'host'], ['ipcMode', 'task'], ['ipcMode', 'none']] as const) {
    await t.rejects(e.ecs.registerTaskDefinition({ ...ec2Definition('modes'), [field]: value }), { code: 'ClientException', field, message: new RegExp(`Stratus does not run ${field} yet`) }, `${field} ${value}`)
  }
  t.same((await e.ecs.listTaskDefinitionFamilies({})).families, [], 'nothing was stored')
  await t.rejects(e.ecs.registerTaskDefinition({ ...ec2Definition('modes'), pidMode: 'shared' as 'task' }), { code: 'ClientException', field: 'pidMode', message: /host, task|host or task|one of/ }, 'a value ECS does not know is still refused as such')
  t.equal((await e.ecs.registerTaskDefinition(ec2Definition('modes'))).taskDefinition!.revision, 1)
})
