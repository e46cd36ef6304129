// Amazon ECS (awsJson1_1, X-Amz-Target AmazonEC2ContainerServiceV20141113).
// Its operations come with the ECS issue; until then the target is
// recognised and every operation answers UnknownOperationException naming
// it (never an empty success).

import type { Operation, ServiceTable } from '../operation.js'
import { byKind } from '../errors.js'

export const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113'

export function ecsTable(operations: readonly Operation[] = []): ServiceTable {
  return {
    signingName: 'ecs',
    eventSource: 'ecs.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [ECS_TARGET],
    operations,
    error: (err) => byKind(err, (kind) => kind === 'InvalidArgument' ? 'InvalidParameterException' : 'ClientException', 'ServerException'),
    invalid: (member, message) => ({ type: 'InvalidParameterException', status: 400, message: message || `${member} is required` })
  }
}

/** SKELETON: the wire engineer lists ECS's operations here (decode → Ecs call → encode, IAM actions and resources). */
export function ecsOperations(ecs: unknown, partition: unknown): Operation[] {
  void ecs; void partition
  return []
}
