// Rules and their targets on the default event bus, as EventBridge keeps
// them (PutRule, DescribeRule, ListRules, DeleteRule, Enable/DisableRule,
// PutTargets, RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget), in
// the store. The ENABLED rules' patterns are cached (rebuilt from the store,
// kept up to date by watching it) for matching and for the bus's wants().
// A rule may have a ScheduleExpression (rate() only: see schedules.ts) besides
// or instead of its pattern.

import { arn, parseArn } from '../aws/arn.js'
import { LimitExceededError, NotFoundError } from '../errors.js'
import type { CloudEvent } from './bus.js'
import type { EventsContext } from './context.js'
import { checkTargetParameters } from './http-parameters.js'
import { checkInput } from './input.js'
import { matches, type EventPattern } from './pattern.js'
import { pageOf, type PageInput } from './paging.js'
import { DEFAULT_BUS, LIMITS, RULES, TARGETS, targetKey, type Rule, type RuleRecord, type RuleState, type Tag, type Target, type TargetRecord } from './model.js'
import { checkName, invalid, optionalText, parsePattern, retryPolicy } from './validation.js'
import { schedulePeriod } from './schedules.js'

export interface ActiveRule {
  readonly name: string
  readonly arn: string
  readonly pattern: EventPattern
  readonly sources: readonly unknown[] | undefined
  readonly detailTypes: readonly unknown[] | undefined
}

export interface PutRuleInput {
  Name: string; EventPattern?: string; ScheduleExpression?: string; State?: RuleState; Description?: string; RoleArn?: string; Tags?: Tag[]; EventBusName?: string
}

export interface FailedTarget { TargetId?: string; ErrorCode: string; ErrorMessage: string }

/** What a target may deliver to: only API destinations of this account and region (it may throw a ValidationException naming field). */
export type TargetKind = (arn: string, target: Target, field: string) => { ok: true } | { ok: false; code: string; message: string }

export class Rules {
  readonly #ctx: EventsContext
  readonly #active = new Map<string, ActiveRule>()
  readonly #unwatch: () => void

  constructor(ctx: EventsContext) {
    this.#ctx = ctx
    for (const { value } of ctx.store.scan<RuleRecord>(RULES)) this.#cache(value.Name, value)
    this.#unwatch = ctx.store.watch<RuleRecord>(RULES, (change) => this.#cache(change.key, change.value))
  }

  close(): void {
    this.#unwatch()
  }

