// EventBridge's list paging: Limit (1-100) records per page, NextToken to go
// on (an engine page token bound to the list and its filters).

import type { PageTokens } from '../aws/pagination.js'
import type { StoreReader, Versioned } from '../store/store.js'
import { integerIn } from './validation.js'

export interface PageInput { NextToken?: string; Limit?: number }

/** One page of `collection` (keys with `prefix`, those `keep` accepts), after the token's position. */
export function pageOf<T>(
  store: StoreReader, tokens: PageTokens, collection: string, scope: string, input: PageInput, options: { prefix?: string; keep?: (record: Versioned<T>) => boolean } = {}
): { items: Array<Versioned<T>>; NextToken?: string } {
  const limit = input.Limit === undefined ? 100 : integerIn(input.Limit, 'Limit', 1, 100)
  let after = input.NextToken === undefined ? undefined : tokens.read(input.NextToken, scope, { code: 'ValidationException', field: 'NextToken' })
  const items: Array<Versioned<T>> = []
  for (;;) {
    const batch = store.scan<T>(collection, { ...(options.prefix !== undefined ? { prefix: options.prefix } : {}), ...(after !== undefined ? { after } : {}), limit: 256 })
    for (const record of batch) {
      after = record.key
      if (options.keep !== undefined && !options.keep(record)) continue
      if (items.length === limit) return { items, NextToken: tokens.issue(scope, items[items.length - 1].key) }
      items.push(record)
    }
    if (batch.length < 256) return { items }
  }
}
