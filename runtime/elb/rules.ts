// Listener rules of Application Load Balancers: CreateRule, DescribeRules,
// ModifyRule, SetRulePriorities, DeleteRule. A listener's default rule is
// the listener's default actions (DescribeRules shows it last, Priority
// `default`); ModifyRule on it changes them. Changes reach the listener in
// place (applyThenCommit), without dropping its connections.

import type { StoreReader, Transaction } from '../store/store.js'
import type { ElbContext } from './context.js'
import { Elbv2Error, validation } from './errors.js'
import { checkArn, checkTags, hexId, notFound, optionalInt, optionalList, optionalString, page, requireList, requireValue } from './input.js'
import type {
  CreateRuleInput, CreateRuleOutput, DeleteRuleInput, DescribeRulesInput, DescribeRulesOutput, Empty, ModifyRuleInput, ModifyRuleOutput,
  Rule, RulePriorityPair, SetRulePrioritiesInput, SetRulePrioritiesOutput
} from './model.js'
import { LISTENERS, LOAD_BALANCERS, RULES, type ListenerRecord, type LoadBalancerRecord, type RuleRecord } from './records.js'
import { checkActions, checkConditions, type ActionScope } from './actions.js'
import { applyThenCommit, groupsOfLoadBalancer } from './reconcile.js'
import { getListener } from './listeners.js'

type Found = { kind: 'rule'; record: RuleRecord; version: number } | { kind: 'default'; listener: ListenerRecord; version: number }

/** The listener ARN a rule ARN belongs to (listener-rule/app/<lb>/<id>/<listener id>/<rule id>). */
function listenerArnOf(ruleArn: string): string {
  return ruleArn.replace(':listener-rule/', ':listener/').replace(/\/[^/]+$/, '')
}

/** The rule a request names (a listener's default rule included); RuleNotFound otherwise. */
function getRule(ctx: ElbContext, value: unknown, field: string, reader: StoreReader = ctx.store): Found {
  const key = checkArn(ctx, value, field, 'listener-rule')
  const found = reader.get<RuleRecord>(RULES, key)
  if (found !== undefined) return { kind: 'rule', record: found.value, version: found.version }
  const l = reader.get<ListenerRecord>(LISTENERS, listenerArnOf(key))
  if (l !== undefined && l.value.defaultRuleArn === key) return { kind: 'default', listener: l.value, version: l.version }
  throw notFound('listener-rule', field)
}

function shownRule(r: RuleRecord): Rule {
  return { RuleArn: r.RuleArn, Priority: String(r.Priority), Conditions: r.Conditions, Actions: r.Actions, IsDefault: false }
}

function shownDefault(l: ListenerRecord): Rule {
  return { RuleArn: l.defaultRuleArn, Priority: 'default', Conditions: [], Actions: l.listener.DefaultActions, IsDefault: true }
}

function scopeOf(tx: StoreReader, l: ListenerRecord): ActionScope {
  const lb = tx.get<LoadBalancerRecord>(LOAD_BALANCERS, l.listener.LoadBalancerArn)?.value
  return { lbArn: l.listener.LoadBalancerArn, lbType: lb?.loadBalancer.Type ?? 'application', listenerProtocol: l.listener.Protocol, reader: tx }
}

function checkPriority(value: unknown, field: string): number {
  return requireValue(optionalInt(value, field, 1, 50000), field)
}

function checkPriorityFree(tx: StoreReader, listenerArn: string, priority: number, except: ReadonlySet<string>, field: string): void {
  const clash = tx.scan<RuleRecord>(RULES, { index: { name: 'listener', value: listenerArn } }).find((r) => r.value.Priority === priority && !except.has(r.key))
  if (clash !== undefined) throw new Elbv2Error('PriorityInUse', `Priority '${priority}' is currently in use`, { field })
}

function checkGroupCount(ctx: ElbContext, tx: StoreReader, lbArn: string): void {
  const n = groupsOfLoadBalancer(tx, lbArn).length
  if (n > ctx.quotas.targetGroupsPerLoadBalancer) {
    throw new Elbv2Error('TooManyUniqueTargetGroupsPerLoadBalancer', `You've reached the limit of ${ctx.quotas.targetGroupsPerLoadBalancer} unique target groups per load balancer`, { field: 'Actions', limit: ctx.quotas.targetGroupsPerLoadBalancer })
  }
}

