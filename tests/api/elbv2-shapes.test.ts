// The ELBv2 shapes the wire table decodes inputs with and the remote SDK
// reads answers with (runtime/api/tables/elbv2-shapes.ts), checked member by
// member against the official SDK's model (its static schemas): every list,
// number, boolean, timestamp, map and structure the model has is declared,
// nothing the model does not have, and each input's required members. Then
// decodeShaped on flat form members as the SDK sends them; every operation of
// the control plane's model mounted on the wire.
import t from 'tap'
import * as sdk from '@aws-sdk/client-elastic-load-balancing-v2'
import { ELBV2_INPUTS, ELBV2_OUTPUTS } from '../../runtime/api/tables/elbv2-shapes.js'
import { decodeStruct, isList, isMap, isStruct, type Shape } from '../../runtime/api/query-shapes.js'
import { decodeQuery } from '../../runtime/api/aws-query.js'
import { InvalidArgumentError } from '../../runtime/errors.js'
import { ELBV2_OPERATION_NAMES } from '../../runtime/elb/model.js'
import { elbv2Operations } from '../../runtime/api/tables/elbv2.js'
import { simulatedCloud } from '../runtime/api/clients.js'

type Schema = unknown

/** A smithy static schema → a description in our terms ('s' | 'n' | 'b' | 't' | list | map | struct). */
function kindOf(schema: Schema): { kind: 's' | 'n' | 'b' | 't' | 'list' | 'map' | 'struct'; of?: Schema; names?: string[]; members?: Schema[]; required?: number } {
  const s = typeof schema === 'function' ? (schema as () => Schema)() : schema
  if (typeof s === 'number') {
    if (s & 64) return { kind: 'list', of: s & ~64 }
    if (s & 128) return { kind: 'map', of: s & ~128 }
    if (s === 0) return { kind: 's' }
    if (s === 1) return { kind: 'n' }
    if (s === 2) return { kind: 'b' }
    if (s >= 4 && s <= 7) return { kind: 't' }
    throw new Error(`unknown schema ${s}`)
  }
  const a = s as unknown[]
  if (a[0] === 0) return kindOf(a[4])
  if (a[0] === 1) return { kind: 'list', of: a[4] }
  if (a[0] === 2) return { kind: 'map', of: a[5] }
  if (a[0] === 3) return { kind: 'struct', names: a[4] as string[], members: a[5] as Schema[], required: (a[6] as number | undefined) ?? 0 }
  throw new Error(`unknown schema ${JSON.stringify(a).slice(0, 60)}`)
}

function ourKind(shape: Shape): string {
  return isList(shape) ? 'list' : isMap(shape) ? 'map' : isStruct(shape) ? 'struct' : shape
}

/** Every difference between the model's schema and ours, as paths. */
function compare(schema: Schema, shape: Shape, path: string, checkRequired: boolean, out: string[]): void {
  const model = kindOf(schema)
  if (model.kind !== ourKind(shape)) {
    out.push(`${path}: the model says ${model.kind}, ours ${ourKind(shape)}`)
    return
  }
  if (isList(shape)) return compare(model.of, shape.list, `${path}[]`, checkRequired, out)
  if (isMap(shape)) return compare(model.of, shape.map, `${path}{}`, checkRequired, out)
  if (!isStruct(shape)) return
  const names = model.names!
  for (const [i, name] of names.entries()) {
    const member = kindOf(model.members![i])
    const ours = shape.members[name]
    if (ours === undefined) {
      if (member.kind !== 's') out.push(`${path}.${name}: the model's ${member.kind} is not declared`)
    } else {
      compare(model.members![i], ours, `${path}.${name}`, checkRequired, out)
    }
  }
  for (const name of Object.keys(shape.members)) if (!names.includes(name)) out.push(`${path}.${name}: not in the model`)
  if (checkRequired) {
    const required = names.slice(0, model.required).sort()
    const ours = [...shape.required].sort()
    if (JSON.stringify(required) !== JSON.stringify(ours)) out.push(`${path}: required ${JSON.stringify(required)} in the model, ours ${JSON.stringify(ours)}`)
  }
}

const models = sdk as unknown as Record<string, Schema>

