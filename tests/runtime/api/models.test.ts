// The tables against the official service models the SDK v3 packages ship
// as schemas: every operation exists in the model, its required members are
// the model's, Batch's restJson1 routes are the model's, and the error names
// the ECR table hands out (EventBridge's table is checked against its model too) are exceptions of the ECR model with their statuses.
import t from 'tap'
import * as batchModel from '@aws-sdk/client-batch'
import * as ecrModel from '@aws-sdk/client-ecr'
import * as eventsModel from '@aws-sdk/client-eventbridge'
import * as ecsModel from '@aws-sdk/client-ecs'
import { serviceTables } from '../../../runtime/api/services.js'
import { ecrError } from '../../../runtime/api/tables/ecr.js'
import { ECS_TIMESTAMP_MEMBERS, ecsError } from '../../../runtime/api/tables/ecs.js'
import { ECS_EXCEPTIONS, EcsError, type EcsExceptionName } from '../../../runtime/ecs/errors.js'
import { StratusError } from '../../../runtime/errors.js'
import { RegistryError } from '../../../registry/errors.js'
import { simulatedCloud } from './clients.js'

type Schema = [number, string, string, Record<string, unknown>, string[], unknown[], number?]

function requiredOf(model: Record<string, unknown>, op: string): string[] | undefined {
  const s = model[`${op}Request$`] as Schema | undefined
  return s === undefined ? undefined : s[4].slice(0, typeof s[6] === 'number' ? s[6] : 0)
}

t.test('required members and routes are the models\'', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const tables = serviceTables({ partition: cloud.engine.partition, batch: cloud.engine.batch, ecs: cloud.engine.ecs, registry: cloud.engine.registry, clock: cloud.engine.clock, events: cloud.engine.events, eventBridge: cloud.engine.eventBridge, logs: cloud.engine.logs, iam: cloud.engine.iam, audit: cloud.engine.audit })
  const models: Record<string, Record<string, unknown>> = { batch: batchModel, ecr: ecrModel, events: eventsModel, ecs: ecsModel }
  for (const table of tables) {
    const model = models[table.signingName]
    if (model === undefined) continue
    for (const op of table.operations) {
      const required = requiredOf(model, op.name)
      t.ok(required !== undefined, `${table.signingName} ${op.name} is in the model`)
      t.same([...(op.required ?? [])].sort(), [...(required ?? [])].sort(), `${table.signingName} ${op.name}: required members`)
      if (table.protocol === 'restJson1') {
        const opSchema = model[`${op.name}$`] as Schema
        const http = Object.values(opSchema[3])[0] as [string, string, number]
        t.same([op.http?.method, op.http?.path], [http[0], http[1]], `${op.name}: ${http[0]} ${http[1]}`)
      }
    }
  }
})

t.test('ECR exception names from RegistryError codes are the model\'s, with its statuses', async (t) => {
  const codes = ['RepositoryNotFoundException', 'RepositoryAlreadyExistsException', 'RepositoryNotEmptyException', 'ImageNotFoundException',
    'ImageTagAlreadyExistsException', 'InvalidParameterException', 'LifecyclePolicyNotFoundException', 'RepositoryPolicyNotFoundException', 'LayersNotFoundException']
  for (const code of [...codes, 'NAME_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_UNKNOWN', 'DIGEST_INVALID']) {
    const wire = ecrError(new RegistryError(code, 'x', { kind: 'InvalidArgument' }))
    const schema = (ecrModel as Record<string, unknown>)[`${wire.type}$`] as Schema | undefined
    t.ok(schema !== undefined && schema[0] === -3, `${code} → ${wire.type}, an exception of the ECR model`)
    const traits = schema?.[3] ?? {}
    const status = Object.values(traits).find((v) => typeof v === 'number') ?? (Object.values(traits).includes('server') ? 500 : 400)
    t.equal(wire.status, status, `${wire.type}: ${status}`)
  }
})

t.test('ECS: every exception the table sends is one of the model, with its status; timestamps are the model\'s', async (t) => {
  const model = ecsModel as Record<string, unknown>
  const errors = [
    ...Object.keys(ECS_EXCEPTIONS).map((code) => new EcsError(code as EcsExceptionName, 'x')),
    ...(['InvalidArgument', 'NotFound', 'Conflict', 'LimitExceeded', 'AccessDenied', 'Internal', 'Unavailable'] as const).map((kind) => new StratusError(kind, 'SomeCode', 'x'))
  ]
  for (const err of errors) {
    const wire = ecsError(err)
    const schema = model[`${wire.type}$`] as Schema | undefined
    t.ok(schema !== undefined && schema[0] === -3, `${err.code} (${err.kind}) → ${wire.type}, an exception of the ECS model`)
    const server = Object.values(schema?.[3] ?? {}).includes('server')
    t.equal(wire.status, server ? 500 : 400, `${wire.type}: ${server ? 500 : 400}`)
  }
  const timestamps = new Set<string>()
  for (const [name, s] of Object.entries(model)) {
    if (!name.endsWith('$') || !Array.isArray(s) || s[0] !== 3) continue
    const members = s as unknown as Schema
    members[4].forEach((member, at) => { if (members[5][at] === 4 && !['before', 'after'].includes(member)) timestamps.add(member) })
  }
  t.same([...ECS_TIMESTAMP_MEMBERS].sort(), [...timestamps].sort(), 'the timestamp members (outputs) are the model\'s')
})
