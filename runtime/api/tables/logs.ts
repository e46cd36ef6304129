// CloudWatch Logs' operation table (awsJson1_1, X-Amz-Target Logs_20140328.<Op>):
// decode → CloudWatchLogs → encode, no logic. Actions are logs:<Op> on the
// log group's ARN (`arn:…:log-group:<name>:*`), as the service authorization
// reference lists them.

import { arn } from '../../aws/arn.js'
import type { Partition } from '../../aws/partition.js'
import { StratusError } from '../../errors.js'
import type { CloudWatchLogsApi } from '../../logs/cloudwatch-logs.js'
import type { Operation, ServiceTable, WireError } from '../operation.js'

/** The exceptions of the CloudWatch Logs model that Stratus raises, with their status (all 400 but the service's own failure). */
const EXCEPTIONS: Record<string, number> = {
  ResourceNotFoundException: 400,
  InvalidParameterException: 400,
  LimitExceededException: 400,
  ResourceAlreadyExistsException: 400,
  ServiceUnavailableException: 500
}

export function logsTable(logs: CloudWatchLogsApi, partition: Partition): ServiceTable {
  const groupArn = (input: { logGroupName?: unknown; logGroupIdentifier?: unknown } | undefined): string => {
    const v = input?.logGroupName ?? input?.logGroupIdentifier
    if (typeof v === 'string' && v.startsWith('arn:')) return v.endsWith(':*') ? v : `${v}:*`
    return arn(partition, 'logs', `log-group:${typeof v === 'string' ? v : '*'}:*`)
  }
  const op = (name: string, call: (input: any) => Promise<unknown>, required: string[] = []): Operation => ({
    name,
    readOnly: true,
    required,
    authorize: (input) => ({ action: `logs:${name}`, resources: [name === 'DescribeLogGroups' ? arn(partition, 'logs', 'log-group:*') : groupArn(input)] }),
    call
  })
  return {
    signingName: 'logs',
    eventSource: 'logs.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: ['Logs_20140328'],
    operations: [
      op('DescribeLogGroups', (input) => logs.describeLogGroups(input ?? {})),
      op('DescribeLogStreams', (input) => logs.describeLogStreams(input ?? {})),
      op('GetLogEvents', (input) => logs.getLogEvents(input), ['logStreamName']),
      op('FilterLogEvents', (input) => logs.filterLogEvents(input ?? {}))
    ],
    error(err: unknown): WireError {
      if (err instanceof StratusError) {
        if (err.code in EXCEPTIONS) return { type: err.code, status: EXCEPTIONS[err.code], message: err.message }
        if (err.kind === 'NotFound') return { type: 'ResourceNotFoundException', status: 400, message: err.message }
        if (err.kind === 'InvalidArgument') return { type: 'InvalidParameterException', status: 400, message: err.message }
        if (err.kind === 'LimitExceeded') return { type: 'LimitExceededException', status: 400, message: err.message }
      }
      return { type: 'ServiceUnavailableException', status: 500, message: err instanceof Error ? err.message : String(err) }
    },
    invalid(member: string, message: string): WireError {
      return { type: 'InvalidParameterException', status: 400, message: `${member}: ${message}` }
    }
  }
}
