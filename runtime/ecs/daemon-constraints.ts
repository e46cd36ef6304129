// Which container instances a DAEMON service's placement constraints admit.
// The DAEMON scheduler picks instances itself (one task each), so it asks
// this for every instance rather than the placement core. Until the cluster
// query language lands (placement/), the memberOf forms understood are
// `attribute:<name> == <value>`, `attribute:<name> != <value>` and
// `attribute:<name> in [<v1>, <v2>…]` (also with `(…)`), joined by `and`;
// CreateService refuses any other expression for a DAEMON service, naming it.

import type { NodeRecord } from '../cluster/node-pool.js'
import { invalidParameter } from './errors.js'
import type { PlacementConstraint } from './model-services.js'

type Test = (attributes: Readonly<Record<string, string>>) => boolean

function parseClause(clause: string, field: string): Test {
  const m = /^attribute:([A-Za-z0-9_.:-]+)\s*(==|!=|in)\s*(.+)$/.exec(clause.trim())
  if (m === null) throw invalidParameter(field, `${field}: the DAEMON scheduler understands attribute:<name> == | != | in […] clauses joined by and (the cluster query language is not built yet), got ${JSON.stringify(clause.trim())}.`)
  const [, name, op, rhs] = m
  if (op === 'in') {
    const list = /^[[(](.*)[\])]$/.exec(rhs.trim())
    if (list === null) throw invalidParameter(field, `${field}: in takes a list, [a, b], got ${JSON.stringify(rhs.trim())}.`)
    const values = new Set(list[1].split(',').map((v) => v.trim()).filter((v) => v.length > 0))
    return (a) => a[name] !== undefined && values.has(a[name])
  }
  const value = rhs.trim()
  return op === '==' ? (a) => a[name] === value : (a) => a[name] !== value
}

/** The test a DAEMON service's constraints make of an instance (refusing expressions it cannot evaluate). */
export function daemonEligibility(constraints: readonly PlacementConstraint[] | undefined, field = 'placementConstraints'): (node: NodeRecord) => boolean {
  const tests: Test[] = []
  ;(constraints ?? []).forEach((c, i) => {
    if (c.type !== 'memberOf' || c.expression === undefined) return
    for (const clause of c.expression.split(/\s+and\s+/)) tests.push(parseClause(clause, `${field}[${i}].expression`))
  })
  return (node) => {
    const attributes = { ...node.attributes, 'ecs.availability-zone': node.zone, 'ecs.instance-type': node.instanceType, 'ecs.os-type': 'linux' }
    return tests.every((test) => test(attributes))
  }
}
