// What an ELBv2 listener's default or a rule does, in the SDK: forward to a
// target group (or weighted groups, with group stickiness), a fixed response,
// a redirect — or ELBv2 actions as they are.

import type { Action } from '../runtime/elb/model.js'
import { defined, type TargetGroupHandle } from './elbv2-target-groups.js'

/** A forward target: a group, or groups with weights. */
export type ForwardTo = TargetGroupHandle | string | Array<{ group: TargetGroupHandle | string; weight: number }>

async function arnOf(group: TargetGroupHandle | string): Promise<string> {
  return typeof group === 'string' ? group : group.arn()
}

async function forwardAction(to: ForwardTo, stickiness?: { durationSeconds: number }): Promise<Action> {
  if (!Array.isArray(to)) {
    const arn = await arnOf(to)
    return stickiness === undefined
      ? { Type: 'forward', TargetGroupArn: arn }
      : { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: stickiness.durationSeconds } } }
  }
  const groups = await Promise.all(to.map(async (g) => ({ TargetGroupArn: await arnOf(g.group), Weight: g.weight })))
  return {
    Type: 'forward',
    ForwardConfig: defined({ TargetGroups: groups, TargetGroupStickinessConfig: stickiness === undefined ? undefined : { Enabled: true, DurationSeconds: stickiness.durationSeconds } })
  }
}

const fixedAction = (statusCode: number, body?: string, contentType = 'text/plain'): Action =>
  ({ Type: 'fixed-response', FixedResponseConfig: defined({ StatusCode: String(statusCode), MessageBody: body, ContentType: contentType }) })

const redirectAction = (o: { protocol?: string; port?: string | number; host?: string; path?: string; query?: string; permanent?: boolean }): Action => ({
  Type: 'redirect',
  RedirectConfig: defined({
    Protocol: o.protocol, Port: o.port === undefined ? undefined : String(o.port), Host: o.host, Path: o.path, Query: o.query, StatusCode: o.permanent === false ? 'HTTP_302' as const : 'HTTP_301' as const
  })
})

/** What a listener or a rule does: forward, answer, or redirect. */
export abstract class ActionChoice<R> {
  protected abstract apply(actions: Action[]): Promise<R>

  /** Forward to one group, or to weighted groups (`[{ group, weight }]`); `stickiness` across them (group-level). */
  async forwardTo(to: ForwardTo, options: { stickiness?: { durationSeconds: number } } = {}): Promise<R> {
    return this.apply([await forwardAction(to, options.stickiness)])
  }

  /** A fixed response (`fixedResponse(404, 'not here')`). */
  async fixedResponse(statusCode: number, body?: string, contentType?: string): Promise<R> {
    return this.apply([fixedAction(statusCode, body, contentType)])
  }

  /** A redirect (301 unless `permanent: false`); unset parts keep the request's (#{host}, #{path}, …). */
  async redirect(to: { protocol?: string; port?: string | number; host?: string; path?: string; query?: string; permanent?: boolean }): Promise<R> {
    return this.apply([redirectAction(to)])
  }

  /** ELBv2 actions as they are. */
  async actions(actions: Action[]): Promise<R> {
    return this.apply(actions)
  }
}

