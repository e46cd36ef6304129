export { makePartition, partitionOfRegion, type Partition, type PartitionName } from './partition.js'
export { arn, arns, childJobArn, localId, nameFromArn, parseArn, taskIdOf, type ArnService, type ParsedArn } from './arn.js'
export { checkTags, tagsFromList, tagsToList, TAG_LIMITS, type TagMap } from './tags.js'
export { PageTokens, type TokenOptions } from './pagination.js'
