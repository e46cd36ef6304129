// Batch's TagResource, UntagResource and ListTagsForResource shapes (tags as a map, as Batch speaks them).

export interface TagResourceRequest {
  resourceArn: string
  tags: Record<string, string>
}

export interface UntagResourceRequest {
  resourceArn: string
  tagKeys: string[]
}

export interface ListTagsForResourceRequest {
  resourceArn: string
}

export interface ListTagsForResourceResponse {
  tags: Record<string, string>
}
