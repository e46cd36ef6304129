// CloudWatch Logs' operation table (awsJson1_1, X-Amz-Target Logs_20140328.<Op>):
// decode → CloudWatchLogs → encode, no logic. Tagging calls act on the
// resourceArn they name. Actions are logs:<Op> on the
// log group's ARN (`arn:…:log-group:<name>:*`), as the service authorization
// reference lists them: the canonical ARN rebuilt from the group's name. A
// log group ARN of another partition, region or account is refused naming its
// member before IAM is asked (the service would not find it either). An IAM
// denial is AccessDeniedException, a 400 as CloudWatch Logs answers it.

import { arn, arns, localId } from '../../aws/arn.js'
import type { Partition } from '../../aws/partition.js'
import { InvalidArgumentError, StratusError } from '../../errors.js'
import type { CloudWatchLogsApi } from '../../logs/cloudwatch-logs.js'
import type { Operation, ServiceTable, WireError } from '../operation.js'

/** The exceptions of the CloudWatch Logs model that Stratus raises, with their status (all 400 but the service's own failure). */
const EXCEPTIONS: Record<string, number> = {
  ResourceNotFoundException: 400,
  InvalidParameterException: 400,
  LimitExceededException: 400,
  ResourceAlreadyExistsException: 400,
  OperationAbortedException: 400,
  ServiceUnavailableException: 500
}

export function logsTable(logs: CloudWatchLogsApi, partition: Partition): ServiceTable {
  const groupArn = (input: { logGroupName?: unknown; logGroupIdentifier?: unknown } | undefined): string => {
    const field = input?.logGroupName !== undefined ? 'logGroupName' : 'logGroupIdentifier'
    const v = input?.logGroupName ?? input?.logGroupIdentifier
    if (typeof v !== 'string') return arn(partition, 'logs', 'log-group:*:*')
    const named = localId(partition, 'logs', 'log-group:', v)
    if ('refused' in named) throw new InvalidArgumentError('InvalidParameterException', `${field}: ${named.refused}`, { field })
    const name = named.id.endsWith(':*') ? named.id.slice(0, -2) : named.id
    return arns.logs.logGroup(partition, name)
  }
  /** The group a tagging call's resourceArn names (its canonical ARN), refused naming resourceArn when it is another account's or not a log group's. */
  const resourceArn = (input: { resourceArn?: unknown } | undefined): string => {
    const v = input?.resourceArn
    if (typeof v !== 'string') return arn(partition, 'logs', 'log-group:*:*')
    const named = localId(partition, 'logs', 'log-group:', v)
    if ('refused' in named) throw new InvalidArgumentError('InvalidParameterException', `resourceArn: ${named.refused}`, { field: 'resourceArn' })
    const name = named.id.endsWith(':*') ? named.id.slice(0, -2) : named.id
    return arns.logs.logGroup(partition, name)
  }
  const op = (name: string, call: (input: any) => Promise<unknown>, required: string[] = [], o: { write?: boolean; resource?: (input: any) => string } = {}): Operation => ({
    name,
    readOnly: o.write !== true,
    required,
    authorize: (input) => ({ action: `logs:${name}`, resources: [o.resource !== undefined ? o.resource(input) : name === 'DescribeLogGroups' ? arn(partition, 'logs', 'log-group:*') : groupArn(input)] }),
    call
  })
  const write = { write: true }
  return {
    signingName: 'logs',
    eventSource: 'logs.amazonaws.com',
    protocol: 'awsJson1_1',
    targets: ['Logs_20140328'],
    operations: [
      op('CreateLogGroup', (input) => logs.createLogGroup(input), ['logGroupName'], write),
      op('DeleteLogGroup', (input) => logs.deleteLogGroup(input), ['logGroupName'], write),
      op('PutRetentionPolicy', (input) => logs.putRetentionPolicy(input), ['logGroupName', 'retentionInDays'], write),
      op('DeleteRetentionPolicy', (input) => logs.deleteRetentionPolicy(input), ['logGroupName'], write),
      op('DescribeLogGroups', (input) => logs.describeLogGroups(input ?? {})),
      op('TagResource', (input) => logs.tagResource(input), ['resourceArn', 'tags'], { write: true, resource: resourceArn }),
      op('UntagResource', (input) => logs.untagResource(input), ['resourceArn', 'tagKeys'], { write: true, resource: resourceArn }),
      op('ListTagsForResource', (input) => logs.listTagsForResource(input), ['resourceArn'], { resource: resourceArn }),
      op('TagLogGroup', (input) => logs.tagLogGroup(input), ['logGroupName', 'tags'], write),
      op('UntagLogGroup', (input) => logs.untagLogGroup(input), ['logGroupName', 'tags'], write),
      op('ListTagsLogGroup', (input) => logs.listTagsLogGroup(input), ['logGroupName']),
      op('CreateLogStream', (input) => logs.createLogStream(input), ['logGroupName', 'logStreamName'], write),
      op('DeleteLogStream', (input) => logs.deleteLogStream(input), ['logGroupName', 'logStreamName'], write),
      op('PutLogEvents', (input) => logs.putLogEvents(input), ['logGroupName', 'logStreamName', 'logEvents'], write),
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
        if (err.kind === 'AccessDenied') return { type: 'AccessDeniedException', status: 400, message: err.message }
      }
      return { type: 'ServiceUnavailableException', status: 500, message: err instanceof Error ? err.message : String(err) }
    },
    invalid(member: string, message: string): WireError {
      return { type: 'InvalidParameterException', status: 400, message: `${member}: ${message}` }
    }
  }
}
