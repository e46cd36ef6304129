// From a request to what the listener does with it: the rule table's action,
// and for a forward the target group (weighted, or pinned by AWSALBTG) and
// the target (pinned by AWSALB / AWSALBAPP-0 when the group is sticky), with
// the cookies the response must carry.

import type { Clock } from '../../clock/clock.js'
import type { Action, ForwardAction, ListenerConfig, Picked, TargetGroupRuntime } from '../model.js'
import { WeightedGroups } from './actions.js'
import { cookieValue, decodeSticky, encodeSticky, setCookies, setsCookie } from './cookies.js'
import type { RequestHead } from './h1-head.js'
import { hostWithoutPort } from './headers.js'
import { RuleTable, type RequestFacts } from './rules.js'

/** What routing reads of a request. */
export type RoutedRequest = Pick<RequestHead, 'method' | 'url' | 'headers'>

export interface Choice {
  picked: Picked
  /** Set-Cookie values for the response, given the target's raw response headers; undefined: none. */
  cookies: ((raw: readonly string[]) => readonly string[]) | undefined
}

export class Router {
  #rules: RuleTable
  #weighted = new WeakMap<ForwardAction, WeightedGroups>()
  readonly #targetGroup: (key: string) => TargetGroupRuntime | undefined
  readonly #clock: Clock
  /** What an AWSALBTG value is bound to: this listener (its values pin groups, not targets). */
  readonly #scope: string

  constructor(config: ListenerConfig, o: { targetGroup: (key: string) => TargetGroupRuntime | undefined; clock: Clock }) {
    this.#scope = `AWSALBTG ${config.key}`
    this.#rules = new RuleTable(config.rules, config.defaultActions)
    this.#targetGroup = o.targetGroup
    this.#clock = o.clock
  }

  update(config: ListenerConfig): void {
    this.#rules = new RuleTable(config.rules, config.defaultActions)
    this.#weighted = new WeakMap()
  }

  /** The action for a request (the first of the matching rule's, else the default ones). */
  actionFor(req: RoutedRequest, sourceIp: string): Action | undefined {
    if (this.#rules.empty) return this.#rules.defaultActions[0]
    const url = req.url
    const q = url.indexOf('?')
    const facts: RequestFacts = {
      method: req.method,
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      host: hostWithoutPort(req.headers.host as string | undefined),
      headers: req.headers,
      sourceIp
    }
    return this.#rules.actionsFor(facts).actions[0]
  }

  /** A target for a forward action; undefined: none available (503). */
  choose(action: ForwardAction, req: RoutedRequest, sourceIp: string): Choice | undefined {
    let groups = this.#weighted.get(action)
    if (groups === undefined) {
      groups = new WeightedGroups(action)
      this.#weighted.set(action, groups)
    }
    const cookieHeader = req.headers.cookie as string | undefined
    const groupSticky = action.groupStickiness?.enabled === true && groups.keys.length > 1 ? action.groupStickiness : undefined
    let groupKey: string | undefined
    if (groupSticky !== undefined) {
      const pinned = decodeSticky(this.#scope, cookieValue(cookieHeader, 'AWSALBTG') ?? cookieValue(cookieHeader, 'AWSALBTGCORS'), this.#clock.now())
      if (pinned !== undefined && groups.has(pinned) && this.#targetGroup(pinned) !== undefined) groupKey = pinned
    }
    groupKey ??= groups.next()
    if (groupKey === undefined) return undefined
    const group = this.#targetGroup(groupKey)
    if (group === undefined) return undefined

    const stickiness = group.config.stickiness
    const lbCookie = stickiness.enabled && stickiness.type === 'lb_cookie'
    const appCookie = stickiness.enabled && stickiness.type === 'app_cookie' && stickiness.appCookieName !== undefined
    let sticky: string | undefined
    if (lbCookie) sticky = decodeSticky(groupKey, cookieValue(cookieHeader, 'AWSALB') ?? cookieValue(cookieHeader, 'AWSALBCORS'), this.#clock.now())
    else if (appCookie) sticky = decodeSticky(groupKey, cookieValue(cookieHeader, 'AWSALBAPP-0'), this.#clock.now())

    const picked = group.pick(sticky === undefined ? { sourceIp } : { sourceIp, sticky })
    if (picked === undefined) return undefined
    if (!lbCookie && !appCookie && groupSticky === undefined) return { picked, cookies: undefined }

    const key = groupKey
    const clock = this.#clock
    const scope = this.#scope
    return {
      picked,
      cookies: (raw) => {
        const now = clock.now()
        const out: string[] = []
        if (groupSticky !== undefined) out.push(...setCookies('AWSALBTG', encodeSticky(scope, key, now + groupSticky.durationMs), now, groupSticky.durationMs, true))
        if (lbCookie) out.push(...setCookies('AWSALB', encodeSticky(key, picked.key, now + stickiness.durationMs), now, stickiness.durationMs, true))
        else if (appCookie && (setsCookie(raw, stickiness.appCookieName!) || (sticky !== undefined && sticky !== picked.key))) {
          out.push(...setCookies('AWSALBAPP-0', encodeSticky(key, picked.key, now + stickiness.durationMs), now, stickiness.durationMs, false))
        }
        return out
      }
    }
  }
}
