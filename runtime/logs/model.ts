// CloudWatch Logs' API shapes for the operations Stratus serves, field for
// field (timestamps are epoch milliseconds, as CloudWatch Logs sends them).

export interface LogGroup {
  logGroupName: string
  creationTime: number
  /** Days its events are kept (absent: forever). */
  retentionInDays?: number
  metricFilterCount: number
  /** With the trailing `:*`, as DescribeLogGroups reports it. */
  arn: string
  /** Without the trailing `:*`. */
  logGroupArn: string
  storedBytes: number
  logGroupClass: 'STANDARD'
}

export interface LogStream {
  logStreamName: string
  creationTime: number
  firstEventTimestamp?: number
  lastEventTimestamp?: number
  lastIngestionTime?: number
  arn: string
  storedBytes: number
}

export interface OutputLogEvent {
  timestamp: number
  message: string
  ingestionTime: number
}

export interface FilteredLogEvent extends OutputLogEvent {
  logStreamName: string
  eventId: string
}

export interface DescribeLogGroupsRequest {
  logGroupNamePrefix?: string
  /** A case-insensitive substring of the name. */
  logGroupNamePattern?: string
  logGroupIdentifiers?: string[]
  /** 1 to 50 (default 50). */
  limit?: number
  nextToken?: string
}

export interface DescribeLogGroupsResponse {
  logGroups: LogGroup[]
  nextToken?: string
}

export interface DescribeLogStreamsRequest {
  logGroupName?: string
  /** The group's name or ARN. */
  logGroupIdentifier?: string
  logStreamNamePrefix?: string
  orderBy?: 'LogStreamName' | 'LastEventTime'
  descending?: boolean
  /** 1 to 50 (default 50). */
  limit?: number
  nextToken?: string
}

export interface DescribeLogStreamsResponse {
  logStreams: LogStream[]
  nextToken?: string
}

export interface GetLogEventsRequest {
  logGroupName?: string
  logGroupIdentifier?: string
  logStreamName: string
  /** Epoch ms: events at or after it. */
  startTime?: number
  /** Epoch ms: events before it. */
  endTime?: number
  nextToken?: string
  /** 1 to 10,000 (default: as many as fit in 1 MB, up to 10,000). */
  limit?: number
  /** Without a token: the first events (true) or the last ones (false, the default). */
  startFromHead?: boolean
}

export interface GetLogEventsResponse {
  events: OutputLogEvent[]
  nextForwardToken: string
  nextBackwardToken: string
}

export interface FilterLogEventsRequest {
  logGroupName?: string
  logGroupIdentifier?: string
  /** Up to 100; not with logStreamNamePrefix. */
  logStreamNames?: string[]
  logStreamNamePrefix?: string
  startTime?: number
  endTime?: number
  filterPattern?: string
  nextToken?: string
  /** 1 to 10,000 (default 10,000). */
  limit?: number
  /** Deprecated by AWS: events are always interleaved. */
  interleaved?: boolean
}

export interface FilterLogEventsResponse {
  events: FilteredLogEvent[]
  searchedLogStreams: Array<{ logStreamName: string; searchedCompletely: boolean }>
  nextToken?: string
}

/** The one log group Batch jobs write to. */
export const BATCH_LOG_GROUP = '/aws/batch/job'