t.test('every input and output shape agrees with the SDK model', async (t) => {
  t.same(Object.keys(ELBV2_INPUTS).sort(), Object.keys(ELBV2_OUTPUTS).sort(), 'inputs and outputs for the same operations')
  for (const [op, shape] of Object.entries(ELBV2_INPUTS)) {
    const diffs: string[] = []
    t.ok(models[`${op}Input$`] !== undefined, `${op} is an ELBv2 operation`)
    compare(models[`${op}Input$`], shape, `${op}Input`, true, diffs)
    compare(models[`${op}Output$`], ELBV2_OUTPUTS[op], `${op}Output`, false, diffs)
    t.same(diffs, [], `${op}: input and output as the model has them`)
  }
})

t.test('decodeShaped turns flat form members into lists, numbers and booleans', async (t) => {
  const form = new URLSearchParams({
    ListenerArn: 'arn:l', Priority: '10',
    'Conditions.member.1.Field': 'path-pattern', 'Conditions.member.1.PathPatternConfig.Values.member.1': '/api/*', 'Conditions.member.1.PathPatternConfig.Values.member.2': '/v2/*',
    'Actions.member.1.Type': 'forward', 'Actions.member.1.Order': '1',
    'Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn': 'arn:a', 'Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight': '3',
    'Actions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn': 'arn:b', 'Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight': '1',
    'Actions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled': 'true', 'Actions.member.1.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds': '600',
    'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'web'
  })
  const { input } = decodeQuery(form.toString())
  t.same(decodeStruct(input, ELBV2_INPUTS.CreateRule), {
    ListenerArn: 'arn:l', Priority: 10,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*', '/v2/*'] } }],
    Actions: [{
      Type: 'forward', Order: 1,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:a', Weight: 3 }, { TargetGroupArn: 'arn:b', Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } }
    }],
    Tags: [{ Key: 'team', Value: 'web' }]
  })
  const empty = decodeQuery('Action=DescribeLoadBalancers&LoadBalancerArns=&PageSize=5').input
  t.same(decodeStruct(empty, ELBV2_INPUTS.DescribeLoadBalancers), { LoadBalancerArns: [], PageSize: 5 }, 'an empty list is an empty string on the wire')
})

t.test('a value that is not its shape, or a nested required member missing, is a ValidationError naming the wire path', async (t) => {
  const bad = (text: string, op: string) => {
    try {
      decodeStruct(decodeQuery(text).input, ELBV2_INPUTS[op])
    } catch (err) {
      return err
    }
    return undefined
  }
  const weight = bad('ListenerArn=l&Priority=1&Conditions.member.1.Field=x&Actions.member.1.Type=forward&Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight=heavy', 'CreateRule')
  t.ok(weight instanceof InvalidArgumentError)
  t.match(weight, { code: 'ValidationError', field: 'Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight' }, 'the list is renumbered from 1 (only member 2 was sent)')
  t.match((weight as Error).message, /Value 'heavy' at 'Actions\.member\.1\.ForwardConfig\.TargetGroups\.member\.1\.Weight' failed to satisfy constraint: Member must be an integer/)
  const enabled = bad('TargetGroupArn=a&HealthCheckEnabled=yes', 'ModifyTargetGroup')
  t.match(enabled, { code: 'ValidationError', field: 'HealthCheckEnabled' })
  const key = bad('ResourceArns.member.1=a&Tags.member.1.Value=v', 'AddTags')
  t.match(key, { code: 'ValidationError', field: 'Tags.member.1.Key' })
  t.match((key as Error).message, /Value null at 'Tags\.member\.1\.Key' failed to satisfy constraint: Member must not be null/)
  const id = bad('TargetGroupArn=a&Targets.member.1.Port=80', 'RegisterTargets')
  t.match(id, { code: 'ValidationError', field: 'Targets.member.1.Id' })
  const top = bad('Name=x&Port=eighty', 'CreateTargetGroup')
  t.match(top, { code: 'ValidationError', field: 'Port' })
})

t.test('every operation of the control plane has its shapes and is on the wire', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const wire = elbv2Operations(cloud.engine.elb, cloud.engine.partition).map((op) => op.name)
  const model = ELBV2_OPERATION_NAMES.map((m) => m[0].toUpperCase() + m.slice(1))
  t.same(wire.sort(), [...model].sort(), 'the wire table mounts exactly the operations of runtime/elb/model.ts')
  for (const name of model) t.ok(ELBV2_INPUTS[name] !== undefined && ELBV2_OUTPUTS[name] !== undefined, `${name} has input and output shapes`)
})
