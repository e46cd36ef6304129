// Amazon Lightsail (awsJson1_1, X-Amz-Target Lightsail_20161128). Its
// operations come with the Lightsail issue; until then the target is
// recognised and every operation answers UnknownOperationException naming it.

import type { Operation, ServiceTable } from '../operation.js'
import { byKind } from '../errors.js'

export const LIGHTSAIL_TARGET = 'Lightsail_20161128'

export function lightsailTable(operations: readonly Operation[] = []): ServiceTable {
  return {
    signingName: 'lightsail',
    eventSource: 'lightsail.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: [LIGHTSAIL_TARGET],
    operations,
    error: (err) => byKind(err, (kind) => kind === 'NotFound' ? 'NotFoundException' : 'InvalidInputException', 'ServiceException'),
    invalid: (member, message) => ({ type: 'InvalidInputException', status: 400, message: message || `${member} is required` })
  }
}