  #cache(name: string, rule: RuleRecord | undefined): void {
    if (rule === undefined || rule.State !== 'ENABLED' || rule.EventPattern === undefined) {
      this.#active.delete(name)
      return
    }
    const pattern = JSON.parse(rule.EventPattern) as EventPattern
    this.#active.set(name, {
      name, arn: rule.Arn, pattern,
      sources: Array.isArray(pattern.source) ? pattern.source : undefined,
      detailTypes: Array.isArray(pattern['detail-type']) ? pattern['detail-type'] : undefined
    })
  }

  /** Could an event of this source and detail type match an ENABLED rule? (Only the rules' source and detail-type are looked at.) */
  wants(source: string, detailType: string): boolean {
    for (const r of this.#active.values()) {
      if (r.sources !== undefined && !r.sources.some((v) => typeof v !== 'string' || v === source)) continue
      if (r.detailTypes !== undefined && !r.detailTypes.some((v) => typeof v !== 'string' || v === detailType)) continue
      return true
    }
    return false
  }

  /** The ENABLED rules the event matches, by name. */
  matching(event: CloudEvent): ActiveRule[] {
    const out: ActiveRule[] = []
    for (const r of this.#active.values()) if (matches(r.pattern, event)) out.push(r)
    return out
  }

  ruleArn(name: string): string {
    return arn(this.#ctx.partition, 'events', `rule/${name}`)
  }

  /** EventBusName (a name or an ARN) must be the default bus: Stratus has no other. */
  bus(value: unknown, field = 'EventBusName'): void {
    if (value === undefined || value === null || value === DEFAULT_BUS) return
    if (value === arn(this.#ctx.partition, 'events', `event-bus/${DEFAULT_BUS}`)) return
    throw new NotFoundError('ResourceNotFoundException', `Event bus ${String(value)} does not exist (Stratus has only the default event bus)`, { field })
  }

  /** A rule's name, from its name or its ARN (`arn:…:rule/<name>`). */
  #name(value: unknown, field: string): string {
    if (typeof value === 'string' && value.startsWith('arn:')) {
      const parsed = parseArn(value)
      if (parsed?.resource.startsWith('rule/') && value === this.ruleArn(parsed.resource.slice(5))) return parsed.resource.slice(5)
      throw new NotFoundError('ResourceNotFoundException', `${field}: ${value} is not a rule of this account and region`, { field })
    }
    return checkName(value, field)
  }

  #get(name: string, field: string): { value: RuleRecord; version: number } {
    const found = this.#ctx.store.get<RuleRecord>(RULES, name)
    if (found === undefined) throw new NotFoundError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${DEFAULT_BUS}.`, { field })
    return found
  }

  putRule(input: PutRuleInput): { RuleArn: string } {
    const name = checkName(input.Name, 'Name')
    this.bus(input.EventBusName)
    if (input.ScheduleExpression !== undefined) schedulePeriod(input.ScheduleExpression)
    if (input.EventPattern === undefined && input.ScheduleExpression === undefined) throw invalid('EventPattern', 'Parameter(s) EventPattern or ScheduleExpression must be specified')
    if (input.EventPattern !== undefined) parsePattern(input.EventPattern)
    const state = input.State ?? 'ENABLED'
    if (state !== 'ENABLED' && state !== 'DISABLED') throw invalid('State', `must be ENABLED or DISABLED, got ${JSON.stringify(state)}`, 'ENABLED|DISABLED')
    const description = optionalText(input.Description, 'Description', 512)
    const roleArn = optionalText(input.RoleArn, 'RoleArn', 1600)
    const tags = checkTags(input.Tags)
    const ruleArn = this.ruleArn(name)
    this.#ctx.store.transaction((tx) => {
      const current = tx.get<RuleRecord>(RULES, name)
      const next: RuleRecord = {
        Name: name, Arn: ruleArn, State: state, EventBusName: DEFAULT_BUS, CreatedBy: this.#ctx.partition.accountId,
        ...(input.EventPattern !== undefined ? { EventPattern: input.EventPattern } : {}),
        ...(input.ScheduleExpression !== undefined ? { ScheduleExpression: input.ScheduleExpression } : {}),
        ...(description !== undefined ? { Description: description } : {}),
        ...(roleArn !== undefined ? { RoleArn: roleArn } : {}),
        // Tags are set when the rule is made (TagResource changes them later, as on AWS).
        ...(current?.value.Tags !== undefined ? { Tags: current.value.Tags } : tags !== undefined ? { Tags: tags } : {})
      }
      tx.put(RULES, name, next, current?.version ?? 0)
    })
    return { RuleArn: ruleArn }
  }

  describeRule(input: { Name: string; EventBusName?: string }): Rule {
    this.bus(input.EventBusName)
    const { Tags: _tags, ...rule } = this.#get(this.#name(input.Name, 'Name'), 'Name').value
    return rule
  }

  listRules(input: { NamePrefix?: string; EventBusName?: string } & PageInput = {}): { Rules: Rule[]; NextToken?: string } {
    this.bus(input.EventBusName)
    const prefix = optionalText(input.NamePrefix, 'NamePrefix', 64)
    const page = pageOf<RuleRecord>(this.#ctx.store, this.#ctx.tokens, RULES, `ListRules:${prefix ?? ''}`, input, prefix ? { prefix } : {})
    return { Rules: page.items.map(({ value: { Tags: _t, ...rule } }) => rule), ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }

  /**
   * As EventBridge: refused with a ValidationException naming the targets
   * while the rule has any (remove them first: RemoveTargets). Force is for
   * managed rules (made by another service) and is ignored for the others
   * — Stratus has no managed rules, so it deletes nothing more. Deleting a
   * rule that does not exist succeeds (the API reference: repeated calls all
   * succeed).
   */
  deleteRule(input: { Name: string; EventBusName?: string; Force?: boolean }): Record<string, never> {
    this.bus(input.EventBusName)
    const name = this.#name(input.Name, 'Name')
    if (input.Force !== undefined && typeof input.Force !== 'boolean') throw invalid('Force', 'must be a boolean')
    this.#ctx.store.transaction((tx) => {
      const found = tx.get<RuleRecord>(RULES, name)
      if (found === undefined) return
      const targets = tx.scan<TargetRecord>(TARGETS, { prefix: `${name}/` })
      if (targets.length > 0) {
        throw invalid('Name', `Rule ${name} can't be deleted since it has targets: ${targets.map((t) => t.value.Id).join(', ')} (remove them first with RemoveTargets)`)
      }
      tx.delete(RULES, name, found.version)
    })
    return {}
  }

  setState(input: { Name: string; EventBusName?: string }, state: RuleState): Record<string, never> {
    this.bus(input.EventBusName)
    const name = this.#name(input.Name, 'Name')
    this.#ctx.store.transaction((tx) => {
      const found = tx.get<RuleRecord>(RULES, name)
      if (found === undefined) throw new NotFoundError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${DEFAULT_BUS}.`, { field: 'Name' })
      if (found.value.State !== state) tx.put(RULES, name, { ...found.value, State: state }, found.version)
    })
    return {}
  }

  putTargets(input: { Rule: string; EventBusName?: string; Targets: Target[] }, kind: TargetKind): { FailedEntryCount: number; FailedEntries: FailedTarget[] } {
    this.bus(input.EventBusName)
    const rule = this.#name(input.Rule, 'Rule')
    if (!Array.isArray(input.Targets) || input.Targets.length < 1 || input.Targets.length > 100) throw invalid('Targets', 'must list 1 to 100 targets', 100)
    const seen = new Set<string>()
    input.Targets.forEach((t, i) => {
      const at = `Targets[${i}]`
      if (t === null || typeof t !== 'object') throw invalid(at, 'must be a target')
      checkName(t.Id, `${at}.Id`)
      if (seen.has(t.Id)) throw invalid(`${at}.Id`, `target ${t.Id} is listed twice`)
      seen.add(t.Id)
      if (typeof t.Arn !== 'string' || t.Arn.length < 1 || t.Arn.length > 1600) throw invalid(`${at}.Arn`, 'must be an ARN of 1 to 1600 characters', 1600)
      checkInput(t, at)
      checkTargetParameters(t, at)
      retryPolicy(t.RetryPolicy, `${at}.RetryPolicy`)
      if (t.DeadLetterConfig?.Arn !== undefined && !String(t.DeadLetterConfig.Arn).startsWith('arn:')) throw invalid(`${at}.DeadLetterConfig.Arn`, 'must be an ARN')
    })
    const failed: FailedTarget[] = []
    this.#ctx.store.transaction((tx) => {
      if (tx.get(RULES, rule) === undefined) throw new NotFoundError('ResourceNotFoundException', `Rule ${rule} does not exist on EventBus ${DEFAULT_BUS}.`, { field: 'Rule' })
      const existing = new Set(tx.scan<TargetRecord>(TARGETS, { prefix: `${rule}/` }).map((r) => r.value.Id))
      const accepted = input.Targets.filter((t, i) => {
        const verdict = kind(t.Arn, t, `Targets[${i}]`)
        if (!verdict.ok) failed.push({ TargetId: t.Id, ErrorCode: verdict.code, ErrorMessage: verdict.message })
        return verdict.ok
      })
      const total = new Set([...existing, ...accepted.map((t) => t.Id)]).size
      if (total > LIMITS.targetsPerRule) {
        throw new LimitExceededError('LimitExceededException', `The requested resource exceeds the maximum number allowed: a rule has at most ${LIMITS.targetsPerRule} targets`, { field: 'Targets', limit: LIMITS.targetsPerRule })
      }
      for (const t of accepted) {
        const key = targetKey(rule, t.Id)
        const record: TargetRecord = { ...stripUndefined(t), Rule: rule }
        tx.put(TARGETS, key, record, tx.get(TARGETS, key)?.version ?? 0)
      }
    })
    return { FailedEntryCount: failed.length, FailedEntries: failed }
  }

  removeTargets(input: { Rule: string; EventBusName?: string; Ids: string[]; Force?: boolean }): { FailedEntryCount: number; FailedEntries: FailedTarget[] } {
    this.bus(input.EventBusName)
    const rule = this.#name(input.Rule, 'Rule')
    if (!Array.isArray(input.Ids) || input.Ids.length < 1 || input.Ids.length > 100) throw invalid('Ids', 'must list 1 to 100 target ids', 100)
    input.Ids.forEach((id, i) => checkName(id, `Ids[${i}]`))
    const failed: FailedTarget[] = []
    this.#ctx.store.transaction((tx) => {
      if (tx.get(RULES, rule) === undefined) throw new NotFoundError('ResourceNotFoundException', `Rule ${rule} does not exist on EventBus ${DEFAULT_BUS}.`, { field: 'Rule' })
      for (const id of input.Ids) {
        if (!tx.delete(TARGETS, targetKey(rule, id))) failed.push({ TargetId: id, ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Rule ${rule} has no target ${id}` })
      }
    })
    return { FailedEntryCount: failed.length, FailedEntries: failed }
  }

  listTargetsByRule(input: { Rule: string; EventBusName?: string } & PageInput): { Targets: Target[]; NextToken?: string } {
    this.bus(input.EventBusName)
    const rule = this.#name(input.Rule, 'Rule')
    this.#get(rule, 'Rule')
    const page = pageOf<TargetRecord>(this.#ctx.store, this.#ctx.tokens, TARGETS, `ListTargetsByRule:${rule}`, input, { prefix: `${rule}/` })
    return { Targets: page.items.map(({ value: { Rule: _r, ...target } }) => target), ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }

  listRuleNamesByTarget(input: { TargetArn: string; EventBusName?: string } & PageInput): { RuleNames: string[]; NextToken?: string } {
    this.bus(input.EventBusName)
    if (typeof input.TargetArn !== 'string' || input.TargetArn.length === 0) throw invalid('TargetArn', 'must be an ARN')
    const page = pageOf<TargetRecord>(this.#ctx.store, this.#ctx.tokens, TARGETS, `ListRuleNamesByTarget:${input.TargetArn}`, input, { keep: (r) => r.value.Arn === input.TargetArn })
    return { RuleNames: [...new Set(page.items.map((r) => r.value.Rule))], ...(page.NextToken ? { NextToken: page.NextToken } : {}) }
  }

  /** The targets of a rule, as matching needs them (read in the caller's transaction or from the store). */
  targetsOf(reader: Pick<EventsContext['store'], 'scan'>, rule: string): TargetRecord[] {
    return reader.scan<TargetRecord>(TARGETS, { prefix: `${rule}/` }).map((r) => r.value)
  }

  /** Tags of a rule, for aws:ResourceTag; undefined when it has none or does not exist. */
  tagsOf(name: string): Record<string, string> | undefined {
    const tags = this.#ctx.store.get<RuleRecord>(RULES, name)?.value.Tags
    return tags === undefined ? undefined : Object.fromEntries(tags.map((t) => [t.Key, t.Value]))
  }
}

function checkTags(tags: Tag[] | undefined): Tag[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags) || tags.length > 50) throw invalid('Tags', 'must list at most 50 tags', 50)
  tags.forEach((t, i) => {
    if (typeof t?.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) throw invalid(`Tags[${i}].Key`, 'must be 1 to 128 characters', 128)
    if (typeof t.Value !== 'string' || t.Value.length > 256) throw invalid(`Tags[${i}].Value`, 'must be at most 256 characters', 256)
  })
  return tags.map((t) => ({ Key: t.Key, Value: t.Value }))
}

function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
