// Which container instances a DAEMON service's placement constraints admit.
// The DAEMON scheduler picks instances itself (one task each), so it asks
// this of every instance rather than placing through the core: each memberOf
// expression is parsed once by the cluster query language (placement/query.ts)
// and evaluated on the instance's view (its attributes, the groups of the
// tasks on it), all of them to hold. distinctInstance holds by construction.

import type { NodeRecord } from '../cluster/node-pool.js'
import { evaluate, instanceView, parseExpression } from './placement/index.js'
import type { PlacementConstraint } from './model-services.js'

/**
 * The test the constraints make of an instance (given the groups of the tasks
 * on it); refuses an expression the query language does not parse, naming
 * placementConstraints[i].expression.
 */
export function daemonEligibility(constraints: readonly PlacementConstraint[] | undefined, field = 'placementConstraints'): (node: NodeRecord, groups?: Readonly<Record<string, number>>) => boolean {
  const expressions = (constraints ?? []).flatMap((c, i) => c.type === 'memberOf' && c.expression !== undefined ? [parseExpression(c.expression, `${field}[${i}].expression`)] : [])
  return (node, groups) => {
    if (expressions.length === 0) return true
    const view = instanceView({ record: node, ...(groups !== undefined ? { groups } : {}) })
    return expressions.every((e) => evaluate(e, view))
  }
}