export function ruleOperations(ctx: ElbContext) {
  return {
    async createRule(input: CreateRuleInput): Promise<CreateRuleOutput> {
      return ctx.serial(async () => {
        const { record: listener } = getListener(ctx, input.ListenerArn)
        const lbArn = listener.listener.LoadBalancerArn
        const lb = ctx.store.get<LoadBalancerRecord>(LOAD_BALANCERS, lbArn)?.value
        if (lb?.loadBalancer.Type !== 'application') {
          throw new Elbv2Error('OperationNotPermitted', 'Rules can be created only on listeners of Application Load Balancers', { field: 'ListenerArn' })
        }
        const priority = checkPriority(input.Priority, 'Priority')
        const conditions = checkConditions(ctx, input.Conditions, 'Conditions')
        const tags = checkTags(ctx, input.Tags, 'Tags')
        const listenerArn = listener.listener.ListenerArn
        const ruleArn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId()}`
        const created = await applyThenCommit(ctx, lbArn, (tx: Transaction) => {
          checkPriorityFree(tx, listenerArn, priority, new Set(), 'Priority')
          if (tx.count(RULES, { index: { name: 'loadBalancer', value: lbArn } }) >= ctx.quotas.rulesPerLoadBalancer) {
            throw new Elbv2Error('TooManyRules', `You've reached the limit of ${ctx.quotas.rulesPerLoadBalancer} rules per load balancer (default rules not counted)`, { limit: ctx.quotas.rulesPerLoadBalancer })
          }
          const actions = checkActions(ctx, scopeOf(tx, listener), input.Actions, 'Actions')
          const r: RuleRecord = { RuleArn: ruleArn, ListenerArn: listenerArn, LoadBalancerArn: lbArn, Priority: priority, Conditions: conditions, Actions: actions, tags }
          tx.put(RULES, ruleArn, r, 0)
          checkGroupCount(ctx, tx, lbArn)
          return r
        })
        return { Rules: [shownRule(created)] }
      })
    },

    async describeRules(input: DescribeRulesInput): Promise<DescribeRulesOutput> {
      const listenerArn = optionalString(input.ListenerArn, 'ListenerArn')
      const arns = optionalList<string>(input.RuleArns, 'RuleArns')
      if (listenerArn === undefined && arns === undefined) throw validation('ListenerArn', 'You must specify either a listener ARN or rule ARNs')
      if (listenerArn !== undefined && arns !== undefined) throw validation('ListenerArn', 'A listener ARN and rule ARNs cannot be specified at the same time')
      let rules: Rule[]
      if (arns !== undefined) {
        rules = arns.map((a, i) => {
          const found = getRule(ctx, a, `RuleArns[${i}]`)
          return found.kind === 'rule' ? shownRule(found.record) : shownDefault(found.listener)
        })
      } else {
        const { record } = getListener(ctx, listenerArn)
        const own = ctx.store.scan<RuleRecord>(RULES, { index: { name: 'listener', value: record.listener.ListenerArn } }).map((v) => v.value).sort((a, b) => a.Priority - b.Priority)
        rules = [...own.map(shownRule), shownDefault(record)]
      }
      const keyed = rules.map((r, i) => ({ r, k: String(i).padStart(6, '0') }))
      const out = page(ctx, `DescribeRules:${JSON.stringify([listenerArn, arns])}`, keyed, (x) => x.k, input)
      return { Rules: out.items.map((x) => x.r), ...(out.NextMarker !== undefined ? { NextMarker: out.NextMarker } : {}) }
    },

    async modifyRule(input: ModifyRuleInput): Promise<ModifyRuleOutput> {
      return ctx.serial(async () => {
        const found = getRule(ctx, input.RuleArn, 'RuleArn')
        const hasConditions = input.Conditions !== undefined && input.Conditions !== null
        if (found.kind === 'default' && hasConditions) {
          throw new Elbv2Error('OperationNotPermitted', 'The conditions of a default rule cannot be modified', { field: 'Conditions' })
        }
        const conditions = hasConditions ? checkConditions(ctx, input.Conditions, 'Conditions') : undefined
        const ruleArn = found.kind === 'rule' ? found.record.RuleArn : found.listener.defaultRuleArn
        const lbArn = found.kind === 'rule' ? found.record.LoadBalancerArn : found.listener.listener.LoadBalancerArn
        const shown = await applyThenCommit(ctx, lbArn, (tx: Transaction): Rule => {
          const now = getRule(ctx, ruleArn, 'RuleArn', tx)
          if (now.kind === 'default') {
            if (input.Actions === undefined || input.Actions === null) return shownDefault(now.listener)
            const actions = checkActions(ctx, scopeOf(tx, now.listener), input.Actions, 'Actions')
            const next: ListenerRecord = { ...now.listener, listener: { ...now.listener.listener, DefaultActions: actions } }
            tx.put(LISTENERS, now.listener.listener.ListenerArn, next, now.version)
            checkGroupCount(ctx, tx, lbArn)
            return shownDefault(next)
          }
          const listener = getListener(ctx, now.record.ListenerArn, 'RuleArn', tx).record
          const actions = input.Actions === undefined || input.Actions === null ? now.record.Actions : checkActions(ctx, scopeOf(tx, listener), input.Actions, 'Actions')
          const next: RuleRecord = { ...now.record, Conditions: conditions ?? now.record.Conditions, Actions: actions }
          tx.put(RULES, ruleArn, next, now.version)
          checkGroupCount(ctx, tx, lbArn)
          return shownRule(next)
        })
        return { Rules: [shown] }
      })
    },

    async setRulePriorities(input: SetRulePrioritiesInput): Promise<SetRulePrioritiesOutput> {
      return ctx.serial(async () => {
        const pairs = requireList<RulePriorityPair>(input.RulePriorities, 'RulePriorities')
        if (pairs.length === 0) throw validation('RulePriorities', 'At least one rule priority must be specified', 1)
        const wanted = pairs.map((p, i) => {
          const found = getRule(ctx, p?.RuleArn, `RulePriorities[${i}].RuleArn`)
          if (found.kind === 'default') throw new Elbv2Error('OperationNotPermitted', 'The priority of a default rule cannot be changed', { field: `RulePriorities[${i}].RuleArn` })
          return { record: found.record, priority: checkPriority(p.Priority, `RulePriorities[${i}].Priority`), field: `RulePriorities[${i}].Priority` }
        })
        const arns = new Set(wanted.map((w) => w.record.RuleArn))
        if (arns.size !== wanted.length) throw validation('RulePriorities', 'A rule can be named only once')
        const seen = new Map<string, number>()
        for (const w of wanted) {
          const k = `${w.record.ListenerArn}#${w.priority}`
          if (seen.has(k)) throw new Elbv2Error('PriorityInUse', `Priority '${w.priority}' is given to more than one rule of the listener`, { field: w.field })
          seen.set(k, 1)
        }
        const lbs = [...new Set(wanted.map((w) => w.record.LoadBalancerArn))]
        // One apply per load balancer the rules belong to (a set spanning several is applied to each in turn).
        const changeOf = (lb: string) => (tx: Transaction): Rule[] => wanted.filter((w) => w.record.LoadBalancerArn === lb).map((w) => {
          const now = tx.get<RuleRecord>(RULES, w.record.RuleArn)
          if (now === undefined) throw notFound('listener-rule', w.field)
          checkPriorityFree(tx, w.record.ListenerArn, w.priority, arns, w.field)
          const next = { ...now.value, Priority: w.priority }
          tx.put(RULES, w.record.RuleArn, next, now.version)
          return shownRule(next)
        })
        const rules: Rule[] = []
        for (const lb of lbs) rules.push(...await applyThenCommit(ctx, lb, changeOf(lb)))
        return { Rules: rules }
      })
    },

    async deleteRule(input: DeleteRuleInput): Promise<Empty> {
      return ctx.serial(async () => {
        const found = getRule(ctx, input.RuleArn, 'RuleArn')
        if (found.kind === 'default') throw new Elbv2Error('OperationNotPermitted', 'A default rule cannot be deleted', { field: 'RuleArn' })
        const ruleArn = found.record.RuleArn
        await applyThenCommit(ctx, found.record.LoadBalancerArn, (tx: Transaction) => {
          tx.delete(RULES, ruleArn)
        })
        return {}
      })
    }
  }
}
